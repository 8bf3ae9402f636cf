import { describe, expect, it } from 'vitest';
import { prepareBody } from '../../src/fetch/body.js';

async function bytesOf(body: BodyInit | null): Promise<Uint8Array> {
  return new Uint8Array(await new Response(body).arrayBuffer());
}

function streamOf(...chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

describe('prepareBody', () => {
  it('buffers a stream under the cap into bytes every attempt can resend', async () => {
    const prepared = await prepareBody(streamOf('{"a":', '1}'), 1024);
    expect(prepared.replayable).toBe(true);
    const first = await bytesOf(prepared.body);
    const second = await bytesOf(prepared.body);
    expect(new TextDecoder().decode(first)).toBe('{"a":1}');
    expect(second).toEqual(first);
  });

  it('buffers an async iterable', async () => {
    async function* chunks() {
      yield new TextEncoder().encode('ab');
      yield new TextEncoder().encode('cd');
    }
    const prepared = await prepareBody(chunks(), 1024);
    expect(prepared.replayable).toBe(true);
    expect(new TextDecoder().decode(await bytesOf(prepared.body))).toBe('abcd');
  });

  it('above the cap, yields a one-shot stream holding the whole body, prefix included', async () => {
    const prepared = await prepareBody(streamOf('aaaa', 'bbbb', 'cccc'), 6);
    expect(prepared.replayable).toBe(false);
    expect(new TextDecoder().decode(await bytesOf(prepared.body))).toBe('aaaabbbbcccc');
  });

  it('encodes FormData once, so the multipart boundary is the same on every attempt', async () => {
    const form = new FormData();
    form.set('amount', '100');
    const prepared = await prepareBody(form, 1024);
    expect(prepared.replayable).toBe(true);
    expect(prepared.contentType).toMatch(/^multipart\/form-data; boundary=/);
    expect(await bytesOf(prepared.body)).toEqual(await bytesOf(prepared.body));
  });

  it('keeps strings and byte arrays as they are', async () => {
    expect((await prepareBody('x', 1)).body).toBe('x');
    const bytes = new Uint8Array([0, 255]);
    expect((await prepareBody(bytes, 1)).body).toBe(bytes);
    expect((await prepareBody(null, 1)).body).toBeNull();
  });
});
