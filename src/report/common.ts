// Pieces every report format shares: the fallback notice, figure values, the manifest
// and OSPF neighbour rows, small collection helpers.
import type { CaptureRecord, DirectorCountsMethod, Figure, Hits, Phase, RunResults } from '../experiment/types.js';
import { PHASES } from './analysis.js';
import type { SnapshotPhase } from './analysis.js';
import { escapeHtml, fmtCount, fmtMeasured, fmtResolution } from './format.js';
import type { ResultsTopology } from './topology.js';

/** Beyond this many entries a report's chronology points at results.json instead. */
export const CHRONOLOGY_LIMIT = 400;

/** The loud notice every report carries when the run did not use kernel IPVS. */
export const FALLBACK_NOTICE =
  "The nftables fallback is lvslab's imitation of IPVS, used because the host kernel has no IP_VS. " +
  'Its figures describe that imitation: confirm them with the ipvs dataplane (kernel IPVS) before relying on them.';

export function figureValue(f: Figure | undefined): string {
  if (!f) return '—';
  if (f.value === null) return '—';
  // A count's resolution is 1: an integer, grouped by thousands for reading.
  if (f.unit === 'count' && (f.resolution === null || f.resolution >= 1)) return fmtCount(f.value);
  return fmtMeasured(f.value, f.resolution, f.unit);
}

/** A figure's resolution as every report prints it (fmtResolution), '—' for none. */
export function figureResolution(f: Figure | undefined): string {
  return f ? fmtResolution(f.resolution, f.unit) : '—';
}

export function figureWithUnit(f: Figure | undefined): string {
  if (!f || f.value === null) return '—';
  const unit =
    f.unit === 'count' || f.unit === 'ratio' || f.unit === 'p-value' ? '' : f.unit === 'next hops' && f.value === 1 ? ' next hop' : ` ${f.unit}`;
  return `${figureValue(f)}${unit}`;
}

/** The "nftables fallback" banner (shared with the compare and repeat pages). */
export function fallbackBanner(detail: string): string {
  return `<div class="fallback" role="alert"><strong>⚠ FALLBACK DATAPLANE: nftables, NOT kernel IPVS</strong>${escapeHtml(FALLBACK_NOTICE)}${detail
    .split('\n')
    .map((line) => `<br/><span class="mono">${escapeHtml(line)}</span>`)
    .join('')}</div>`;
}

export function unitSuffix(f: Figure): string {
  if (f.unit === 'count' || f.unit === 'ratio') return '';
  return f.unit === 'next hops' && f.value === 1 ? 'next hop' : f.unit;
}

/** "root@lab1: clock +12.3 ms ±0.4 (start), +12.5 ms ±0.3 (end)", or that the clocks are one. */
function labHostText(h: NonNullable<RunResults['manifest']['labHost']>): string {
  const { start, end } = h.clock;
  if (start.uncertaintyMs === 0 && start.offsetMs === 0 && end.offsetMs === 0) return `${h.host} (one clock for lvslab and the nodes)`;
  const ms = (o: { offsetMs: number; uncertaintyMs: number }) => `${o.offsetMs >= 0 ? '+' : ''}${o.offsetMs.toFixed(1)} ms ±${o.uncertaintyMs.toFixed(1)}`;
  return `${h.host}: its clock minus lvslab's ${ms(start)} at the start, ${ms(end)} at the end; lvslab's times moved by ${h.clock.appliedOffsetMs.toFixed(1)} ms (${start.method})`;
}

/**
 * "root@vm2 (lb2): its clock minus the lab host's +0.4 ms ±1.1 at the start, +0.5 ms ±0.9 at
 * the end": how far its nodes' timestamps may be from the lab host's time axis.
 */
function otherLabHostText(o: NonNullable<RunResults['manifest']['otherLabHosts']>[number], lab: NonNullable<RunResults['manifest']['labHost']>): string {
  const diff = (a: { offsetMs: number; uncertaintyMs: number }, b: { offsetMs: number; uncertaintyMs: number }) => {
    const d = a.offsetMs - b.offsetMs;
    return `${d >= 0 ? '+' : ''}${d.toFixed(1)} ms ±${(a.uncertaintyMs + b.uncertaintyMs).toFixed(1)}`;
  };
  return `${o.host} (${o.nodes.join(', ')}): its clock minus the lab host's ${diff(o.clock.start, lab.clock.start)} at the start, ${diff(o.clock.end, lab.clock.end)} at the end; figures comparing these nodes' events with the lab host's carry that difference`;
}

/** "hello 1 s, dead 4 s", and ", BFD 300 ms x 3" on a lab that runs BFD: what decides how soon a failure is noticed. */
export function ospfTimersText(ospf: NonNullable<ResultsTopology['ospf']>): string {
  const bfd = ospf.bfd ? `, BFD ${ospf.bfd.intervalMs} ms x ${ospf.bfd.multiplier}` : '';
  return `hello ${ospf.hello} s, dead ${ospf.dead} s${bfd}`;
}

/** Manifest as label/value pairs (shared with the HTML report). */
export function manifestRows(results: RunResults): Array<[string, string]> {
  const m = results.manifest;
  const rows: Array<[string, string | undefined]> = [
    ['lvslab', m.lvslab],
    ['FRR', m.frr],
    ['keepalived', m.keepalived],
    ['nginx', m.nginx],
    ['kernel', m.kernel],
    ['Node.js', m.node],
    ['runtime', m.runtimeDetail ? `${m.runtime} (${m.runtimeDetail})` : m.runtime],
    ['dataplane', m.dataplane === 'nftables' ? 'nftables (fallback, not kernel IPVS)' : m.dataplane],
    ['dataplane detail', m.dataplaneDetail],
    ['seed', String(m.seed)],
    ['lab file', `${m.labFile} (sha256 ${m.labSha256})`],
    ['experiment file', `${m.experimentFile} (sha256 ${m.experimentSha256})`],
    ['host', `${m.host?.hostname ?? '?'}, ${m.host?.cpus ?? '?'} CPUs`],
    ['lab host', m.labHost ? labHostText(m.labHost) : undefined],
    ['other lab hosts', m.labHost && m.otherLabHosts?.length ? m.otherLabHosts.map((o) => otherLabHostText(o, m.labHost!)).join('; ') : undefined],
    ['started', m.startedAt],
    ['finished', m.finishedAt],
    ['run', String(results.run)],
  ];
  return rows.filter((r): r is [string, string] => r[1] !== undefined && r[1] !== '');
}

export interface NeighbourRow {
  router: string;
  neighbour: string;
  states: Partial<Record<SnapshotPhase, string>>;
  /** Phases with a snapshot of this router (so a missing neighbour means gone). */
  seen: Partial<Record<SnapshotPhase, boolean>>;
}

export function ospfNeighbourRows(results: RunResults): NeighbourRow[] {
  const rows = new Map<string, NeighbourRow>();
  for (const snap of results.snapshots) {
    for (const [router, state] of Object.entries(snap.routers)) {
      for (const n of state.ospfNeighbors ?? []) {
        const key = `${router}\u0000${n.routerId}`;
        const row = rows.get(key) ?? { router, neighbour: `${n.routerId} via ${n.iface}`, states: {}, seen: {} };
        row.states[snap.phase] = n.state;
        rows.set(key, row);
      }
    }
  }
  for (const row of rows.values()) {
    for (const snap of results.snapshots) if (snap.routers[row.router]) row.seen[snap.phase] = true;
  }
  return [...rows.values()];
}

export const sum = (xs: number[]): number => xs.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);

export function unionKeys(...records: Array<Record<string, unknown>>): string[] {
  const keys: string[] = [];
  for (const r of records) for (const k of Object.keys(r)) if (!keys.includes(k)) keys.push(k);
  return keys;
}

/** What a report shows in place of a director count that was not measured. */
export const NOT_MEASURED = 'not measured';

/** Every director with a count anywhere in the hits, in first-seen order. */
export function directorNames(hits: Hits): string[] {
  return unionKeys(hits.perDirector, ...PHASES.map((p) => hits.perPhase[p]?.perDirector ?? {}));
}

/**
 * A director's new connections over the run (phase undefined) or one phase, and why it is
 * missing when it is: a number only where the counters measured it, never a 0 for "unknown".
 */
export function directorCount(hits: Hits, director: string, phase?: Phase): { value: number | null; reason?: string } {
  const src = phase ? hits.perPhase[phase] : hits;
  const v = src?.perDirector[director];
  if (typeof v === 'number') return { value: v };
  const reason = src?.directors?.notMeasured[director];
  if (reason !== undefined) return { value: null, reason };
  return { value: null, reason: v === undefined ? 'results.json has no count for it (written by an lvslab that did not measure it)' : 'no reason recorded' };
}

/**
 * How a stretch's director counts were measured, in one line: the readings' resolution
 * and the connections left in doubt (counts have resolution 1).
 */
export function directorCountsNote(m: DirectorCountsMethod | undefined): string {
  if (!m) return 'how these counts were measured is not recorded (results.json from an older lvslab)';
  if (m.resolution === null || m.uncertainty === null) return NOT_MEASURED;
  if (m.uncertainty === 0 && m.resolution === 0) return 'exact (no connection between a reading and its boundary)';
  // Short: it fills a table column; the method (results.json) says which readings.
  return `±${fmtCount(m.uncertainty)} (readings within ${fmtResolution(m.resolution, 's')} s of the boundaries)`;
}

/** A capture's attachment as reports name it: "segment lan" or "link up1". */
export function captureAttachment(c: CaptureRecord): string {
  return c.segment !== undefined ? `segment ${c.segment}` : c.link !== undefined ? `link ${c.link}` : '';
}

/**
 * The capture's file as a link target, only when it is a plain file in captures/ (as lvslab
 * writes it): a hand-edited results.json cannot make a report link elsewhere.
 */
export function captureHref(c: CaptureRecord): string | undefined {
  return c.file !== undefined && /^captures\/[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(c.file) ? c.file : undefined;
}

export const CAPTURES_INTRO = 'One pcap per link, for the whole run: each member of a segment (its link to the switch), and each point-to-point link on its first end.';

/**
 * Per client and phase: requests, ok answers, success ratio, and who answered — per cluster
 * (director) when the lab splits its real servers into clusters, else per real server.
 * undefined for results written before per-client hits existed.
 */
export function clientRows(hits: Hits): { head: string[]; rows: string[][]; note: string } | undefined {
  const per = hits.perClient;
  if (!per || Object.keys(per).length === 0) return undefined;
  const clusters = hits.clusters;
  const answerers = clusters
    ? [...new Set(Object.values(clusters))]
    : unionKeys(...Object.values(per).map((c) => c.total.perRealServer));
  const label = (a: string): string => {
    if (!clusters) return a;
    const members = Object.entries(clusters).filter(([, d]) => d === a).map(([rs]) => rs);
    return `cluster ${a} (${members.join(', ')})`;
  };
  const rows: string[][] = [];
  for (const [client, c] of Object.entries(per)) {
    for (const [phase, h] of [...PHASES.map((p) => [p, c.perPhase[p]] as const), ['whole run', c.total] as const]) {
      if (!h) continue;
      const counts = clusters ? h.perCluster ?? {} : h.perRealServer;
      rows.push([
        client,
        phase,
        fmtCount(h.requests),
        fmtCount(h.ok),
        // Two decimals: a few failures in thousands of requests must not round to 100 %.
        h.successRatio === null ? '—' : `${(h.successRatio * 100).toFixed(2)} %`,
        ...answerers.map((a) => fmtCount(counts[a] ?? 0)),
        ...(clusters ? [fmtCount(h.unknownServer ?? 0)] : []),
      ]);
    }
  }
  return {
    head: ['client', 'phase', 'requests', 'ok', 'success', ...answerers.map(label), ...(clusters ? ['other server'] : [])],
    rows,
    note:
      'Each client\'s short-lived requests by start time. ' +
      (clusters
        ? 'A cluster is a director and the real servers only it forwards to; an ok answer is counted for the cluster of the real server that answered (its X-Real-Server).'
        : 'Ok answers per real server (X-Real-Server).'),
  };
}
