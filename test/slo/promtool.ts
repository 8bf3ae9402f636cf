import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * True when `promtool` (Debian's `prometheus` package) is on PATH. When it is
 * not: under `CI=true` it throws, so the suite fails rather than skips; on a
 * laptop it prints a loud reason and returns false, for `describe.skipIf`.
 */
export function requirePromtool(): boolean {
  const probe = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  if (probe.status === 0) return true;
  const reason = 'promtool is not on PATH (apt-get install -y prometheus)';
  if (process.env.CI === 'true') throw new Error(`${reason}: CI=true, so this suite fails`);
  console.warn(`\n!!! SKIPPING promtool tests: ${reason} !!!\n`);
  return false;
}

/** Runs promtool; resolves with its output, rejects with stdout and stderr in the message. */
export async function promtool(args: readonly string[], cwd: string): Promise<string> {
  try {
    const { stdout, stderr } = await run('promtool', [...args], { cwd, timeout: 120_000 });
    return stdout + stderr;
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`promtool ${args.join(' ')} failed:\n${stdout}\n${stderr}`);
  }
}
