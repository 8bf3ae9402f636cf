/**
 * Scenario 5: the HTTP client on loopback. One request at a time to a bare
 * node:http server in another process, body read to the end: raw global
 * `fetch` against `createFetch()` with its defaults. A GET (safe to retry)
 * and a POST carrying an Idempotency-Key (what a payment call looks like),
 * each its own group with its own target in targets.mjs.
 *
 * Each is measured by wall time and by this process's CPU time per request
 * (`compareTimeAndCpu`), and each has an A/A control: raw fetch again,
 * through a second function. Identical code, so its ratio to raw fetch is
 * the resolution of that measure on this machine that run, to read the
 * targets' 5% against.
 *
 * Two rows put that 5% in proportion: what a team would use instead of
 * `createFetch()` for the same timeouts and retries. `ky`, the fetch wrapper
 * people pick for them, set as close to `createFetch()`'s defaults as its
 * options go; and the least a service could hand-write
 * (`http/fetch-hand-rolled.mjs`), the yardstick of the proposed targets.
 */
import ky from 'ky';
import { compareTimeAndCpu, scenario } from '../harness.mjs';
import { handRolledFetch } from '../http/fetch-hand-rolled.mjs';
import { startServer, stop } from '../http/processes.mjs';
import { requireExports } from '../load.mjs';

const PAYMENT = JSON.stringify({ amount: 1250, currency: 'EUR', from: 'acc-1', to: 'acc-2' });
let sequence = 0;

function request(method) {
  if (method === 'GET') return { method };
  return {
    method,
    headers: { 'content-type': 'application/json', 'idempotency-key': `bench-${sequence++}` },
    body: PAYMENT,
  };
}

/**
 * `ky` with `createFetch()`'s defaults where it has them: a 10 s timeout per
 * attempt and 30 s in all, 3 retries with jitter, a POST retried (it carries
 * a key here), and a final error status returned as a response, as `fetch`
 * and `createFetch()` do, not thrown.
 */
const kyLikeCreateFetch = ky.create({
  timeout: 10_000,
  totalTimeout: 30_000,
  retry: { limit: 3, methods: ['get', 'post'], jitter: true },
  throwHttpErrors: false,
});

function cases(url, method, bulwark) {
  const wrapped = bulwark.ok && bulwark.exports.createFetch();
  return [
    {
      id: 'raw-fetch',
      label: 'raw fetch',
      fn: async () => (await fetch(url, request(method))).arrayBuffer(),
    },
    {
      id: 'raw-fetch-again',
      label: 'raw fetch again (A/A control)',
      fn: async () => (await fetch(url, request(method))).arrayBuffer(),
    },
    {
      id: 'create-fetch',
      label: 'bulwark createFetch() defaults',
      fn: wrapped && (async () => (await wrapped(url, request(method))).arrayBuffer()),
      reason: bulwark.reason,
    },
    {
      id: 'hand-rolled',
      label: 'hand-rolled timeouts and retries (yardstick)',
      fn: async () => (await handRolledFetch(url, request(method))).arrayBuffer(),
    },
    {
      id: 'ky',
      label: 'ky, timeouts and retries as createFetch()',
      fn: async () => (await kyLikeCreateFetch(url, request(method))).arrayBuffer(),
    },
  ];
}

await scenario(
  {
    id: 'http-client',
    title: 'HTTP client: fetch vs createFetch()',
    description:
      "One request at a time from this process to a bare node:http server in another process on 127.0.0.1, body read to the end. Baseline: the global `fetch`; candidate: `createFetch()` with its defaults (a `resilient()` pipeline per origin, deadline and attempt timeout on). Two requests, each with its own target: a GET, and a POST carrying the caller's Idempotency-Key. Each is measured by wall time and by the client process's CPU time (user + system) per request, in the same interleaved rounds (three times the mode's rounds, each a third as long); 'raw fetch again' is an A/A control, the same code as the baseline, whose ratio shows what that measure can resolve in this run. Two more rows show what a team would use instead for the same timeouts and retries: `ky` set as close to createFetch()'s defaults as its options go (10 s per attempt, 30 s in all, 3 jittered retries, POST retried, error statuses returned), and the least a service could hand-write (an `AbortSignal.timeout` per attempt, a retry loop with backoff: `http/fetch-hand-rolled.mjs`).",
  },
  async () => {
    const bulwark = await requireExports('fetch', ['createFetch']);
    const downstream = await startServer('downstream', './downstream.mjs');
    try {
      const url = `http://127.0.0.1:${downstream.port}/payments`;
      const get = await compareTimeAndCpu({
        id: 'http-client',
        title: 'GET on loopback, one request at a time, body read',
        cases: cases(url, 'GET', bulwark),
      });
      const post = await compareTimeAndCpu({
        id: 'http-client-post',
        title: 'POST with an Idempotency-Key on loopback, one request at a time',
        cases: cases(url, 'POST', bulwark),
      });
      return { groups: [...get, ...post] };
    } finally {
      await stop(downstream.child);
    }
  },
);
