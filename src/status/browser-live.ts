import type { StatusUi } from './browser-ui.js';

/**
 * The page's live loop (runs in the browser; see `StatusUi`): one
 * EventSource on `<base>events`, a redraw per update, and a banner that says
 * when updates stop, whether the stream errored or just went quiet.
 */
export function startLive(ui: StatusUi): void {
  const root = document.getElementById('bulwark-status');
  const banner = document.getElementById('bulwark-stream');
  const stamp = document.getElementById('bulwark-updated');
  if (root === null || banner === null || stamp === null) return;
  const base = root.getAttribute('data-base') ?? './';
  let lastAt = 0;
  let intervalMs = 1_000;
  let source: EventSource | undefined;

  function show(state: 'live' | 'lost' | 'stale', text: string): void {
    banner?.setAttribute('data-stream', state);
    if (banner) banner.textContent = text;
  }

  function connect(): void {
    source = new EventSource(`${base}events`);
    source.addEventListener('status', (event) => {
      const report = JSON.parse((event as MessageEvent<string>).data);
      lastAt = Date.now();
      intervalMs = report.updateIntervalMs;
      root?.replaceChildren(ui.view(report));
      if (stamp) stamp.textContent = `updated ${new Date(report.generatedAt).toLocaleTimeString()}`;
      show('live', 'live');
    });
    source.addEventListener('error', () => {
      show('lost', 'data stream lost: reconnecting…');
      // A refused stream (503, 429) is not retried by EventSource itself.
      if (source?.readyState === EventSource.CLOSED) setTimeout(connect, 5_000);
    });
  }

  setInterval(() => {
    if (
      lastAt > 0 &&
      Date.now() - lastAt > intervalMs * 3 + 1_000 &&
      banner?.getAttribute('data-stream') === 'live'
    ) {
      show(
        'stale',
        `no update for ${Math.round((Date.now() - lastAt) / 1000)} s: data stream lost?`,
      );
    }
  }, 1_000);
  connect();
}
