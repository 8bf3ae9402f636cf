import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

/** What the fixture prints when it is ready. */
export interface FixtureReady {
  port: number;
  status: string;
  signals: { traces: string[]; metrics: string[]; logs: string[] };
}

/** A running fixture process. */
export interface FixtureProcess {
  child: ChildProcess;
  ready: Promise<FixtureReady>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

/**
 * Runs `<root>/<file>` with a clean OTel environment plus `env`, so the
 * developer's own OTEL_* variables never leak into a test.
 */
export function runFixture(
  root: string,
  file: string,
  env: Record<string, string>,
): FixtureProcess {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('OTEL_')),
  );
  const child = spawn(process.execPath, [join(root, file)], {
    cwd: root,
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const ready = new Promise<FixtureReady>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const line = /^ready (.*)$/m.exec(output);
      if (line?.[1] !== undefined) resolve(JSON.parse(line[1]));
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', () => reject(new Error(`fixture exited before ready:\n${output}`)));
  });
  ready.catch(() => undefined);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return { child, ready, exited, output: () => output };
}
