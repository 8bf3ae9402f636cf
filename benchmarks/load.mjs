/**
 * Loads the BUILT bulwark package (../dist, or BULWARK_DIST), so the numbers
 * are those of what users install, and reports what is not exported yet so a
 * scenario can skip with a reason instead of crashing.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Where the built package lives: `BULWARK_DIST` when set, else the repository's dist/. */
export const DIST = process.env.BULWARK_DIST
  ? resolve(process.env.BULWARK_DIST)
  : fileURLToPath(new URL('../dist/', import.meta.url));

/**
 * Imports `bulwark` or `bulwark/<subpath>` from the build and checks that it
 * exports every name in `names`. Resolves `{ ok: true, exports }` or
 * `{ ok: false, reason }`.
 */
export async function requireExports(subpath, names) {
  const specifier = subpath ? `bulwark/${subpath}` : 'bulwark';
  const file = join(DIST, subpath, 'index.js');
  if (!existsSync(file)) return { ok: false, reason: `${specifier} is not built (${file})` };
  const exports = await import(pathToFileURL(file).href);
  const missing = names.filter((name) => exports[name] === undefined);
  if (missing.length > 0) {
    return { ok: false, reason: `${specifier} does not export ${missing.join(', ')} yet` };
  }
  return { ok: true, exports };
}
