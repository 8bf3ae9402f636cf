/**
 * The page's HTML: a shell that loads `app.css` and `app.js` from the
 * handler itself (no CDN, no font, no inline script or style) and fills in
 * from the live stream. `base` is where those files are, relative to the page.
 */
export function pageHtml(title: string, base: string): string {
  const t = escapeHtml(title);
  const b = escapeHtml(base);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${t}</title>
<link rel="icon" href="${b}icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="${b}app.css">
<script src="${b}app.js" defer></script>
</head>
<body>
<header>
<h1>${t}</h1>
<span id="bulwark-stream" data-stream="connecting">connecting…</span>
<span id="bulwark-updated"></span>
</header>
<main id="bulwark-status" data-base="${b}">
<p>Waiting for the first update…</p>
<noscript><p>This page updates with JavaScript. The same data is served as JSON: <a href="?format=json">?format=json</a>.</p></noscript>
</main>
</body>
</html>
`;
}

/** The page's icon: a small shield, served as `.../icon.svg`. */
export const PAGE_ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><path d="M8 1l6 2.5v4.2c0 3.4-2.5 6.2-6 7.3-3.5-1.1-6-3.9-6-7.3V3.5z" fill="#2f6fdd"/></svg>`;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
