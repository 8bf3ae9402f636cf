/**
 * Preloaded (`node --import`) into a server variant by `cpu-profile.mjs`:
 * starts and stops V8's CPU profiler on IPC messages, so the profile covers
 * the measured load only (no start-up, no warm-up). Answers `stop` with the
 * path of the `.cpuprofile` it wrote and the process's CPU time (µs) meanwhile. Adds nothing to the request path.
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';

if (process.send !== undefined) {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  // Sample finely: a request costs a few hundred microseconds of CPU.
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  let cpuAtStart;
  process.on('message', async (message) => {
    if (message?.type === 'start') {
      await session.post('Profiler.start');
      cpuAtStart = process.cpuUsage();
      process.send({ type: 'started' });
    } else if (message?.type === 'stop') {
      // User + system CPU of this process while loaded: unlike the sampled
      // (wall-clock) profile, it does not grow when other processes take the cores.
      const { user, system } = process.cpuUsage(cpuAtStart);
      const { profile } = await session.post('Profiler.stop');
      await writeFile(message.file, JSON.stringify(profile));
      process.send({ type: 'stopped', file: message.file, cpuUs: user + system });
    }
  });
  // The IPC channel must not keep the server alive once it is told to stop.
  process.channel?.unref();
}
