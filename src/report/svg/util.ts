// Small helpers for hand-written SVG: scales, ticks, text sizes, colours.

/** Round to 0.1 px: enough for the eye, and it keeps paths short. */
export const px = (v: number): string => (Math.round(v * 10) / 10).toString();

export function linear(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const span = d1 - d0 || 1;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

/** About `count` round tick values covering [0, max]. */
export function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = 0; v <= max + step * 1e-9; v += step) ticks.push(Math.round(v * 1e6) / 1e6);
  return ticks;
}

/** The smallest tick at or above max (so the plot's top is a labelled line). */
export function niceMax(max: number, count = 5): number {
  const ticks = niceTicks(max, count);
  const last = ticks[ticks.length - 1] ?? 1;
  if (last >= max && last > 0) return last;
  const step = ticks.length > 1 ? ticks[1]! - ticks[0]! : 1;
  return last + step;
}

/** Rough width of a text in a sans-serif font (good enough to avoid label collisions). */
export const textWidth = (text: string, fontSize: number): number => text.length * fontSize * 0.56;

/** Colours of series that stand for real servers, in order. */
export const SERIES_COLOURS = ['#2563eb', '#0d9488', '#7c3aed', '#0891b2', '#65a30d', '#c026d3', '#4f46e5', '#0f766e'];
export const FAIL_COLOUR = '#dc2626';
export const EVENT_COLOUR = '#111827';
export const ROUTE_COLOUR = '#9333ea';
export const DURING_FILL = '#fff7e6';
export const GRID_COLOUR = '#e5e7eb';
export const MUTED = '#6b7280';
