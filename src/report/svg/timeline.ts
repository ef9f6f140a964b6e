// The timeline chart: successes per real server and failures per time bucket as stacked
// step areas, the phases shaded, every timeline action as a labelled vertical line,
// every route change of the VIP as a dashed line, and under the plot a lane with the
// router's number of next hops to the VIP over time.
import type { RunResults, TimeBucket } from '../../experiment/types.js';
import { actionEvents, durationOf, nextHopTimeline, phaseWindows, type AxisEvent } from '../analysis.js';
import { escapeHtml, fmtNumber } from '../format.js';
import type { ResultsTopology } from '../topology.js';
import {
  DURING_FILL,
  EVENT_COLOUR,
  FAIL_COLOUR,
  GRID_COLOUR,
  MUTED,
  ROUTE_COLOUR,
  SERIES_COLOURS,
  linear,
  niceMax,
  niceTicks,
  px,
  textWidth,
} from './util.js';

export interface TimelineChartOptions {
  width?: number;
  /** Right end of the time axis in seconds (stacked charts share one). */
  xMax?: number;
  /** Top of the y axis (stacked charts share one). */
  yMax?: number;
  /** Heading drawn inside the chart (compare: which run). */
  caption?: string;
  topology?: ResultsTopology;
  /** Real-server order for colours (stacked charts share one). */
  servers?: string[];
}

/** The buckets drawn: per 100 ms when recorded, else per second. */
export function chartBuckets(results: RunResults): { buckets: TimeBucket[]; width: number; unit: string } {
  if (results.per100ms.length > 0) return { buckets: results.per100ms, width: 0.1, unit: 'requests per 100 ms' };
  return { buckets: results.perSecond, width: 1, unit: 'requests per second' };
}

export function serversOf(results: RunResults): string[] {
  const names: string[] = [];
  const add = (n: string): void => {
    if (!names.includes(n)) names.push(n);
  };
  Object.keys(results.hits.expectedShare).forEach(add);
  Object.keys(results.hits.perRealServer).forEach(add);
  for (const b of chartBuckets(results).buckets) Object.keys(b.byServer).forEach(add);
  return names;
}

export function bucketPeak(results: RunResults): number {
  return Math.max(0, ...chartBuckets(results).buckets.map((b) => b.ok + b.failed));
}

/** Stacked step area: the band between `lower` and `upper` over each bucket. */
function bandPath(buckets: TimeBucket[], width: number, lower: (b: TimeBucket) => number, upper: (b: TimeBucket) => number, x: (t: number) => number, y: (v: number) => number): string {
  if (buckets.length === 0) return '';
  const top: string[] = [];
  const bottom: string[] = [];
  for (const b of buckets) {
    const x0 = px(x(b.t));
    const x1 = px(x(b.t + width));
    top.push(`${x0},${px(y(upper(b)))}`, `${x1},${px(y(upper(b)))}`);
    bottom.push(`${x1},${px(y(lower(b)))}`, `${x0},${px(y(lower(b)))}`);
  }
  return `M${top.join('L')}L${bottom.reverse().join('L')}Z`;
}

/** Places labels in rows so that none overlaps its left neighbour. */
function labelRows(events: Array<{ x: number; text: string }>, fontSize: number, right: number): Array<{ row: number; anchorEnd: boolean }> {
  const rowEnds: number[] = [];
  return events.map((e) => {
    const w = textWidth(e.text, fontSize) * 1.1 + 14; // labels are bold
    const anchorEnd = e.x + w > right;
    const start = anchorEnd ? e.x - w : e.x;
    let row = rowEnds.findIndex((end) => end < start);
    if (row === -1) {
      row = rowEnds.length;
      rowEnds.push(0);
    }
    rowEnds[row] = start + w;
    return { row, anchorEnd };
  });
}

export function timelineChart(results: RunResults, opts: TimelineChartOptions = {}): string {
  const W = opts.width ?? 1240;
  const { buckets, width: bw, unit } = chartBuckets(results);
  const xMax = opts.xMax ?? Math.max(durationOf(results), bw);
  const servers = opts.servers ?? serversOf(results);
  const actions = actionEvents(results).filter((e) => e.t >= 0 && e.t <= xMax);
  const hopTimeline = nextHopTimeline(results, opts.topology);
  const routeTimes = (hopTimeline?.steps ?? []).slice(1).map((s) => s.from);

  const left = 60;
  const right = W - 24;
  const fontSize = 12;
  const actionLabels = labelRows(
    actions.map((e) => ({ x: linear(0, xMax, left, right)(e.t), text: `${e.label} @ ${fmtNumber(e.t, 1)} s${e.ok ? '' : ' (FAILED)'}` })),
    fontSize,
    right,
  );
  const labelRowCount = Math.max(1, ...actionLabels.map((l) => l.row + 1));
  const captionH = opts.caption ? 24 : 0;
  const plotTop = captionH + 14 + labelRowCount * 18;
  const plotH = 210;
  const plotBottom = plotTop + plotH;
  const laneTop = plotBottom + 46;
  const laneH = hopTimeline ? 24 : 0;
  const legendY = laneTop + laneH + (hopTimeline ? 32 : 4);
  const H = legendY + 18;

  const x = linear(0, xMax, left, right);
  // Headroom above the busiest bucket keeps the phase names and shading visible.
  const yMax = opts.yMax ?? niceMax(Math.max(1, ...buckets.map((b) => b.ok + b.failed)) * 1.15);
  const y = linear(0, yMax, plotBottom, plotTop);
  const windows = phaseWindows(results);

  const parts: string[] = [];
  parts.push(
    `<svg class="chart timeline-chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(`Timeline of ${results.experiment.name} run ${results.run}`)}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="${fontSize}">`,
  );
  parts.push(`<title>${escapeHtml(`${unit}: ok per real server and failed, with the timeline's actions`)}</title>`);
  if (opts.caption) parts.push(`<text x="${left}" y="16" font-size="14" font-weight="600" fill="#111827">${escapeHtml(opts.caption)}</text>`);

  // Phase shading and names.
  const [d0, d1] = windows.during;
  if (d1 > d0) {
    parts.push(`<rect x="${px(x(d0))}" y="${plotTop}" width="${px(Math.max(0, x(Math.min(d1, xMax)) - x(d0)))}" height="${plotH}" fill="${DURING_FILL}"/>`);
  }
  for (const [phase, [p0, p1]] of Object.entries(windows)) {
    if (p1 - p0 <= 0 || p0 >= xMax) continue;
    const cx = x((p0 + Math.min(p1, xMax)) / 2);
    if (x(Math.min(p1, xMax)) - x(p0) > 60) {
      parts.push(`<text x="${px(cx)}" y="${plotTop + 14}" text-anchor="middle" fill="${MUTED}" font-size="11" letter-spacing="1">${phase.toUpperCase()}</text>`);
    }
  }

  // Grid and y axis.
  for (const v of niceTicks(yMax, 5)) {
    const yy = px(y(v));
    parts.push(`<line x1="${left}" x2="${right}" y1="${yy}" y2="${yy}" stroke="${GRID_COLOUR}"/>`);
    parts.push(`<text x="${left - 6}" y="${px(y(v) + 4)}" text-anchor="end" fill="${MUTED}">${fmtNumber(v, Number.isInteger(v) ? 0 : 1)}</text>`);
  }
  parts.push(
    `<text transform="translate(16 ${px((plotTop + plotBottom) / 2)}) rotate(-90)" text-anchor="middle" fill="${MUTED}" font-size="11">${escapeHtml(unit)}</text>`,
  );

  // Stacked areas: ok per server, failed on top. Each band is drawn from the baseline to
  // its cumulative top, topmost first, so neighbouring bands overlap instead of leaving
  // hairline seams where their rounded edges meet.
  const visible = buckets.filter((b) => b.t < xMax);
  const zero = (): number => 0;
  const bands: Array<{ top: (b: TimeBucket) => number; fill: string; cls: string; title: string }> = [];
  let cumulative = (_b: TimeBucket): number => 0;
  servers.forEach((server, i) => {
    const below = cumulative;
    const top = (b: TimeBucket): number => below(b) + (b.byServer[server] ?? 0);
    bands.push({ top, fill: SERIES_COLOURS[i % SERIES_COLOURS.length]!, cls: 'series series-ok', title: `ok answers from ${server}` });
    cumulative = top;
  });
  const serversTop = cumulative;
  // ok answers not attributed to a listed server (should not happen) still count.
  const okTop = (b: TimeBucket): number => Math.max(serversTop(b), b.ok);
  if (visible.some((b) => b.ok > serversTop(b))) bands.push({ top: okTop, fill: '#9ca3af', cls: 'series series-ok', title: 'ok answers, server unknown' });
  if (visible.some((b) => b.failed > 0)) bands.push({ top: (b) => okTop(b) + b.failed, fill: FAIL_COLOUR, cls: 'series series-failed', title: 'failed requests' });
  for (const band of [...bands].reverse()) {
    const d = bandPath(visible, bw, zero, band.top, x, y);
    if (d) parts.push(`<path class="${band.cls}" d="${d}" fill="${band.fill}" shape-rendering="crispEdges"><title>${escapeHtml(band.title)}</title></path>`);
  }

  // x axis.
  parts.push(`<line x1="${left}" x2="${right}" y1="${plotBottom}" y2="${plotBottom}" stroke="#374151"/>`);
  const xTicks = niceTicks(xMax, Math.max(4, Math.round((right - left) / 90)));
  for (const t of xTicks) {
    if (t > xMax) continue;
    parts.push(`<line x1="${px(x(t))}" x2="${px(x(t))}" y1="${plotBottom}" y2="${plotBottom + 5}" stroke="#374151"/>`);
    parts.push(`<text x="${px(x(t))}" y="${plotBottom + 18}" text-anchor="middle" fill="${MUTED}">${fmtNumber(t, Number.isInteger(t) ? 0 : 1)} s</text>`);
  }

  // Route changes: dashed lines through the plot (labelled in the lane below).
  for (const t of routeTimes) {
    if (t > xMax) continue;
    parts.push(`<line class="route-event" x1="${px(x(t))}" x2="${px(x(t))}" y1="${plotTop}" y2="${laneTop + laneH}" stroke="${ROUTE_COLOUR}" stroke-width="1.5" stroke-dasharray="5 3"/>`);
  }

  // Actions: solid lines with labels above the plot.
  actions.forEach((e: AxisEvent, i) => {
    const xx = x(e.t);
    const place = actionLabels[i]!;
    const labelY = captionH + 14 + place.row * 18;
    const colour = e.ok ? EVENT_COLOUR : FAIL_COLOUR;
    parts.push(`<g class="event-marker">`);
    parts.push(`<line x1="${px(xx)}" x2="${px(xx)}" y1="${labelY - 2}" y2="${plotBottom}" stroke="${colour}" stroke-width="1.5"/>`);
    parts.push(`<circle cx="${px(xx)}" cy="${labelY - 2}" r="3" fill="${colour}"/>`);
    const tx = place.anchorEnd ? xx - 6 : xx + 6;
    parts.push(
      `<text x="${px(tx)}" y="${labelY + 2}" text-anchor="${place.anchorEnd ? 'end' : 'start'}" fill="${colour}" font-weight="600">${escapeHtml(`${e.label} @ ${fmtNumber(e.t, 1)} s${e.ok ? '' : ' (FAILED)'}`)}</text>`,
    );
    parts.push(`</g>`);
  });

  // Next-hop lane.
  if (hopTimeline) {
    parts.push(`<text x="${left}" y="${laneTop - 6}" fill="#374151" font-size="11">${escapeHtml(hopTimeline.label)}</text>`);
    const maxCount = Math.max(1, ...hopTimeline.steps.map((s) => s.count ?? 0));
    for (const s of hopTimeline.steps) {
      if (s.from >= xMax) continue;
      const x0 = x(s.from);
      const x1 = x(Math.min(s.to, xMax));
      const full = s.count !== null && s.count >= maxCount;
      const fill = s.count === null ? '#e5e7eb' : s.count === 0 ? '#fecaca' : full ? '#d1fae5' : '#fde68a';
      const stroke = s.count === null ? '#9ca3af' : s.count === 0 ? FAIL_COLOUR : full ? '#059669' : '#d97706';
      parts.push(`<rect class="hop-step" x="${px(x0)}" y="${laneTop}" width="${px(Math.max(0.5, x1 - x0))}" height="${laneH}" fill="${fill}" stroke="${stroke}" stroke-width="1"/>`);
      const text = s.count === null ? '?' : `${s.count} next hop${s.count === 1 ? '' : 's'}`;
      if (x1 - x0 > textWidth(text, 11) + 8) {
        parts.push(`<text x="${px((x0 + x1) / 2)}" y="${laneTop + 16}" text-anchor="middle" font-size="11" fill="#111827">${escapeHtml(text)}</text>`);
      } else if (x1 - x0 > 10) {
        parts.push(`<text x="${px((x0 + x1) / 2)}" y="${laneTop + 16}" text-anchor="middle" font-size="11" fill="#111827">${s.count ?? '?'}</text>`);
      }
    }
    for (const t of routeTimes) {
      if (t > xMax) continue;
      parts.push(`<text x="${px(x(t))}" y="${laneTop + laneH + 14}" text-anchor="middle" font-size="10" fill="${ROUTE_COLOUR}">${fmtNumber(t, 2)} s</text>`);
    }
  }

  // Legend.
  const legend: Array<{ swatch: string; text: string; line?: 'solid' | 'dashed' }> = [
    ...servers.map((s, i) => ({ swatch: SERIES_COLOURS[i % SERIES_COLOURS.length]!, text: `ok from ${s}` })),
    { swatch: FAIL_COLOUR, text: 'failed' },
    { swatch: EVENT_COLOUR, text: 'action', line: 'solid' as const },
    ...(routeTimes.length > 0 ? [{ swatch: ROUTE_COLOUR, text: 'VIP route change', line: 'dashed' as const }] : []),
    ...(d1 > d0 ? [{ swatch: DURING_FILL, text: 'during (first to last action)' }] : []),
  ];
  let lx = left;
  for (const item of legend) {
    if (item.line) {
      parts.push(`<line x1="${lx}" x2="${lx + 16}" y1="${legendY - 4}" y2="${legendY - 4}" stroke="${item.swatch}" stroke-width="2"${item.line === 'dashed' ? ' stroke-dasharray="4 2"' : ''}/>`);
    } else {
      parts.push(`<rect x="${lx}" y="${legendY - 10}" width="16" height="12" fill="${item.swatch}" stroke="#d1d5db"/>`);
    }
    parts.push(`<text x="${lx + 22}" y="${legendY}" fill="#374151">${escapeHtml(item.text)}</text>`);
    lx += 22 + textWidth(item.text, fontSize) + 22;
  }

  parts.push('</svg>');
  return parts.join('\n');
}
