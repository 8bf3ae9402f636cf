/**
 * The tarball itself: packed once from the built `dist/`, then linted as a
 * package (publint), checked for type resolution in every module mode (attw),
 * and checked for stray files.
 */
import { join } from 'node:path';
import { bin, check, root, run } from './harness.mjs';

/** Packs the package into `work` and returns the tarball's path and npm's description of it. */
export function packTarball(work) {
  const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], root))[0];
  console.log(
    `  tarball ${packed.filename}: ${packed.size} bytes packed, ${packed.unpackedSize} unpacked, ${packed.entryCount} files`,
  );
  return { tarball: join(work, packed.filename), packed };
}

export async function tarballChecks({ tarball, packed }) {
  console.log('tarball:');
  await check(
    'publint passes on the tarball',
    () => void run(bin('publint'), ['run', tarball, '--strict'], root),
  );
  await check(
    'attw passes on the tarball (default profile: node10, node16 CJS and ESM, bundler)',
    () =>
      void run(
        bin('attw'),
        [
          tarball,
          '--format',
          'table-flipped',
          // bulwark is ESM-only, so attw flags every `require('bulwark')` from a
          // CommonJS file under node16 as "ESM (dynamic import only)". That is no
          // longer true for bulwark's users: it needs Node >= 22.15 (`engines`), where
          // require(esm) works without a flag (since 22.12), and TypeScript >= 5.8 models
          // it under `module: nodenext` / `node20` (attw analyses with an older
          // TypeScript that does not). The type-shape checks prove both: a CommonJS
          // consumer under `nodenext` type-checks, and its compiled output, like a
          // `module: commonjs` consumer's, runs and requires every subpath. Only
          // `module: node16`/`node18` from a CommonJS file still reports TS1479: those
          // settings describe a Node without require(esm), which bulwark cannot run on.
          // Every other rule stays on.
          '--ignore-rules',
          'cjs-resolves-to-esm',
        ],
        root,
      ),
  );
  await check('the tarball holds no source maps of tests or stray files', () => {
    const stray = packed.files
      .map((f) => f.path)
      .filter((p) => !/^(dist\/|README\.md$|CHANGELOG\.md$|LICENSE$|package\.json$)/.test(p));
    if (stray.length) throw new Error(`unexpected files: ${stray.join(', ')}`);
  });
}
