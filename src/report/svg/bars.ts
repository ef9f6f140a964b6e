// Horizontal share bars: ok answers per real server against the configured share, and new
// connections per director against an even split.
import type { RunResults } from '../../experiment/types.js';
import { escapeHtml, fmtCount, fmtPercent } from '../format.js';
import { MUTED, SERIES_COLOURS, px, textWidth } from './util.js';
import { serversOf } from './timeline.js';
import { NOT_MEASURED, directorCount, directorNames } from '../common.js';

interface BarRow {
  name: string;
  /** null: not measured (reason says why); drawn as text, never as an empty bar. */
  value: number | null;
  reason?: string;
  share: number | null;
  reference?: number;
  colour: string;
}

interface BarGroup {
  title: string;
  referenceLabel: string;
  rows: BarRow[];
}

const DIRECTOR_COLOUR = '#475569';

function groups(results: RunResults): BarGroup[] {
  const servers = serversOf(results);
  const rsTotal = servers.reduce((s, rs) => s + (results.hits.perRealServer[rs] ?? 0), 0);
  const directors = directorNames(results.hits);
  const counts = directors.map((d) => directorCount(results.hits, d));
  // Shares only when every director was measured: a share of a partial total misleads.
  const dirTotal = counts.every((c) => c.value !== null) ? counts.reduce((s, c) => s + c.value!, 0) : 0;
  return [
    {
      title: 'Real servers: ok answers (clients)',
      referenceLabel: 'configured share',
      rows: servers.map((rs, i) => {
        const value = results.hits.perRealServer[rs] ?? 0;
        const expected = results.hits.expectedShare[rs];
        return {
          name: rs,
          value,
          share: rsTotal > 0 ? value / rsTotal : null,
          ...(expected !== undefined ? { reference: expected } : {}),
          colour: SERIES_COLOURS[i % SERIES_COLOURS.length]!,
        };
      }),
    },
    {
      title: 'Directors: new connections (counters)',
      referenceLabel: 'even split',
      rows: directors.map((d, i) => {
        const { value, reason } = counts[i]!;
        return {
          name: d,
          value,
          ...(reason !== undefined ? { reason } : {}),
          share: value !== null && dirTotal > 0 ? value / dirTotal : null,
          reference: 1 / directors.length,
          colour: DIRECTOR_COLOUR,
        };
      }),
    },
  ];
}

export function hitsChart(results: RunResults, width = 560): string {
  const gs = groups(results);
  const fontSize = 12;
  const nameW = Math.min(160, Math.max(60, ...gs.flatMap((g) => g.rows.map((r) => textWidth(r.name, fontSize) + 14))));
  const valueW = 120;
  const left = nameW;
  const right = width - valueW;
  const rowH = 30;
  const parts: string[] = [];
  let yy = 0;
  const body: string[] = [];
  for (const g of gs) {
    yy += 20;
    body.push(`<text x="0" y="${yy}" font-weight="600" fill="#111827">${escapeHtml(g.title)}</text>`);
    yy += 12;
    if (g.rows.length === 0) {
      yy += 18;
      body.push(`<text x="${left}" y="${yy}" fill="${MUTED}">none recorded</text>`);
      yy += 8;
      continue;
    }
    for (const r of g.rows) {
      const top = yy + 6;
      const barH = rowH - 12;
      const w = (right - left) * Math.max(0, Math.min(1, r.share ?? 0));
      body.push(`<g class="bar">`);
      body.push(`<text x="${left - 8}" y="${top + barH / 2 + 4}" text-anchor="end" fill="#111827">${escapeHtml(clipName(r.name, nameW - 12, fontSize))}<title>${escapeHtml(r.name)}</title></text>`);
      body.push(`<rect x="${left}" y="${top}" width="${px(right - left)}" height="${barH}" fill="#f3f4f6"/>`);
      if (r.value === null) {
        body.push(`<text class="not-measured" x="${left + 8}" y="${top + barH / 2 + 4}" fill="${MUTED}">${escapeHtml(NOT_MEASURED)}<title>${escapeHtml(r.reason ?? '')}</title></text>`);
        body.push(`</g>`);
        yy += rowH;
        continue;
      }
      body.push(
        `<rect class="bar-value" x="${left}" y="${top}" width="${px(w)}" height="${barH}" fill="${r.colour}"><title>${escapeHtml(`${r.name}: ${r.value} (${fmtPercent(r.share)})`)}</title></rect>`,
      );
      if (r.reference !== undefined) {
        const rx = left + (right - left) * Math.max(0, Math.min(1, r.reference));
        body.push(`<line x1="${px(rx)}" x2="${px(rx)}" y1="${top - 3}" y2="${top + barH + 3}" stroke="#111827" stroke-width="2"><title>${escapeHtml(`${g.referenceLabel}: ${fmtPercent(r.reference)}`)}</title></line>`);
      }
      body.push(`<text x="${px(right + 8)}" y="${top + barH / 2 + 4}" fill="#111827">${escapeHtml(`${fmtCount(r.value)}  ${fmtPercent(r.share)}`)}</text>`);
      body.push(`</g>`);
      yy += rowH;
    }
    yy += 6;
  }
  // Legend for the reference tick.
  yy += 14;
  body.push(`<line x1="${left}" x2="${left}" y1="${yy - 10}" y2="${yy + 2}" stroke="#111827" stroke-width="2"/>`);
  body.push(`<text x="${left + 8}" y="${yy}" fill="${MUTED}" font-size="11">configured share (real servers), even split (directors)</text>`);
  yy += 8;
  parts.push(
    `<svg class="chart hits-chart" viewBox="0 0 ${width} ${yy}" width="${width}" height="${yy}" role="img" aria-label="Hits per real server and per director" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="${fontSize}">`,
    '<title>Hits per real server and per director</title>',
    ...body,
    '</svg>',
  );
  return parts.join('\n');
}

/** A long name shortened with an ellipsis to fit `width` pixels. */
function clipName(name: string, width: number, fontSize: number): string {
  const max = Math.max(3, Math.floor(width / (fontSize * 0.56)));
  return name.length <= max ? name : `${name.slice(0, max - 1)}…`;
}
