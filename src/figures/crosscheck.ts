// Three independent counts of the same requests, per real server:
//  - the clients: ok answers naming the server (X-Real-Server);
//  - the directors: connection counters per real server, 'after' minus 'before' snapshot,
//    summed over the directors;
//  - the real servers: nginx access-log lines of those requests. When request records carry
//    their source port, each log line is matched to its request by client address:port and
//    time, so long-lived connections' heartbeats and health checks (which come from the
//    directors' addresses) are never counted.
//
// Without failures the three must be equal. With failures a request the client gave up on
// may still have reached a server (and been scheduled by a director), so the servers' and
// directors' counts may exceed the clients' by at most the number of failed requests.
import type { CrossCheck, LongLivedEvent, RequestRecord } from '../experiment/types.js';
import { parseAccessLogLine } from '../render/nginx.js';
import { type RunContext, addressesOf, nodeByName } from './context.js';
import { realServerDeltas, windowSnapshots } from './counters.js';
import { okPerServer } from './hits.js';

/** How long after a request's end its access-log line may still be written (ms). */
const LOG_SLACK_MS = 1000;

interface NginxCount {
  perServer: Record<string, number>;
  /** How the lines were chosen, for the note. */
  how: string;
  /** ok requests without a log line on the server that answered. */
  unlogged: number;
  /** Lines from client addresses that belong to no short-lived request. */
  unmatched: number;
}

function clientAddresses(ctx: RunContext, client: string): string[] {
  const node = nodeByName(ctx.lab, client);
  return node ? addressesOf(node) : [];
}

function nginxCounts(ctx: RunContext): NginxCount {
  const servers = new Set(ctx.service.realServers.map((r) => r.node));
  const entries = ctx.input.logs
    .filter((l) => l.daemon === 'nginx' && servers.has(l.node))
    .map((l) => ({ node: l.node, entry: parseAccessLogLine(l.text) }))
    .filter((x): x is { node: string; entry: NonNullable<typeof x.entry> } => x.entry !== undefined)
    .sort((a, b) => a.entry.timeMs - b.entry.timeMs);
  const clients = new Set(ctx.requests.map((r) => r.client));
  const fromClients = new Set([...clients].flatMap((c) => clientAddresses(ctx, c)));
  const perServer: Record<string, number> = {};

  if (ctx.requests.length > 0 && ctx.requests.every((r) => r.localPort !== undefined)) {
    const byEndpoint = new Map<string, RequestRecord[]>();
    for (const r of ctx.requests) {
      for (const address of clientAddresses(ctx, r.client)) {
        const key = `${address}:${r.localPort}`;
        const list = byEndpoint.get(key) ?? [];
        list.push(r);
        byEndpoint.set(key, list);
      }
    }
    const matched = new Map<RequestRecord, string>();
    let unmatched = 0;
    for (const { node, entry } of entries) {
      const candidates = byEndpoint.get(`${entry.clientAddress}:${entry.clientPort}`) ?? [];
      // $msec is truncated to the ms: allow the line to read up to 1 ms before the request's start.
      const request = candidates.find((r) => !matched.has(r) && entry.timeMs >= r.t - 1 && entry.timeMs <= r.t + r.latencyMs + LOG_SLACK_MS);
      if (request) {
        matched.set(request, node);
        perServer[node] = (perServer[node] ?? 0) + 1;
      } else if (fromClients.has(entry.clientAddress) && entry.timeMs >= ctx.input.trafficStart && entry.timeMs <= ctx.input.trafficEnd + LOG_SLACK_MS) {
        unmatched++;
      }
    }
    const unlogged = ctx.requests.filter((r) => r.outcome === 'ok' && r.server !== undefined && matched.get(r) !== r.server).length;
    return {
      perServer,
      how: `nginx access-log lines matched one to one to short-lived requests by client address:port and time (line within [start - 1 ms, end + ${LOG_SLACK_MS} ms])`,
      unlogged,
      unmatched,
    };
  }

  // Without source ports, count every line from a client address in the window: long-lived
  // connections' requests are then included too.
  const end = ctx.input.trafficEnd + LOG_SLACK_MS + Math.max(1000, ...(ctx.input.experiment.traffic ?? []).map((t) => t.timeout_ms ?? 1000));
  for (const { node, entry } of entries) {
    if (fromClients.has(entry.clientAddress) && entry.timeMs >= ctx.input.trafficStart && entry.timeMs <= end) perServer[node] = (perServer[node] ?? 0) + 1;
  }
  const longLivedNote = (ctx.input.experiment.long_lived ?? []).length > 0 ? ', long-lived connections\' requests included (records carry no source port to tell them apart)' : '';
  return { perServer, how: `nginx access-log lines from the clients' addresses within the traffic window${longLivedNote}`, unlogged: 0, unmatched: 0 };
}

function longLivedConnects(events: LongLivedEvent[]): { perServer: Record<string, number>; unknown: number } {
  const perServer: Record<string, number> = {};
  let unknown = 0;
  for (const e of events) {
    if (e.kind !== 'open' && e.kind !== 'reopen') continue;
    if (e.server === undefined) unknown++;
    else perServer[e.server] = (perServer[e.server] ?? 0) + 1;
  }
  return { perServer, unknown };
}

export function crossCheck(ctx: RunContext): CrossCheck {
  const clientOk = okPerServer(ctx.requests);
  const nginx = nginxCounts(ctx);
  const window = windowSnapshots(ctx);
  const counters = window.from && window.to ? realServerDeltas(window.from, window.to, ctx.service) : undefined;
  const directorCounters = counters?.values ?? {};
  const ll = longLivedConnects(ctx.input.longLived);
  const failed = ctx.requests.filter((r) => r.outcome !== 'ok').length;

  const notes: string[] = [`nginx: ${nginx.how}.`];
  const missing: string[] = [];
  missing.push(...window.problems);
  if (window.from && window.to) notes.push(`Counters: '${window.to.phase}' minus '${window.from.phase}' snapshot.`);
  if (counters && counters.problems.length > 0) missing.push(...counters.problems);
  if (!ctx.input.logs.some((l) => l.daemon === 'nginx')) missing.push('no nginx access-log line was collected');

  const llTotal = Object.values(ll.perServer).reduce((s, n) => s + n, 0) + ll.unknown;
  if (llTotal > 0) {
    notes.push(
      `Director counters include ${llTotal} long-lived (re)connections (LongLivedEvent open/reopen); they are subtracted per server before comparing` +
        (ll.unknown > 0 ? `, ${ll.unknown} of them without a known server widen the tolerance` : '') +
        '.',
    );
  }

  const servers = [...new Set([...ctx.service.realServers.map((r) => r.node), ...Object.keys(clientOk), ...Object.keys(directorCounters), ...Object.keys(nginx.perServer)])].sort();
  const mismatches: string[] = [];
  const exact = failed === 0 && ll.unknown === 0;
  let excessNginx = 0;
  let excessCounters = 0;
  for (const s of servers) {
    const c = clientOk[s] ?? 0;
    const n = nginx.perServer[s] ?? 0;
    const d = (directorCounters[s] ?? 0) - (ll.perServer[s] ?? 0);
    if (exact) {
      if (n !== c || d !== c) mismatches.push(`${s}: clients ${c}, nginx ${n}, counters ${d}`);
    } else {
      if (n < c || d < c) mismatches.push(`${s}: clients ${c} exceed nginx ${n} or counters ${d}`);
      excessNginx += Math.max(0, n - c);
      excessCounters += Math.max(0, d - c);
    }
  }
  if (exact) {
    notes.push('No request failed: the three counts must be exactly equal for every real server.');
  } else {
    notes.push(
      `${failed} request(s) failed: a request the client gave up on may still have reached a server and been scheduled, so nginx and counters may exceed the clients' count, ` +
        `together by at most ${failed + ll.unknown} (here nginx +${excessNginx}, counters +${excessCounters}); none may fall below it.`,
    );
    if (excessNginx > failed) mismatches.push(`nginx counted ${excessNginx} more requests than the clients saw succeed, more than the ${failed} failed ones`);
    if (excessCounters > failed + ll.unknown) mismatches.push(`counters counted ${excessCounters} more connections than the clients saw succeed, more than the ${failed + ll.unknown} allowed`);
  }
  if (nginx.unlogged > 0) mismatches.push(`${nginx.unlogged} ok request(s) have no access-log line on the server that answered`);
  if (nginx.unmatched > 0) notes.push(`${nginx.unmatched} access-log line(s) from client addresses belong to no short-lived request (long-lived connections' requests) and are not counted.`);

  const agree = missing.length === 0 && mismatches.length === 0;
  const verdict = agree ? 'Agree.' : `Disagree: ${[...missing, ...mismatches].join('; ')}.`;
  return { clientOk, directorCounters, nginxLog: nginx.perServer, agree, note: `${verdict} ${notes.join(' ')}` };
}
