// The page around every HTML report: one self-contained file (inline CSS, inline SVG, no
// scripts, fonts or images from anywhere). It is also well-formed XML (void elements
// self-closed, only XML's predefined entities), so a strict XML parser can check that
// every string from the data was escaped.
import { escapeHtml } from './format.js';

const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f3f4f6; color: #111827; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1320px; margin: 0 auto; padding: 20px 24px 40px; }
header.page { display: flex; flex-wrap: wrap; align-items: baseline; gap: 8px 16px; margin-bottom: 8px; }
header.page h1 { font-size: 24px; margin: 0; }
header.page .sub { color: #4b5563; width: 100%; margin: 0; }
.meta { display: flex; flex-wrap: wrap; gap: 6px 18px; color: #374151; margin: 6px 0 14px; font-size: 13px; }
.meta b { color: #111827; font-weight: 600; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 999px; font-weight: 700; font-size: 13px; letter-spacing: 0.3px; }
.badge.pass { background: #dcfce7; color: #166534; border: 1px solid #86efac; }
.badge.fail { background: #fee2e2; color: #991b1b; border: 1px solid #fca5a5; }
.fallback { background: #fff7ed; border: 2px solid #ea580c; border-left-width: 10px; color: #7c2d12; padding: 12px 16px; border-radius: 8px; margin: 10px 0 16px; }
.fallback strong { font-size: 16px; display: block; margin-bottom: 2px; }
section.card { background: #fff; border: 1px solid #e5e7eb; border-radius: 10px; padding: 16px 20px; margin: 14px 0; box-shadow: 0 1px 2px rgba(0,0,0,0.04); overflow-x: auto; }
section.card > h2 { font-size: 17px; margin: 0 0 10px; }
h3 { font-size: 14px; margin: 14px 0 6px; color: #374151; }
.grid2 { display: grid; grid-template-columns: minmax(0, 1.25fr) minmax(0, 1fr); gap: 0 14px; }
.grid2 > section.card { margin: 14px 0 0; }
.kpis { display: grid; grid-template-columns: repeat(auto-fill, minmax(136px, 1fr)); gap: 10px; margin: 4px 0 4px; }
.kpi { border: 1px solid #e5e7eb; border-radius: 8px; padding: 10px 12px; background: #fafafa; }
.kpi .label { color: #4b5563; font-size: 12px; }
.kpi .value { font-size: 24px; font-weight: 700; font-variant-numeric: tabular-nums; }
.kpi .unit { font-size: 13px; color: #4b5563; font-weight: 400; margin-left: 3px; }
.kpi .res { color: #6b7280; font-size: 11px; }
.kpi.bad { border-color: #fca5a5; background: #fef2f2; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #e5e7eb; vertical-align: top; }
th { background: #f9fafb; color: #374151; font-weight: 600; white-space: nowrap; }
tbody tr:nth-child(even) td { background: #fcfcfd; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.method { color: #4b5563; font-size: 12px; }
td.unit { white-space: nowrap; }
tr.action td { background: #f1f5f9 !important; }
tr.route td { background: #faf5ff !important; }
td.pass { color: #166534; font-weight: 700; }
td.fail { color: #991b1b; font-weight: 700; }
tr.failed td { background: #fef2f2 !important; }
tr.total td { border-top: 2px solid #9ca3af; }
td.not-measured { color: #b45309; font-style: italic; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 12px; }
.muted { color: #6b7280; }
.note { color: #6b7280; font-size: 12px; margin: 6px 0 0; }
.chip { display: inline-block; margin: 1px 4px 1px 0; padding: 1px 7px; border-radius: 6px; border: 1px solid #d1d5db; background: #f9fafb; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; white-space: nowrap; }
.chip.missing { border-color: #f87171; background: #fee2e2; color: #991b1b; text-decoration: line-through; }
.chip.added { border-color: #4ade80; background: #dcfce7; color: #166534; }
.count { font-weight: 700; margin-right: 6px; }
.count.less { color: #b91c1c; }
td.changed { background: #fffbeb !important; }
.fib .hop { display: block; padding-left: 14px; }
.fib .hop.missing { color: #b91c1c; text-decoration: line-through; }
.fib .hop.added { color: #15803d; }
.chart { max-width: 100%; height: auto; display: block; }
details summary { cursor: pointer; color: #374151; margin: 6px 0; }
.agree { color: #166534; font-weight: 700; }
.disagree { color: #991b1b; font-weight: 700; }
footer { color: #6b7280; font-size: 12px; margin-top: 18px; }
@media print { body { background: #fff; } section.card { box-shadow: none; break-inside: avoid; } }
`;

export function htmlPage(title: string, body: string): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8"/>',
    '<meta name="viewport" content="width=device-width, initial-scale=1"/>',
    // Nothing in this page may load anything: the policy makes a mistake visible at once.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"/>`,
    `<title>${escapeHtml(title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    '<main>',
    body,
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** An HTML table from header cells and rows of already-rendered cells. */
export function htmlTable(header: Array<string | { text: string; cls: string }>, rows: string[][], opts: { cls?: string; rowCls?: Array<string | undefined> } = {}): string {
  const th = header.map((h) => (typeof h === 'string' ? `<th>${escapeHtml(h)}</th>` : `<th class="${h.cls}">${escapeHtml(h.text)}</th>`)).join('');
  const body = rows
    .map((r, i) => {
      const cls = opts.rowCls?.[i];
      return `<tr${cls ? ` class="${cls}"` : ''}>${r.join('')}</tr>`;
    })
    .join('\n');
  return `<table${opts.cls ? ` class="${opts.cls}"` : ''}><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** A table cell from text (escaped here). */
export function td(text: string, cls?: string): string {
  return `<td${cls ? ` class="${cls}"` : ''}>${escapeHtml(text)}</td>`;
}

/** A table cell from markup already escaped by the caller. */
export function tdRaw(html: string, cls?: string): string {
  return `<td${cls ? ` class="${cls}"` : ''}>${html}</td>`;
}
