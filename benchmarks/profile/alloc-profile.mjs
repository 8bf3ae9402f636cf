/**
 * Bytes allocated per request, from V8's sampling heap profiler: `run` serves
 * `requests` requests while the profiler samples every `samplingIntervalB`
 * bytes allocated, keeping the objects a GC already collected (what a request
 * allocates and drops is what it costs the GC). Sizes are attributed to the
 * allocating function, mapped to areas and to bulwark's `src/` files like the
 * CPU profiles (`summarise-profile.mjs`).
 */
import { Session } from 'node:inspector/promises';
import { placeOf } from './summarise-profile.mjs';

/** Resolves a markdown report: bytes per request by area, then the top bulwark functions. */
export async function allocationPerRequest(run, requests, samplingIntervalB = 512) {
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.enable');
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: samplingIntervalB,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  await run();
  const { profile } = await session.post('HeapProfiler.stopSampling');
  await session.post('HeapProfiler.disable');
  session.disconnect();

  const areas = new Map();
  const functions = new Map();
  const add = (map, key, bytes) => map.set(key, (map.get(key) ?? 0) + bytes);
  let total = 0;
  const walk = (node, caller) => {
    const { url, functionName } = node.callFrame;
    // Native frames (no url) count towards their nearest JavaScript caller.
    const frame = url === '' ? caller : node.callFrame;
    if (node.selfSize > 0) {
      total += node.selfSize;
      const place =
        frame === undefined
          ? { area: '(root)', file: '' }
          : placeOf(frame.url, frame.lineNumber, frame.functionName);
      add(areas, place.area, node.selfSize);
      if (place.area.startsWith('bulwark')) {
        const name = frame.functionName || '(anonymous)';
        const via = url === '' ? ` > ${functionName || '(native)'}` : '';
        add(functions, `${place.file} | ${name}${via}:${frame.lineNumber}`, node.selfSize);
      }
    }
    for (const child of node.children) walk(child, frame);
  };
  walk(profile.head, undefined);
  const rows = (map, limit) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([key, bytes]) => `| ${key} | ${Math.round(bytes / requests)} |`)
      .join('\n');
  const bulwark = [...areas]
    .filter(([a]) => a.startsWith('bulwark'))
    .reduce((s, [, b]) => s + b, 0);
  return [
    `bytes/request: all ${Math.round(total / requests)}, bulwark ${Math.round(bulwark / requests)}`,
    '',
    '| area | bytes/request |',
    '| --- | ---: |',
    rows(areas, 30),
    '',
    '| bulwark file | function:line | bytes/request |',
    '| --- | ---: |',
    rows(functions, 60),
    '',
  ].join('\n');
}
