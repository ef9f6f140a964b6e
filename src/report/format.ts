// Escaping and number formatting shared by every report format.
//
// Every string that comes from results.json (node names, log lines, descriptions, raw
// command output) passes through one of the escapers before it lands in a report: a node
// called `<script>` must show up as text, never as markup.

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * XML 1.0 forbids most control characters even when escaped; they become U+FFFD so a
 * stray byte in a daemon's log cannot make a report unparsable.
 */
const XML_FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/** Text or attribute value for HTML/SVG (also well-formed XML: the HTML report is polyglot). */
export function escapeHtml(value: unknown): string {
  return String(value).replace(XML_FORBIDDEN, '\uFFFD').replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** Text or attribute value for XML (JUnit). Same rules as HTML: the five predefined entities only. */
export const escapeXml = escapeHtml;

/**
 * Plain text inside Markdown (also inside a table cell): Markdown syntax characters are
 * backslash-escaped, and `<`/`>`/`&` become entities so no renderer sees raw HTML.
 */
export function mdText(value: unknown): string {
  return String(value)
    .replace(/\r?\n/g, ' ')
    .replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`)
    // `#` only makes a heading at the start of a line.
    .replace(/^#/, '\\#')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/**
 * A Markdown code span (identifiers, expressions, raw lines). Inside a code span `<` is
 * literal text, so only the backtick fence and table pipes need care.
 */
export function mdCode(value: unknown): string {
  const text = String(value).replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
  const longestRun = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longestRun + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** A Markdown table from a header row and body rows (cells already escaped). */
export function mdTable(header: string[], rows: string[][], align?: Array<'l' | 'r' | 'c'>): string {
  const sep = header.map((_, i) => {
    const a = align?.[i] ?? 'l';
    return a === 'r' ? '---:' : a === 'c' ? ':---:' : '---';
  });
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(sep), ...rows.map(line)].join('\n');
}

/** Decimal places that show a figure to its resolution (0.001 s -> 3). */
export function decimalsFor(resolution: number | null | undefined, fallback = 3): number {
  if (resolution === null || resolution === undefined || !(resolution > 0) || !Number.isFinite(resolution)) return fallback;
  return Math.min(6, Math.max(0, Math.ceil(-Math.log10(resolution) - 1e-9)));
}

/** Decimals when a figure has no resolution: ratios and p-values need more than seconds. */
export function fallbackDecimals(unit: string): number {
  return unit === 'ratio' || unit === 'p-value' ? 4 : 3;
}

/**
 * The one rule for printing a measured number, in every output: its resolution decides
 * the decimals, and the resolution is printed with the same decimals, so no digit claims
 * more than the method can see (resolution 0.0024 s: value 4.133, resolution 0.002; a
 * count's resolution 1: integers). `fmtResolution` is the same call on the resolution.
 */
export function fmtMeasured(value: number | null | undefined, resolution: number | null | undefined, unit = ''): string {
  return fmtNumber(value, decimalsFor(resolution, fallbackDecimals(unit)));
}

/** A figure's resolution, to the decimals it gives its value (see fmtMeasured); an em dash for none. */
export function fmtResolution(resolution: number | null | undefined, unit = ''): string {
  return resolution === null || resolution === undefined ? '—' : fmtMeasured(resolution, resolution, unit);
}

/** A number to fixed decimals without `-0`, or an em dash for null/NaN. */
export function fmtNumber(value: number | null | undefined, decimals = 3): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const text = value.toFixed(decimals);
  return /^-0(\.0*)?$/.test(text) ? text.slice(1) : text;
}

/** An integer with thin grouping (16 000). */
export function fmtCount(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return Math.round(value)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, '\u2009');
}

/** A share 0..1 as a percentage with one decimal. */
export function fmtPercent(share: number | null | undefined): string {
  if (share === null || share === undefined || !Number.isFinite(share)) return '—';
  return `${(share * 100).toFixed(1)} %`;
}

/** Seconds since traffic start, from an epoch-ms timestamp. */
export function relSeconds(epochMs: number, trafficStart: number): number {
  return (epochMs - trafficStart) / 1000;
}

/** `12.345 s` relative to traffic start; negative times (set-up before traffic) keep their sign. */
export function fmtRel(epochMs: number, trafficStart: number, decimals = 3): string {
  return `${fmtNumber(relSeconds(epochMs, trafficStart), decimals)} s`;
}

/** A duration in ms, readable at any size. */
export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  if (Math.abs(ms) < 10) return `${ms.toFixed(1)} ms`;
  if (Math.abs(ms) < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** An epoch-ms timestamp as UTC ISO text with milliseconds. */
export function fmtIso(epochMs: number): string {
  return Number.isFinite(epochMs) ? new Date(epochMs).toISOString() : '—';
}
