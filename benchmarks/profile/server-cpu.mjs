/**
 * Server processes' CPU per request under the load of the http scenarios, for
 * `load-cost.mjs` and `load-ab.mjs`: the process's own user + system time,
 * read from /proc (Linux only), over each autocannon round.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { interleave } from '../harness.mjs';
import { load } from '../http/processes.mjs';

const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

/** User + system CPU of process `pid` so far, in µs. */
export function processCpuUs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime are fields 14 and 15 of stat: 12 and 13 after the command name.
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / ticksPerSecond;
}

/**
 * Loads each of `servers` (`{ id, child, url, cpu: [] }`) once to warm it up,
 * then in `rounds` interleaved rounds of `shape` (`{ durationS, connections }`),
 * pushing the server's CPU µs per request of each round onto its `cpu`.
 * Resolves the req/s series per server; a non-2xx answer or an error fails it.
 */
export async function loadRoundsWithCpu(servers, rounds, shape) {
  for (const s of servers) await load({ url: s.url, durationS: 2, connections: shape.connections });
  return interleave(servers, rounds, async (s) => {
    const before = processCpuUs(s.child.pid);
    const result = await load({ url: s.url, ...shape });
    if (result.non2xx > 0 || result.errors > 0) {
      throw new Error(`${s.id}: ${result.non2xx} non-2xx, ${result.errors} errors`);
    }
    s.cpu.push((processCpuUs(s.child.pid) - before) / result.requests);
    return result.rps;
  });
}
