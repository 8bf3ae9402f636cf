/**
 * ARCHITECTURE.md stays true: every path it names exists, and every import
 * from one folder of src/ into another is one its layer table allows.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const doc = readFileSync(join(root, 'ARCHITECTURE.md'), 'utf8');
/** Files at the top of src/ that every folder may use. */
const SHARED = new Set(['errors.ts', 'warnings.ts', 'live-set.ts', 'header-name.ts']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

/** The layer table: folder → folders it may import. */
function allowedImports(): Map<string, Set<string>> {
  const rows = new Map<string, Set<string>>();
  for (const [, folder, allowed] of doc.matchAll(/^\| `([a-z-]+)`\s*\|[^|]*\|([^|]*)\|$/gm)) {
    rows.set(folder!, new Set([...allowed!.matchAll(/`([a-z-]+)`/g)].map((m) => m[1]!)));
  }
  return rows;
}

describe('ARCHITECTURE.md', () => {
  it('names only paths that exist', () => {
    const named = [...doc.matchAll(/`((?:src|test)\/[^`\s]+)`/g)].map((m) => m[1]!);
    expect(named.length).toBeGreaterThan(30);
    expect(named.filter((path) => !existsSync(join(root, path)))).toEqual([]);
  });

  it('has a row for every folder of src/, and every import between folders is allowed', () => {
    const allowed = allowedImports();
    const folders = readdirSync(join(root, 'src'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
    expect(folders.filter((folder) => !allowed.has(folder))).toEqual([]);
    const violations: string[] = [];
    for (const file of sourceFiles(join(root, 'src'))) {
      const from = relative(join(root, 'src'), file).split('/');
      if (from.length === 1) continue; // the shared files and the root entry
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
        const target = relative(join(root, 'src'), normalize(join(dirname(file), spec!))).split(
          '/',
        );
        if (target.length === 1) {
          if (!SHARED.has(target[0]!.replace(/\.js$/, '.ts')))
            violations.push(`${from.join('/')} → ${spec}`);
          continue;
        }
        if (target[0] === from[0]) continue;
        if (target[1] === 'index.js') violations.push(`${from.join('/')} → ${spec} (an entry)`);
        if (!allowed.get(from[0]!)?.has(target[0]!)) violations.push(`${from.join('/')} → ${spec}`);
      }
    }
    expect(violations).toEqual([]);
  });
});
