import { spawn } from 'node:child_process';
import { getEventListeners } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFetch } from '../../src/fetch/index.js';
import { type Loopback, startLoopback } from './loopback.js';
import { emitSourceTree } from './source-tree.js';

let server: Loopback | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A server that sends a body in two chunks, 30 ms apart. */
async function twoChunks(): Promise<Loopback> {
  server = await startLoopback((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('first,');
    setTimeout(() => res.end('second'), 30);
  });
  return server;
}

describe('a finished call holds nothing', () => {
  const reads = {
    'text()': (res: Response) => res.text(),
    'res.body': (res: Response) => new Response(res.body).text(),
  };
  for (const [how, read] of Object.entries(reads)) {
    it(`leaves no listener on the caller's signal once the body is read with ${how}`, async () => {
      const s = await twoChunks();
      const f = createFetch({ resilience: { deadline: { totalTimeoutMs: 60_000 } } });
      const controller = new AbortController();
      const res = await f(`${s.origin}/r`, { signal: controller.signal });
      // While the body is unread, the signal still covers it.
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
      expect(await read(res)).toBe('first,second');
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    });
  }

  it('leaves no listener once the caller cancels the body', async () => {
    const s = await twoChunks();
    const f = createFetch();
    const controller = new AbortController();
    const res = await f(`${s.origin}/r`, { signal: controller.signal });
    await res.body?.cancel();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('does not keep the process alive after calls that finished or were cut (child process, 60 s deadline)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bulwark-fetch-'));
    try {
      await emitSourceTree(dir);
      await writeFile(join(dir, 'main.mjs'), CHILD);
      const started = performance.now();
      const exit = await new Promise<{ code: number | null; output: string }>((resolve) => {
        const child = spawn(process.execPath, [join(dir, 'main.mjs')], { stdio: 'pipe' });
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk;
        });
        child.stderr.on('data', (chunk: Buffer) => {
          output += chunk;
        });
        const killer = setTimeout(() => child.kill('SIGKILL'), 8_000);
        child.on('exit', (code) => {
          clearTimeout(killer);
          resolve({ code, output });
        });
      });
      expect(exit.output).toContain(
        'read first,second; unread 200; BULWARK_ABORTED; BULWARK_ATTEMPT_TIMEOUT',
      );
      expect(exit.code).toBe(0);
      expect(performance.now() - started).toBeLessThan(8_000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    // Transpiling src/ for the child takes seconds on a loaded machine; the child's own bound is 8 s.
  }, 20_000);
});

/**
 * The child: one call whose body is read, one whose body is never read, both
 * with a 60 s deadline and a caller's signal; then two calls to a server that
 * never answers, one cut by the caller's abort and one by the attempt
 * timeout; then it closes its server and should exit at once.
 */
const CHILD = `
import { createServer } from 'node:http';
import { createFetch } from './src/fetch/index.js';
const server = createServer((req, res) => {
  if (req.url === '/stall') return;
  res.writeHead(200); res.end('first,second');
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = 'http://127.0.0.1:' + server.address().port + '/r';
const f = createFetch({ resilience: { deadline: { totalTimeoutMs: 60000 } } });
const signal = new AbortController().signal;
const read = await (await f(url, { signal })).text();
const unread = await f(url, { signal });
const caller = new AbortController();
setTimeout(() => caller.abort(), 50);
const aborted = await f(url.replace('/r', '/stall'), { signal: caller.signal }).catch((e) => e.code);
const timed = createFetch({ resilience: { retry: false, deadline: { totalTimeoutMs: 60000 }, attemptTimeout: { timeoutMs: 50 } } });
const timedOut = await timed(url.replace('/r', '/stall'), { signal }).catch((e) => e.code);
console.log('read ' + read + '; unread ' + unread.status + '; ' + aborted + '; ' + timedOut);
server.closeAllConnections();
server.close();
`;
