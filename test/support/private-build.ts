import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'tsup';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** A build of some of bulwark's entries in a temp folder, for child processes to import. */
export interface PrivateBuild {
  /** The folder holding `<entry>.js` for each entry. */
  readonly dir: string;
  /** Removes the folder. */
  remove(): void;
}

/**
 * Builds `entries` (name → path under `src/`) into a fresh temp folder, never
 * into the repository's `dist/`, so a test's child processes run the source as
 * it is now. Bare imports resolve from the repository's node_modules.
 */
export async function privateBuild(entries: Record<string, string>): Promise<PrivateBuild> {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-private-build-'));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  await build({
    config: false,
    entry: Object.fromEntries(
      Object.entries(entries).map(([name, path]) => [name, join(root, 'src', path)]),
    ),
    format: ['esm'],
    platform: 'node',
    target: 'node22',
    outDir: dir,
    splitting: true,
    dts: false,
    sourcemap: false,
    clean: false,
    silent: true,
    external: [/^[^./]/],
  });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
