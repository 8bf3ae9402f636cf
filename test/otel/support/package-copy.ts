import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const REPO = new URL('../../../', import.meta.url).pathname;

/** A private install of the built package: `<root>/node_modules/bulwark`, fixtures go in `<root>`. */
export interface PackageCopy {
  root: string;
  remove(): Promise<void>;
}

/**
 * Builds `bulwark` with tsup into a temporary directory and installs it there
 * as `node_modules/bulwark` (this repository's package.json, so its exports map
 * is the one users get), next to links to this repository's dependencies. A child
 * process started in `root` imports `bulwark/otel` exactly as a user would.
 * The shared `dist/` is never touched.
 */
export async function buildPackageCopy(fixtures: string[]): Promise<PackageCopy> {
  const root = await mkdtemp(join(tmpdir(), 'bulwark-otel-'));
  const modules = join(root, 'node_modules');
  const installed = join(modules, 'bulwark');
  await mkdir(installed, { recursive: true });
  for (const entry of await readdir(join(REPO, 'node_modules'))) {
    if (entry === 'bulwark' || entry.startsWith('.')) continue;
    await symlink(join(REPO, 'node_modules', entry), join(modules, entry));
  }
  await copyFile(join(REPO, 'package.json'), join(installed, 'package.json'));
  await run(
    'npx',
    [
      'tsup',
      '--no-config',
      '--entry.index',
      'src/index.ts',
      '--entry.otel/index',
      'src/otel/index.ts',
      '--format',
      'esm',
      '--target',
      'node20',
      '--platform',
      'node',
      '--silent',
      '--out-dir',
      join(installed, 'dist'),
    ],
    { cwd: REPO, timeout: 120_000 },
  );
  for (const fixture of fixtures) {
    await copyFile(new URL(`../fixtures/${fixture}`, import.meta.url), join(root, fixture));
  }
  return { root, remove: () => rm(root, { recursive: true, force: true }) };
}
