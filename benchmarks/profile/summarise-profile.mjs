/**
 * Turns a `.cpuprofile` into CPU microseconds per request: self time summed
 * per area (bulwark's source folders, OTel, Express and its dependencies,
 * Node's streams / events / async hooks / http, GC) and per function, divided
 * by the number of requests served while it was taken. bulwark's bundled
 * `dist/` chunks are mapped back to their `src/` files through the
 * `// src/<file>.ts` markers esbuild writes in front of each module. Native
 * functions (no url) count towards the area of the JavaScript that called
 * them (a SHA-256 digest called by the fingerprint counts as idempotency),
 * except GC and `(program)`, which are areas of their own.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** Self time in µs per node id, from the samples and their time deltas. */
function selfTimes(profile) {
  const self = new Map();
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    // timeDeltas[i + 1] is the time from sample i to the next one.
    const delta = timeDeltas[i + 1] ?? 0;
    self.set(samples[i], (self.get(samples[i]) ?? 0) + delta);
  }
  return self;
}

/**
 * Which `src/` files define a function or method of each name. esbuild drops
 * the `// src/<file>.ts` marker of some modules, so the marker alone can name
 * the wrong file; a name defined in one file only settles it.
 */
let definitions;
function definitionsOf(name) {
  if (definitions === undefined) {
    definitions = new Map();
    const walk = (dir) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.ts')) index(path, readFileSync(path, 'utf8'));
      }
    };
    const index = (path, text) => {
      const file = `src/${path.slice(SRC.length)}`;
      const patterns = [
        /function\s+(\w+)/g,
        /^\s+(?:async\s+|static\s+|get\s+|set\s+)*(#?\w+)\s*(?:<[^>]*>)?\(/gm,
        /(\w+)\s*=\s*(?:async\s*)?(?:\([^)]*\)|\w+)\s*(?::[^=]+)?=>/g,
      ];
      for (const pattern of patterns) {
        for (const match of text.matchAll(pattern)) {
          const files = definitions.get(match[1]) ?? new Set();
          files.add(file);
          definitions.set(match[1], files);
        }
      }
    };
    walk(SRC);
  }
  return definitions.get(name);
}

/** For a dist chunk: sorted `[line, srcFile]` starts of each bundled module. */
const moduleStarts = new Map();
function srcFileOf(url, line) {
  let starts = moduleStarts.get(url);
  if (starts === undefined) {
    starts = [];
    const text = readFileSync(fileURLToPath(url), 'utf8').split('\n');
    text.forEach((content, index) => {
      const match = /^\/\/ (src\/\S+\.ts)$/.exec(content);
      if (match) starts.push([index, match[1]]);
    });
    moduleStarts.set(url, starts);
  }
  let found;
  for (const [start, file] of starts) {
    if (start > line) break;
    found = file;
  }
  return found ?? url.replace(/^.*\/dist\//, 'dist/');
}

const OTEL_METRICS = new Set(['@opentelemetry/sdk-metrics']);
const EXPRESS_DEPS = new Set([
  'express',
  'router',
  'body-parser',
  'raw-body',
  'iconv-lite',
  'type-is',
  'content-type',
  'media-typer',
  'mime-types',
  'mime-db',
  'on-finished',
  'finalhandler',
  'send',
  'debug',
  'depd',
  'http-errors',
  'bytes',
  'qs',
  'parseurl',
  'path-to-regexp',
  'unpipe',
  'ee-first',
  'encodeurl',
  'etag',
  'fresh',
  'vary',
  'cookie',
  'cookie-signature',
  'statuses',
  'merge-descriptors',
  'utils-merge',
  'safe-buffer',
  'setprototypeof',
  'toidentifier',
  'forwarded',
  'proxy-addr',
  'accepts',
  'negotiator',
  'range-parser',
  'content-disposition',
  'is-promise',
  'once',
  'wrappy',
]);

/** `{ area, file }` of one JavaScript frame (`url` non-empty). */
export function placeOf(url, line, functionName) {
  if (url.includes('/dist/') && !url.includes('node_modules')) {
    const marked = srcFileOf(url, line);
    const defined = definitionsOf(functionName);
    const file =
      defined === undefined || defined.has(marked) || defined.size !== 1 ? marked : [...defined][0];
    const folder = /^src\/([^/]+)\//.exec(file)?.[1] ?? 'root';
    return { area: `bulwark src/${folder}`, file };
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1];
  if (pkg !== undefined) {
    if (OTEL_METRICS.has(pkg)) return { area: 'OTel metrics SDK', file: pkg };
    if (pkg.startsWith('@opentelemetry/')) return { area: 'OTel trace/context/api', file: pkg };
    if (pkg === 'body-parser' || pkg === 'raw-body' || pkg === 'iconv-lite') {
      return { area: 'body-parser + raw-body', file: pkg };
    }
    if (EXPRESS_DEPS.has(pkg)) return { area: 'Express + router + deps', file: pkg };
    return { area: `package ${pkg}`, file: pkg };
  }
  if (url.startsWith('node:')) {
    const mod = url.slice('node:'.length);
    if (/deps\/undici/.test(mod)) return { area: 'node undici (fetch)', file: mod };
    if (/streams|stream_base|^stream/.test(mod)) return { area: 'node streams', file: mod };
    if (/^events|event_target/.test(mod)) return { area: 'node events', file: mod };
    if (/async_hooks|async_local_storage|async_context/.test(mod)) {
      return { area: 'node async hooks / ALS', file: mod };
    }
    if (/^_http|^http|internal\/http/.test(mod)) return { area: 'node http', file: mod };
    if (/^net|internal\/net|dns/.test(mod)) return { area: 'node net', file: mod };
    if (/crypto/.test(mod)) return { area: 'node crypto', file: mod };
    if (/timers|task_queues|process\/promises/.test(mod)) {
      return { area: 'node timers / microtasks', file: mod };
    }
    if (/abort_controller|webidl/.test(mod)) return { area: 'node AbortController', file: mod };
    if (/buffer/.test(mod)) return { area: 'node buffer', file: mod };
    return { area: 'node other', file: mod };
  }
  return { area: 'other JS', file: url };
}

/**
 * Summarises `profile` over `requests`: `{ totalUs, areas: Map<area, µs/req>,
 * functions: Map<"area | file | fn", µs/req> }`.
 */
export function summariseProfile(profile, requests) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parentOf.set(child, node.id);
  const self = selfTimes(profile);
  const areas = new Map();
  const functions = new Map();
  let totalUs = 0;
  const add = (map, key, us) => map.set(key, (map.get(key) ?? 0) + us);
  for (const [id, us] of self) {
    const node = byId.get(id);
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)' || functionName === '(root)') continue;
    totalUs += us;
    let place;
    if (functionName === '(garbage collector)') place = { area: 'GC', file: '' };
    else if (functionName === '(program)') place = { area: '(program)', file: '' };
    else if (url === '') {
      // A native function: the area of the nearest JavaScript caller.
      let caller = parentOf.get(id);
      while (caller !== undefined && byId.get(caller).callFrame.url === '') {
        caller = parentOf.get(caller);
      }
      const frame = caller === undefined ? undefined : byId.get(caller).callFrame;
      const callerPlace =
        frame === undefined
          ? { area: 'other JS' }
          : placeOf(frame.url, frame.lineNumber, frame.functionName);
      place = { area: callerPlace.area, file: `native (from ${callerPlace.file ?? '?'})` };
    } else place = placeOf(url, lineNumber, functionName);
    add(areas, place.area, us);
    add(functions, `${place.area} | ${place.file} | ${functionName || '(anonymous)'}`, us);
  }
  const perRequest = (map) => new Map([...map].map(([k, us]) => [k, us / requests]));
  return {
    totalUs: totalUs / requests,
    areas: perRequest(areas),
    functions: perRequest(functions),
  };
}

/** `node summarise-profile.mjs <file.cpuprofile> <requests>`: prints the areas of one profile. */
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, requests] = process.argv.slice(2);
  const summary = summariseProfile(JSON.parse(readFileSync(file, 'utf8')), Number(requests));
  const rows = [...summary.areas].sort((a, b) => b[1] - a[1]);
  for (const [area, us] of rows) process.stdout.write(`${us.toFixed(1).padStart(7)}  ${area}\n`);
  process.stdout.write(`${summary.totalUs.toFixed(1).padStart(7)}  total\n`);
}
