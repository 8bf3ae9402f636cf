import { once } from 'node:events';
import { createServer as createHttp2Server, connect as http2Connect } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { Script } from 'node:vm';
import express from 'express';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { resilient } from '../../src/index.js';
import { type StatusHandler, statusHandler } from '../../src/status/index.js';
import { serveStatus } from './serve.js';

resilient('mounts-bank');

/** Reads the page at `pageUrl`, follows its asset links, and checks each one. */
async function checkPageAndAssets(pageUrl: string) {
  const page = await fetch(pageUrl);
  expect(page.status).toBe(200);
  expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
  const html = await page.text();
  const links = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
  expect(links.filter((l) => /^(https?:)?\/\//.test(l))).toEqual([]); // no CDN, no external font
  expect(html).not.toMatch(/<script>|<style|style="/); // no inline code the CSP would block
  const fetched: Record<string, string> = {};
  for (const link of links.filter((l) => !l.startsWith('?'))) {
    const asset = await fetch(new URL(link, pageUrl));
    expect(asset.status, link).toBe(200);
    fetched[link.replace(/^.*\//, '')] = asset.headers.get('content-type') ?? '';
    if (link.endsWith('app.js'))
      new Script(await asset.text()); // it parses
    else await asset.arrayBuffer();
  }
  expect(fetched).toEqual({
    'icon.svg': 'image/svg+xml',
    'app.css': 'text/css; charset=utf-8',
    'app.js': 'text/javascript; charset=utf-8',
  });
  const json = await fetch(pageUrl, { headers: { accept: 'application/json' } });
  expect((await json.json()).schemaVersion).toBe(1);
}

/** Reads SSE messages from `url` until `count` arrived; returns their parsed data. */
async function readEvents(url: string, count: number) {
  const controller = new AbortController();
  const response = await fetch(url, { signal: controller.signal });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  const messages: { schemaVersion: number }[] = [];
  while (messages.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += value;
    for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (data !== undefined) messages.push(JSON.parse(data));
    }
  }
  controller.abort();
  return messages;
}

describe('mounting', () => {
  it('works on node:http at /status and at /status/', async () => {
    const service = await serveStatus(statusHandler());
    try {
      await checkPageAndAssets(service.url);
      await checkPageAndAssets(`${service.url}/`);
      const events = await readEvents(`${service.url}/events`, 1);
      expect(events[0]?.schemaVersion).toBe(1);
    } finally {
      await service.close();
    }
  });

  it("works in Express with app.use('/status', statusHandler())", async () => {
    const app = express();
    app.use('/status', statusHandler());
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await checkPageAndAssets(`${base}/status`);
      await checkPageAndAssets(`${base}/status/`);
      expect((await readEvents(`${base}/status/events`, 1))[0]?.schemaVersion).toBe(1);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('works in Fastify on the raw request and reply', async () => {
    const app = Fastify();
    const status: StatusHandler = statusHandler();
    const route = (request: FastifyRequest, reply: FastifyReply) => {
      reply.hijack();
      status(request.raw, reply.raw);
    };
    app.get('/status', route);
    app.get('/status/*', route);
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      await checkPageAndAssets(`${base}/status`);
      expect((await readEvents(`${base}/status/events`, 1))[0]?.schemaVersion).toBe(1);
    } finally {
      await app.close();
    }
  });
});

describe('live updates', () => {
  it('streams the report about once per updateIntervalMs', async () => {
    const service = await serveStatus(statusHandler({ updateIntervalMs: 250 }));
    try {
      const started = performance.now();
      const events = await readEvents(`${service.url}/events`, 3);
      expect(events).toHaveLength(3);
      expect(events.every((e) => e.schemaVersion === 1)).toBe(true);
      expect(performance.now() - started).toBeLessThan(5_000);
    } finally {
      await service.close();
    }
  });

  it('never opens two streams on one HTTP/1.1 connection (pipelined requests)', async () => {
    const service = await serveStatus(statusHandler({ maxStreams: 2 }));
    const { port } = service.server.address() as AddressInfo;
    const socket = connect(port, '127.0.0.1');
    try {
      await once(socket, 'connect');
      const request = 'GET /status/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
      socket.write(request.repeat(3));
      await once(socket, 'data');
      // Had the pipelined requests each taken a stream, the pool of 2 would be full now.
      const events = await readEvents(`${service.url}/events`, 1);
      expect(events[0]?.schemaVersion).toBe(1);
    } finally {
      socket.destroy();
      await service.close();
    }
  });

  it('never opens two streams on one HTTP/2 connection: the second gets 429', async () => {
    const handler = statusHandler();
    const server = createHttp2Server((req, res) => handler(req as never, res as never));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const session = http2Connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    try {
      const first = session.request({ ':path': '/status/events' });
      const [firstHeaders] = await once(first, 'response');
      expect(firstHeaders[':status']).toBe(200);
      const second = session.request({ ':path': '/status/events' });
      const [secondHeaders] = await once(second, 'response');
      expect(secondHeaders[':status']).toBe(429);
      expect(secondHeaders['content-type']).toBe('application/problem+json');
      first.close();
      second.close();
    } finally {
      session.destroy();
      server.close();
    }
  });

  it('never crashes the process when a report cannot be built: 500 problem+json, and a stream skips the update', async () => {
    const real = resilient('mounts-flaky') as unknown as { inspect(): unknown };
    let reads = 0;
    const flaky = {
      inspect() {
        reads++;
        if (reads === 1 || reads > 3) throw new Error('boom');
        return real.inspect();
      },
    };
    const service = await serveStatus(
      statusHandler({ pipelines: [flaky as never], updateIntervalMs: 250 }),
    );
    try {
      const broken = await fetch(`${service.url}?format=json`);
      expect(broken.status).toBe(500);
      expect(await broken.json()).toMatchObject({ type: 'urn:bulwark:problem:status-unavailable' });
      // Reads 2 and 3 build the first update (report, then history); later updates throw and are skipped.
      const controller = new AbortController();
      const stream = await fetch(`${service.url}/events`, { signal: controller.signal });
      expect(stream.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 800));
      expect(reads).toBeGreaterThan(3);
      controller.abort();
      expect((await fetch(`${service.url}/app.css`)).status).toBe(200); // still serving
    } finally {
      await service.close();
    }
  });

  it('refuses streams beyond maxStreams with 503 + Retry-After, and frees a slot when a client leaves', async () => {
    const service = await serveStatus(statusHandler({ maxStreams: 2 }));
    const open = async () => {
      const controller = new AbortController();
      const response = await fetch(`${service.url}/events`, { signal: controller.signal });
      return { response, close: () => controller.abort() };
    };
    try {
      const a = await open();
      const b = await open();
      const c = await open();
      expect([a.response.status, b.response.status, c.response.status]).toEqual([200, 200, 503]);
      expect(c.response.headers.get('retry-after')).toBe('10');
      expect(await c.response.json()).toMatchObject({
        type: 'urn:bulwark:problem:status-streams-full',
      });
      a.close();
      await expect
        .poll(async () => {
          const d = await open();
          d.close();
          return d.response.status;
        })
        .toBe(200);
      b.close();
    } finally {
      await service.close();
    }
  });
});
