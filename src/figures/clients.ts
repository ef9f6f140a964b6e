// What each client saw, phase by phase: how many of its requests succeeded and which real
// server — and, in a lab split into clusters (seed 000), which site — answered them. This is
// the application-level result seed 000 could only guess at from a browser.
import type { ClientPhaseHits, Figure, Phase, RequestRecord } from '../experiment/types.js';
import { clusterOf, isClustered } from '../model/clusters.js';
import { type RunContext, phaseOf } from './context.js';
import { absent, figure } from './figure.js';
import { okPerServer } from './hits.js';

const PHASES: Phase[] = ['before', 'during', 'after'];

/** real server -> the one director whose cluster it is in; undefined unless every real server has exactly one. */
export function clusterMap(ctx: RunContext): Record<string, string> | undefined {
  if (!isClustered(ctx.service)) return undefined;
  return Object.fromEntries(ctx.service.realServers.map((rs) => [rs.node, clusterOf(ctx.service, rs.node)!]));
}

function phaseHits(requests: RequestRecord[], clusters: Record<string, string> | undefined): ClientPhaseHits {
  const ok = requests.filter((r) => r.outcome === 'ok').length;
  const perRealServer = okPerServer(requests);
  const out: ClientPhaseHits = { requests: requests.length, ok, successRatio: requests.length === 0 ? null : ok / requests.length, perRealServer };
  if (clusters) {
    const perCluster: Record<string, number> = Object.fromEntries([...new Set(Object.values(clusters))].map((d) => [d, 0]));
    let unknown = 0;
    for (const [server, n] of Object.entries(perRealServer)) {
      const d = clusters[server];
      if (d === undefined) unknown += n;
      else perCluster[d] = perCluster[d]! + n;
    }
    out.perCluster = perCluster;
    // An answer naming a server the lab does not list (a sorry server, a misconfigured node) is kept visible.
    if (unknown > 0) out.unknownServer = unknown;
  }
  return out;
}

/** Per client (sorted): the whole run and each phase, requests by their start time. */
export function perClientHits(ctx: RunContext): Record<string, { total: ClientPhaseHits; perPhase: Record<Phase, ClientPhaseHits> }> {
  const clusters = clusterMap(ctx);
  const clients = [...new Set(ctx.requests.map((r) => r.client))].sort();
  return Object.fromEntries(
    clients.map((client) => {
      const mine = ctx.requests.filter((r) => r.client === client);
      const perPhase = Object.fromEntries(PHASES.map((ph) => [ph, phaseHits(mine.filter((r) => phaseOf(ctx.phases, r.t) === ph), clusters)])) as Record<Phase, ClientPhaseHits>;
      return [client, { total: phaseHits(mine, clusters), perPhase }];
    }),
  );
}

/** The smallest success ratio of any one client over the run: one unlucky client is not averaged away. */
export function worstClientSuccessRatio(ctx: RunContext): Figure {
  const method = 'Per client, ok requests / its requests over the run (RequestRecord.client); the smallest of these';
  const per = perClientHits(ctx);
  const entries = Object.entries(per).filter(([, c]) => c.total.requests > 0);
  if (entries.length === 0) return absent('ratio', `${method}.`, 'no request was recorded');
  const [worst, hits] = entries.reduce((a, b) => (b[1].total.successRatio! < a[1].total.successRatio! ? b : a));
  return figure(
    hits.total.successRatio!,
    'ratio',
    `${method}: ${worst} with ${hits.total.ok} of ${hits.total.requests}. All clients: ${entries.map(([c, h]) => `${c} ${h.total.ok}/${h.total.requests}`).join(', ')}.`,
    1 / hits.total.requests,
  );
}
