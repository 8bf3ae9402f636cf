/**
 * The public surface, read from the shipped `.d.ts` of every subpath: the root
 * entry stays small (what the README teaches), and no name becomes public
 * without a CHANGELOG line that names it. A name counts as recorded when the
 * CHANGELOG spells it in backticks (`name`, `name(...)`, `name.field`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { check, pkg, root } from './harness.mjs';

/** Most names the root entry may export (types included). */
const MAX_ROOT_NAMES = 40;

/** The names one built `.d.ts` exports (`export { a, type B, c as d }` statements). */
export function exportedNames(dts) {
  const names = new Set();
  // tsup writes `export { a as Name } from './chunk.js'` for names declared in a
  // shared chunk, and one closing `export { ... };` for the entry's own.
  for (const [, list] of dts.matchAll(/^export \{([^}]*)\}(?: from '[^']+')?;?$/gm)) {
    for (const item of list.split(',')) {
      const name = item
        .trim()
        .replace(/^type\s+/, '')
        .split(/\s+as\s+/)
        .pop();
      if (name) names.add(name);
    }
  }
  return [...names];
}

export async function publicSurfaceChecks() {
  console.log('public surface (the shipped .d.ts of every subpath):');
  const changelog = readFileSync(join(root, 'CHANGELOG.md'), 'utf8');
  const surface = Object.entries(pkg.exports)
    .filter(([key, target]) => key !== './package.json' && typeof target.types === 'string')
    .map(([key, target]) => ({
      spec: key === '.' ? 'bulwark' : `bulwark/${key.slice(2)}`,
      names: exportedNames(readFileSync(join(root, target.types), 'utf8')),
    }));
  await check(`the root entry exports at most ${MAX_ROOT_NAMES} names`, () => {
    const rootNames = surface.find((entry) => entry.spec === 'bulwark')?.names ?? [];
    if (rootNames.length > MAX_ROOT_NAMES) {
      throw new Error(`${rootNames.length} names: ${rootNames.join(', ')}`);
    }
    return `${rootNames.length}`;
  });
  await check('every exported name has a CHANGELOG line that names it', () => {
    const missing = surface.flatMap(({ spec, names }) =>
      names
        .filter((name) => !new RegExp(`\`${name}[\`(.<:]`).test(changelog))
        .map((name) => `${spec}: ${name}`),
    );
    if (missing.length) throw new Error(`not in CHANGELOG.md:\n${missing.join('\n')}`);
    return `${surface.reduce((sum, entry) => sum + entry.names.length, 0)} names`;
  });
}
