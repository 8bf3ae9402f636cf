import type { StoredResponse } from '../idempotency/store.js';
import type { HttpAnswer } from './problem.js';

/*
 * A recorded response on its way back out: as an answer (a replay, or the
 * record a transaction committed), and the replayable headers read from and
 * written to a framework's response.
 */

/** A recorded response as an answer: its status, headers and exact body bytes. */
export function storedAnswer(response: StoredResponse, replayed: boolean): HttpAnswer {
  const body = Buffer.from(
    response.body.buffer,
    response.body.byteOffset,
    response.body.byteLength,
  );
  const headers = replayed
    ? { ...response.headers, 'idempotent-replayed': 'true' }
    : response.headers;
  return { status: response.status, headers, body };
}

/** A response's header getter (Express's `res`, Fastify's `reply`). */
export interface HeaderSource {
  getHeader(name: string): unknown;
}

/**
 * The replayable headers of an answer, read through `get` (a framework's
 * header getter, or an object with `getHeader`, such as a Node response or a
 * Fastify reply, which spares a closure per request: scenario
 * `http-server-fastify`, `benchmarks/profile/fastify-in-process.mjs --alloc`).
 */
export function replayableHeaders(
  names: readonly string[],
  get: ((name: string) => unknown) | HeaderSource,
): Record<string, string> {
  const headers: Record<string, string> = {};
  // Each name looked up directly: asking a response for its header names
  // first made an array per request and cost more than the lookups it spared
  // (the http-server benchmark).
  for (const name of names) {
    const value = typeof get === 'function' ? get(name) : get.getHeader(name);
    if (value !== undefined)
      headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return headers;
}

/**
 * Puts a committed record's headers on an answer in place of its replayable
 * ones, through the framework's `remove` and `set`.
 */
export function applyRecordedHeaders(
  replayHeaders: readonly string[],
  recorded: Readonly<Record<string, string>>,
  remove: (name: string) => void,
  set: (name: string, value: string) => void,
): void {
  const names = new Set(Object.keys(recorded).map((name) => name.toLowerCase()));
  for (const name of replayHeaders) if (!names.has(name)) remove(name);
  for (const [name, value] of Object.entries(recorded)) set(name, value);
}
