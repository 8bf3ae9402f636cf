import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** The repository root. */
export const ROOT = resolve(new URL('../..', import.meta.url).pathname);

/**
 * Every package `entry` (a file under `src/`) loads at run time, through the
 * whole graph of relative imports it reaches. Type-only imports are skipped:
 * they vanish from the emitted JavaScript.
 */
export async function runtimePackagesOf(entry: string): Promise<string[]> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const queue = [resolve(ROOT, entry)];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    const emitted = ts.transpileModule(await readFile(file, 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, verbatimModuleSyntax: true },
    }).outputText;
    for (const { fileName } of ts.preProcessFile(emitted).importedFiles) {
      if (fileName.startsWith('.'))
        queue.push(resolve(dirname(file), fileName.replace(/\.js$/, '.ts')));
      else packages.add(fileName);
    }
  }
  return [...packages].sort();
}

/**
 * Writes `src/` as plain JavaScript under `dir` (one file per module, imports
 * unchanged) with a link to the repository's `node_modules`, so a child
 * process can import the library without a build step.
 */
export async function emitSourceTree(dir: string): Promise<void> {
  const src = join(ROOT, 'src');
  for (const entry of await readdir(src, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const file = join(entry.parentPath, entry.name);
    const out = join(dir, 'src', relative(src, file)).replace(/\.ts$/, '.js');
    const emitted = ts.transpileModule(await readFile(file, 'utf8'), {
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        verbatimModuleSyntax: true,
      },
    }).outputText;
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, emitted);
  }
  await writeFile(join(dir, 'package.json'), '{ "type": "module" }\n');
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
}
