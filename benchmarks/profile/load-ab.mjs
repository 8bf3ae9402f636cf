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
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pairedRatio, summarise } from '../harness.mjs';
import { startServer, stop } from '../http/processes.mjs';
import { transfersUrl } from '../http/rounds.mjs';
import { loadRoundsWithCpu } from './server-cpu.mjs';

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
const shape = { durationS: Number(values.seconds), connections: Number(values.connections) };

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
  const rps = await loadRoundsWithCpu(running, Number(values.rounds), shape);
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
