// Per-client hits and clusters (seed 000's application-level result), and a failure of the
// router's own port to a site counting as the failure of the director behind it.
import { describe, expect, it } from 'vitest';
import type { RequestOutcome } from '../../src/experiment/types.js';
import { computeFigures } from '../../src/figures/compute.js';
import { parseFrrLog } from '../../src/logs/frr.js';
import { loadLabFile } from '../../src/model/load.js';
import { at, input, requestStream, routeEvent, step } from '../fixtures/runs/synthetic.js';

const MULTISITE = await loadLabFile('labs/ospf-multisite.yaml');
const SITE1 = '192.168.128.200';
const SITE2 = '192.168.129.200';
const VIP = '192.0.2.1';
const CLIENTS = ['client1', 'client2', 'client3'];

/** An FRR log line at `seconds` after traffic start. */
function frr(seconds: number, message: string): string {
  const d = new Date(at(seconds));
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getUTCFullYear()}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)} OSPF: [Y05P2-YJVXY] ${message}`;
}

// The router's port to site 2 goes silent at 10 s and comes back at 25 s. Requests every
// 10 ms, round robin over the clients; flows alternate between the sites (i % 2), and within
// a site between its two servers. Site 2's flows fail from 10 s until the route drops it at 13.5 s.
const actions = [step(0, 'silent-failure', 'router', 10, { interface: 'eth1' }, 3), step(1, 'silent-restore', 'router', 25, { interface: 'eth1' })];
const site2 = (i: number) => i % 2 === 1;
const requests = requestStream({ fromS: 0, toS: 40, rate: 100, clients: CLIENTS });
requests.forEach((r, i) => {
  const s = (r.t - at(0)) / 1000;
  const failed = s >= 10 && s < 13.5 && site2(i);
  const toSite2 = site2(i) && !(s >= 13.5 && s < 25);
  const outcome: RequestOutcome = failed ? 'timeout' : 'ok';
  r.outcome = outcome;
  if (failed) delete r.server;
  else r.server = toSite2 ? (i % 4 === 1 ? 'rs3' : 'rs4') : i % 4 === 0 ? 'rs1' : 'rs2';
});

describe('per-client hits in a lab split into clusters', () => {
  const { hits, figures } = computeFigures(input({ lab: MULTISITE, requests, actions }));

  it('maps each real server to its cluster', () => {
    expect(hits.clusters).toEqual({ rs1: 'lb1', rs2: 'lb1', rs3: 'lb2', rs4: 'lb2' });
  });

  it('counts every client\'s requests, ok answers and clusters per phase, adding up to its total', () => {
    expect(Object.keys(hits.perClient!)).toEqual(CLIENTS);
    for (const client of CLIENTS) {
      const c = hits.perClient![client]!;
      const mine = requests.filter((r) => r.client === client);
      expect(c.total.requests).toBe(mine.length);
      expect(c.total.ok).toBe(mine.filter((r) => r.outcome === 'ok').length);
      const phases = ['before', 'during', 'after'] as const;
      expect(phases.map((p) => c.perPhase[p].requests).reduce((a, b) => a + b)).toBe(c.total.requests);
      // Before and after: both sites answer; in the failure: site 2 only until the route changed.
      expect(c.perPhase.before.successRatio).toBe(1);
      expect(c.perPhase.before.perCluster!.lb2).toBeGreaterThan(0);
      expect(c.perPhase.after.perCluster!.lb2).toBeGreaterThan(0);
      const lateInFailure = mine.filter((r) => r.t >= at(13.5) && r.t < at(25));
      expect(lateInFailure.every((r) => r.server === 'rs1' || r.server === 'rs2')).toBe(true);
      const { lb1, lb2 } = c.perPhase.during.perCluster!;
      expect(lb1! + lb2!).toBe(c.perPhase.during.ok);
      expect(c.perPhase.during.successRatio).toBeLessThan(1);
    }
  });

  it('worst_client_success_ratio is the smallest client ratio, naming the client, to one request', () => {
    const ratios = CLIENTS.map((c) => hits.perClient![c]!.total.successRatio!);
    expect(figures.worst_client_success_ratio.value).toBeCloseTo(Math.min(...ratios), 10);
    expect(figures.worst_client_success_ratio.method).toMatch(/client\d with \d+ of \d+/);
    const worst = CLIENTS.find((c) => hits.perClient![c]!.total.successRatio === Math.min(...ratios))!;
    expect(figures.worst_client_success_ratio.resolution).toBeCloseTo(1 / hits.perClient![worst]!.total.requests, 10);
    // 3.5 s x 100 requests/s, half of them hashed to site 2: 175 failed of 4000.
    expect(figures.success_ratio.value).toBeCloseTo(1 - 175 / 4000, 10);
  });

  it('has no clusters, and no per-cluster counts, where every director forwards to every real server', async () => {
    const ecmp = await loadLabFile('labs/ospf-ecmp.yaml');
    const plain = computeFigures(input({ lab: ecmp, requests: requestStream({ fromS: 0, toS: 2, rate: 10 }) })).hits;
    expect(plain.clusters).toBeUndefined();
    expect(plain.perClient!.client1!.total.perCluster).toBeUndefined();
    expect(plain.perClient!.client1!.total.perRealServer).toEqual({ rs1: 10 });
  });

  it('is not measured without requests', () => {
    const { figures: none } = computeFigures(input({ lab: MULTISITE, actions }));
    expect(none.worst_client_success_ratio.value).toBeNull();
    expect(none.worst_client_success_ratio.note).toBe('no request was recorded');
  });
});

describe("a failure of the router's port to a site", () => {
  const adj = (nbr: string) => `AdjChg: Nbr ${nbr}, NbrIP ${nbr} (default) on eth1:192.168.129.90: Full -> Deleted (InactivityTimer)`;
  const logs = parseFrrLog([frr(13.4, adj(SITE2))].join('\n'), { node: 'router', timeZone: 'utc' });
  const routeEvents = [
    routeEvent(-1, [SITE1, SITE2], 'change', `${VIP}/32`),
    routeEvent(13.45, [SITE1], 'change', `${VIP}/32`),
    routeEvent(25.6, [SITE1, SITE2], 'change', `${VIP}/32`),
  ];

  it("counts as the failure of the announcer behind it: detection, withdrawal and restoration of lb2", () => {
    const { figures } = computeFigures(input({ lab: MULTISITE, requests, actions, logs, routeEvents }));
    expect(figures.ospf_detection_s.value).toBe(3.4);
    expect(figures.ospf_detection_s.method).toMatch(/for lb2 at 13\.400 s/);
    expect(figures.route_withdrawal_s.value).toBe(3.45);
    expect(figures.route_restoration_s.value).toBeCloseTo(0.6, 6);
  });

  it('its port to the clients cuts off no announcer', () => {
    const clientsPort = [step(0, 'silent-failure', 'router', 10, { interface: 'eth2' }, 3)];
    const { figures } = computeFigures(input({ lab: MULTISITE, requests, actions: clientsPort, logs, routeEvents }));
    expect(figures.ospf_detection_s.value).toBeNull();
    expect(figures.route_withdrawal_s.value).toBeNull();
  });
});
