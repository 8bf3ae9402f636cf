/**
 * One server variant built from two (or more) builds of bulwark, under the
 * load of the http-server scenarios: paired, interleaved rounds of req/s and
 * of the server process's CPU per request (user + system, from /proc), each
 * as a ratio to the first case. What a change does under load, where a cost
 * can differ from what `in-process.mjs` or `fastify-in-process.mjs` show
 * (the Fastify answer hold cost about 2 µs in process and about 10 under
 * load). Copy the base build first (`cp -r dist .tmp/base-dist`), then:
 *
 *   node benchmarks/profile/load-ab.mjs [--framework express|fastify] [--rounds 10] [--seconds 3]
 *                                       bulwark-memory@.tmp/base-dist bulwark-memory hand-rolled
 *
 * A case is `variant[@dir]`: a variant of `http/server.mjs` (Express) or
 * `http/fastify-server.mjs`, run against the build in `dir` (`BULWARK_DIST`),
 * or the repository's dist/ without one. Linux only (/proc). Prints one line
 * per case.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { interleave, pairedRatio, summarise } from '../harness.mjs';
import { load, startServer, stop } from '../http/processes.mjs';
import { transfersUrl } from '../http/rounds.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    framework: { type: 'string', default: 'fastify' },
    rounds: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '10' },
  },
});
const scripts = { express: './server.mjs', fastify: './fastify-server.mjs' };
const script = scripts[values.framework];
if (script === undefined)
  throw new Error(`--framework is express or fastify, not ${values.framework}`);
if (positionals.length < 2) throw new Error('name at least two cases: variant[@dir] ...');
const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
const shape = { durationS: Number(values.seconds), connections: Number(values.connections) };

/** User + system CPU of process `pid` so far, in µs. */
function cpuUs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / ticksPerSecond;
}

/** Starts case `spec` with its build: the servers inherit this process's environment. */
async function start(spec) {
  const [variant, dir] = spec.split('@');
  if (dir === undefined) delete process.env.BULWARK_DIST;
  else process.env.BULWARK_DIST = resolve(dir);
  const started = await startServer(variant, script);
  if (started.skip) throw new Error(`${spec}: ${started.skip}`);
  return { id: spec, ...started, url: transfersUrl(started.port), cpu: [] };
}

const running = [];
try {
  for (const spec of positionals) running.push(await start(spec));
  for (const c of running) await load({ url: c.url, durationS: 2, connections: shape.connections });
  const rps = await interleave(running, Number(values.rounds), async (c) => {
    const before = cpuUs(c.child.pid);
    const result = await load({ url: c.url, ...shape });
    if (result.non2xx > 0 || result.errors > 0) {
      throw new Error(`${c.id}: ${result.non2xx} non-2xx, ${result.errors} errors`);
    }
    c.cpu.push((cpuUs(c.child.pid) - before) / result.requests);
    return result.rps;
  });
  const range = (r) => `${r.median.toFixed(3)} [${r.p25.toFixed(3)}-${r.p75.toFixed(3)}]`;
  running.forEach((c, i) => {
    const cpu = summarise(c.cpu).median.toFixed(1);
    process.stdout.write(
      `${c.id}: ${Math.round(summarise(rps[i]).median)} req/s, ratio ${range(pairedRatio(rps[i], rps[0]))}; ` +
        `CPU ${cpu} µs/request, ratio ${range(pairedRatio(c.cpu, running[0].cpu))}\n`,
    );
  });
} finally {
  for (const c of running) await stop(c.child);
}
