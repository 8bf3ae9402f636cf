/** The page's styles, served as `.../app.css` (no inline style: the page runs under a strict CSP). */
export const PAGE_STYLE = `:root{color-scheme:light dark;--bg:#f6f7f9;--card:#fff;--fg:#1b1f24;--muted:#5b6470;--line:#d8dde3;--ok:#1a7f37;--warn:#b35900;--bad:#c62828;--calls:#2f6fdd;--failures:#d32f2f}
@media (prefers-color-scheme:dark){:root{--bg:#0f1216;--card:#171b21;--fg:#e6e9ed;--muted:#98a2ae;--line:#2a3039;--calls:#6ea1ff;--failures:#ff6b6b}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
header{display:flex;align-items:baseline;gap:1rem;flex-wrap:wrap;padding:.8rem 1.2rem;border-bottom:1px solid var(--line);background:var(--card);position:sticky;top:0}
header h1{font-size:1.15rem;margin:0}
#bulwark-updated{color:var(--muted)}
#bulwark-stream{padding:.1rem .55rem;border-radius:1rem;font-weight:600;background:var(--line)}
#bulwark-stream[data-stream=live]{background:#d7f5dd;color:#0b5b23}
#bulwark-stream[data-stream=lost],#bulwark-stream[data-stream=stale]{background:var(--bad);color:#fff}
main{padding:1rem 1.2rem;max-width:1400px;margin:0 auto}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:1rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:.5rem;padding:.8rem 1rem;margin-bottom:1rem}
.card h2{font-size:1.05rem;margin:0 0 .3rem;display:flex;justify-content:space-between;gap:1rem}
.card h3{font-size:.9rem;margin:.8rem 0 .2rem}
.summary,.more,figcaption{color:var(--muted);margin:.2rem 0}
figure{margin:.4rem 0}
svg.spark,svg.bars{width:100%;height:64px;display:block}
.spark polyline{fill:none;stroke-width:1.6}
.spark .calls{stroke:var(--calls)}.spark .failures{stroke:var(--failures)}.spark .axis{stroke:var(--line)}
.k-calls{color:var(--calls);font-weight:600}.k-failures{color:var(--failures);font-weight:600}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{text-align:left;padding:.2rem .4rem;border-bottom:1px solid var(--line)}
th{color:var(--muted);font-weight:500}
td.key{font-family:ui-monospace,monospace;word-break:break-all}
tr.full td,td.bad{color:var(--bad);font-weight:600}
.badge{display:inline-block;padding:0 .5rem;border-radius:1rem;font-weight:600;font-size:.85em}
.badge.closed,.badge.ok{background:#d7f5dd;color:#0b5b23}
.badge.half_open,.badge.ticket{background:#ffe8c2;color:#7a3e00}
.badge.open,.badge.page{background:var(--bad);color:#fff}
.trend{font-weight:500;font-size:.85rem;color:var(--muted)}
.trend.worse{color:var(--bad)}.trend.better{color:var(--ok)}
.legend{list-style:none;padding:0;margin:.3rem 0;columns:2}
.swatch{display:inline-block;width:.8em;height:.8em;margin-right:.35em;border-radius:2px;vertical-align:-1px}
.o-executed{fill:#2e9d4f;background:#2e9d4f}.o-replayed{fill:#2f6fdd;background:#2f6fdd}.o-in-flight{fill:#d99400;background:#d99400}.o-mismatch{fill:#8e44ad;background:#8e44ad}
.o-unavailable{fill:#d32f2f;background:#d32f2f}.o-unknown{fill:#7f0000;background:#7f0000}.o-lost{fill:#ef6c00;background:#ef6c00}.o-failed{fill:#78818c;background:#78818c}
`;
