import { readFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { dirname, join, relative } from 'node:path';
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
  /** The files of the numbered steps (the first path on each `1. ` line), in order. */
  readonly steps: string[];
  /** Every `src/` path the section names, steps included. */
  readonly named: string[];
  /** The leaf helpers: the paths its bullet list (`- ` items) names. */
  readonly helpers: string[];
  /** The count it gives of the files run (`(31 files in all`), if it gives one. */
  readonly filesRun: number | undefined;
}

/** The walk under the `## <heading>` of ARCHITECTURE.md. */
export function walkInArchitecture(heading: string): ArchitectureWalk {
  const text = readFileSync(`${ROOT}ARCHITECTURE.md`, 'utf8');
  const section = text.split(`## ${heading}\n`)[1]?.split('\n## ')[0] ?? '';
  // A numbered line is a step; the first path it names is the step's file.
  const steps = section
    .split('\n')
    .filter((line) => /^\d+\. /.test(line))
    .map((line) => {
      const path = /`(src\/[^`]+)`/.exec(line)?.[1];
      if (path === undefined) throw new Error(`a step that names no file on its line: ${line}`);
      return path;
    });
  const named = [...new Set(pathsIn(section))];
  const bullets = section.split('\n\n').filter((paragraph) => paragraph.startsWith('- '));
  const helpers = [...new Set(bullets.flatMap((list) => pathsIn(list)))];
  const count = /\((\d+) files\s+in all/.exec(section)?.[1];
  return { steps, named, helpers, filesRun: count === undefined ? undefined : Number(count) };
}

function pathsIn(text: string): string[] {
  return [...text.matchAll(/`(src\/[^`]+\.ts)`/g)].map((m) => m[1]!);
}

// `import …`/`export …` with a clause (`{ a, type B }`, `* as n`, `d`, `d, { a }`), then `from '…'`.
const FROM_CLAUSE =
  /^(?:import|export)\s+(type\s+)?((?:[\w$]+\s*,\s*)?(?:\{[^}]*\}|\*(?:\s+as\s+[\w$]+)?|[\w$]+))\s+from\s+'([^']+)'/gm;
const SIDE_EFFECT = /^import\s+'([^']+)'/gm;

/**
 * The `src/` files `file` (a `src/` path) imports as values: every relative
 * import or re-export but `import type` and those whose specifiers are all
 * `type`. Read with regular expressions over the import lines, no compiler.
 */
export function valueImportsOf(file: string): string[] {
  const text = readFileSync(`${ROOT}${file}`, 'utf8');
  const specs: string[] = [];
  for (const [, typeOnly, clause, spec] of text.matchAll(FROM_CLAUSE)) {
    if (typeOnly !== undefined) continue;
    const braces = /^\{([^}]*)\}$/.exec(clause!.trim());
    const names = (braces?.[1] ?? '').split(',').map((name) => name.trim());
    if (braces !== null && names.filter(Boolean).every((name) => /^type\s/.test(name))) continue;
    specs.push(spec!);
  }
  for (const [, spec] of text.matchAll(SIDE_EFFECT)) specs.push(spec!);
  return specs
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => relative(ROOT, join(ROOT, dirname(file), spec)).replace(/\.js$/, '.ts'));
}
