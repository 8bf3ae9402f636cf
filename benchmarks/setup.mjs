/**
 * First step of `npm run bench`: installs the comparison-only dependencies
 * (benchmarks/package-lock.json, `npm ci`) when any of them is missing, so a
 * fresh clone needs nothing but the root `npm install`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const { dependencies } = JSON.parse(readFileSync(new URL('package.json', import.meta.url), 'utf8'));
const missing = Object.keys(dependencies).filter(
  (name) => !existsSync(new URL(`node_modules/${name}/package.json`, import.meta.url)),
);

if (missing.length > 0) {
  console.error(`benchmarks: installing comparison dependencies (missing: ${missing.join(', ')})`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
