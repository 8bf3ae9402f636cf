#!/usr/bin/env node
/**
 * Tests the package as shipped (run after `npm run build`): packs `dist/` once
 * into a tarball, checks the tarball (publint, attw), then installs that one
 * tarball into fresh consumer projects in a temp dir, one per shape a user's
 * project takes:
 * - core only: `npm install bulwark` alone (its size; `bulwark/otel` without the SDK);
 * - the current OpenTelemetry line: bulwark added to the latest OTel packages;
 * - zero-code: `node --import bulwark/otel/register` with the auto-instrumentations;
 * - a full application: every subpath imported and required, Express 4 and 5,
 *   what each subpath loads, the README's snippets;
 * - types per subpath and module setting, with only that subpath's peers.
 *
 * Prints one line per check and a closing `package checks: N passed, N failed`;
 * with BULWARK_PACKAGE_REPORT set, also writes the counts there as JSON.
 * Installs share npm's cache (`--prefer-offline`).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { coreOnlyChecks } from './core-only.mjs';
import { currentOtelChecks } from './current-otel.mjs';
import { fullAppChecks } from './full-app.mjs';
import { totals } from './harness.mjs';
import { publicSurfaceChecks } from './public-surface.mjs';
import { packTarball, tarballChecks } from './tarball.mjs';
import { typeShapeChecks } from './type-shapes.mjs';
import { zeroCodeChecks } from './zero-code.mjs';

const started = Date.now();
const work = mkdtempSync(join(tmpdir(), 'bulwark-package-'));
try {
  console.log('package checks (on the packed tarball):');
  const { tarball, packed } = packTarball(work);
  const context = { work, tarball };
  for (const checks of [
    () => tarballChecks({ tarball, packed }),
    () => publicSurfaceChecks(),
    () => coreOnlyChecks(context),
    () => currentOtelChecks(context),
    () => zeroCodeChecks(context),
    () => fullAppChecks(context),
    () => typeShapeChecks(context),
  ]) {
    const t0 = Date.now();
    await checks();
    console.log(`  (${seconds(Date.now() - t0)} s)`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const { passed, failed } = totals();
console.log(`all package checks: ${seconds(Date.now() - started)} s`);
console.log(`package checks: ${passed} passed, ${failed} failed`);
if (process.env.BULWARK_PACKAGE_REPORT) {
  const report = { numPassedTests: passed, numFailedTests: failed, success: failed === 0 };
  writeFileSync(process.env.BULWARK_PACKAGE_REPORT, JSON.stringify(report));
}
process.exit(failed === 0 ? 0 : 1);

function seconds(ms) {
  return (ms / 1000).toFixed(1);
}
