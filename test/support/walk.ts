import { readFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { fileURLToPath } from 'node:url';

/*
 * The walks of ARCHITECTURE.md, measured: V8's precise coverage counts every
 * function call, so the `src/` files one request or call really runs are the
 * files with a count above zero after it. A walk that grows a file, or a
 * README walk that names a file the code no longer runs, fails its test.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The `src/` files with at least one function called while `work` ran. */
export async function sourceFilesRunBy(work: () => Promise<unknown>): Promise<string[]> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
    // Taking coverage resets the counts: what the next take reports is `work` alone.
    await session.post('Profiler.takePreciseCoverage');
    await work();
    const { result } = await session.post('Profiler.takePreciseCoverage');
    await session.post('Profiler.stopPreciseCoverage');
    const files = new Set<string>();
    for (const script of result) {
      const path = script.url.startsWith('file:') ? fileURLToPath(script.url) : script.url;
      if (!path.startsWith(`${ROOT}src/`)) continue;
      if (script.functions.some((fn) => fn.ranges.some((range) => range.count > 0))) {
        files.add(path.slice(ROOT.length).split('?')[0]!);
      }
    }
    return [...files].sort();
  } finally {
    session.disconnect();
  }
}

/** A walk of ARCHITECTURE.md: its numbered steps, and the helpers it names as run on the way. */
export interface ArchitectureWalk {
  /** The files of the numbered steps (`1. \`src/...\``), in order. */
  readonly steps: string[];
  /** Every `src/` path the section names, steps included. */
  readonly named: string[];
}

/** The walk under the `## <heading>` of ARCHITECTURE.md. */
export function walkInArchitecture(heading: string): ArchitectureWalk {
  const text = readFileSync(`${ROOT}ARCHITECTURE.md`, 'utf8');
  const section = text.split(`## ${heading}\n`)[1]?.split('\n## ')[0] ?? '';
  const steps = section
    .split('\n')
    .filter((line) => /^\d+\. `src\//.test(line))
    .map((line) => /`(src\/[^`]+)`/.exec(line)![1]!);
  const named = [...new Set([...section.matchAll(/`(src\/[^`]+\.ts)`/g)].map((m) => m[1]!))];
  return { steps, named };
}
