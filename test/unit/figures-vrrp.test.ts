// The VRRP figures (vip_move_s, vip_return_s), who carried the traffic before the failure
// (directors_before, busiest_director_share_before) and the outage a restore causes
// (restore_outage_s), on records whose answers are known by construction.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { NeighbourEvent } from '../../src/experiment/types.js';
import type { ResolvedLab } from '../../src/model/types.js';
import { computeFigures } from '../../src/figures/compute.js';
import { parseIpMonitorNeigh } from '../../src/logs/ip-monitor.js';
import { LAB, at, counterSnapshot, input, requestStream, snapshot, step } from '../fixtures/runs/synthetic.js';

/** ospf-ecmp's service held by a VRRP pair instead (lb1 MASTER). */
const VRRP_LAB: ResolvedLab = (() => {
  const lab = structuredClone(LAB);
  lab.services[0]!.announce = 'vrrp';
  lab.services[0]!.vrrp = { virtualRouterId: 51, advertInt: 1, priorities: { lb1: 150, lb2: 100 } };
  return lab;
})();
const mac = (node: string) => VRRP_LAB.nodes.find((n) => n.name === node)!.interfaces[0]!.mac;

function neigh(seconds: number, node: string | undefined, state = 'STALE', router = 'router'): NeighbourEvent {
  const lladdr = node === undefined ? undefined : mac(node);
  return { t: at(seconds), node: router, address: '10.0.1.100', dev: 'eth0', ...(lladdr ? { lladdr } : {}), state: [state], deleted: false, raw: `10.0.1.100 dev eth0 ${lladdr ? `lladdr ${lladdr} ` : ''}${state}` };
}

/** A snapshot whose VRRP part says who held the VIP and whom the router sent it to. */
function vrrpSnapshot(phase: 'start' | 'before' | 'during' | 'after', seconds: number, holder: string) {
  return { ...snapshot(phase, seconds, undefined), vrrp: { web: { vip: '10.0.1.100', holders: [holder], neighbours: { router: { lladdr: mac(holder), state: ['REACHABLE'], director: holder } } } } };
}

const silentLb1 = [step(0, 'silent-failure', 'lb1', 10, { interface: 'eth0' }, 2), step(1, 'silent-restore', 'lb1', 25, { interface: 'eth0' }, 3)];

describe('vip_move_s and vip_return_s', () => {
  const events = [
    neigh(0.004, 'lb1', 'REACHABLE'),
    neigh(11, 'lb1', 'STALE'), // a state change, still lb1's MAC: not a move
    neigh(13.6, 'lb2', 'STALE'),
    neigh(18.7, 'lb2', 'REACHABLE'),
    neigh(25.3, 'lb1'), // back, then both MASTERs' gratuitous ARPs flap it once more
    neigh(25.5, 'lb2'),
    neigh(25.8, 'lb1'),
    neigh(30.9, 'lb1', 'REACHABLE'),
  ];

  it("measure the failure -> the router's entry names the backup, and the restore -> the MASTER's MAC for good", () => {
    const { figures } = computeFigures(input({ lab: VRRP_LAB, actions: silentLb1, neighbourEvents: events }));
    expect(figures.vip_move_s.value).toBe(3.6);
    expect(figures.vip_move_s.resolution).toBeCloseTo(0.002001, 9);
    expect(figures.vip_move_s.method).toMatch(/event-driven, not sampled.*router has 10\.0\.1\.100 at \S+ \(lb2\) from 13\.600 s on/);
    expect(figures.vip_return_s.value).toBe(0.8);
    expect(figures.vip_return_s.resolution).toBeCloseTo(0.003001, 9);
  });

  it('takes where the VIP was from the latest snapshot when no event precedes the failure', () => {
    const { figures } = computeFigures(input({ lab: VRRP_LAB, actions: silentLb1, neighbourEvents: events.slice(1), snapshots: [vrrpSnapshot('before', 9.3, 'lb1')] }));
    expect(figures.vip_move_s.value).toBe(3.6);
  });

  it('is null, saying why: the VIP was elsewhere, it never moved, or never came back', () => {
    const backup = computeFigures(input({ lab: VRRP_LAB, actions: [step(0, 'silent-failure', 'lb2', 10, { interface: 'eth0' })], neighbourEvents: events }));
    expect(backup.figures.vip_move_s.value).toBeNull();
    expect(backup.figures.vip_move_s.note).toMatch(/no router sent 10\.0\.1\.100 to lb2 before .* \(router: lb1\)/);
    const stuck = computeFigures(input({ lab: VRRP_LAB, actions: silentLb1, neighbourEvents: events.slice(0, 2) })).figures;
    expect(stuck.vip_move_s.note).toMatch(/router\(s\) router kept 10\.0\.1\.100 at lb1's MAC/);
    expect(stuck.vip_return_s.note).toMatch(/never left lb1/);
    const away = computeFigures(input({ lab: VRRP_LAB, actions: silentLb1, neighbourEvents: events.slice(0, 6) })).figures;
    expect(away.vip_move_s.value).toBe(3.6);
    expect(away.vip_return_s.value).toBeNull();
    expect(away.vip_return_s.note).toMatch(/did not send 10\.0\.1\.100 to lb1 for good/);
  });

  it('is null for a VIP that OSPF announces, and for records without a neighbour monitor', () => {
    const ospf = computeFigures(input({ actions: silentLb1, neighbourEvents: events })).figures.vip_move_s;
    expect(ospf.value).toBeNull();
    expect(ospf.note).toMatch(/announced by ospf, not held by VRRP/);
    expect(computeFigures(input({ lab: VRRP_LAB, actions: silentLb1 })).figures.vip_move_s.note).toMatch(/no neighbour monitor/);
  });

  it('reads the captured monitor of a keepalived-vrrp run the same way', () => {
    // router-ip-monitor-neigh.txt: `lvslab run vrrp-failover` on keepalived-vrrp (instance vrrp-a,
    // UTC host): traffic from 15:44:03.467, lb1's uplink failed silently at 15:44:13.511 (the
    // command took 136 ms) and came back at 15:44:28.469 (87 ms); that run reported 3.6 and 0.65 s.
    const text = readFileSync(new URL('../fixtures/runs/captured/router-ip-monitor-neigh.txt', import.meta.url), 'utf8');
    const captured = parseIpMonitorNeigh(text, { node: 'router', timeZone: 'utc' });
    const lab = structuredClone(VRRP_LAB);
    const macs: Record<string, string> = { lb1: '02:c5:8d:a1:41:0f', lb2: '02:7f:04:1e:30:c4' };
    for (const n of lab.nodes) if (macs[n.name]) n.interfaces[0]!.mac = macs[n.name]!;
    const start = Date.UTC(2026, 11, 2, 15, 44, 3, 467);
    const actions = [
      { ...silentLb1[0]!, startedAt: start + 10_044, doneAt: start + 10_180 },
      { ...silentLb1[1]!, startedAt: start + 25_002, doneAt: start + 25_089 },
    ];
    const { figures } = computeFigures(input({ lab, actions, neighbourEvents: captured, trafficStart: start, trafficEnd: start + 40_000 }));
    expect(figures.vip_move_s.value).toBeCloseTo(3.598649, 6);
    expect(figures.vip_return_s.value).toBeCloseTo(0.645903, 6);
  });
});

describe('who carried the traffic before the failure', () => {
  const counters = (lb1: number, lb2: number) => ({
    lb1: { conns: lb1, perServer: { rs1: lb1 / 2, rs2: lb1 / 2 } },
    lb2: { conns: lb2, perServer: { rs1: lb2 / 2, rs2: lb2 / 2 } },
  });

  /** The counters read before and after the traffic, which bound every count. */
  const window = (start: ReturnType<typeof counters>, end: ReturnType<typeof counters>) => [snapshot('start', -1, undefined, start), snapshot('after', 41, undefined, end)];

  it('active/standby: one director, all of the connections', () => {
    const { figures } = computeFigures(
      input({ lab: VRRP_LAB, actions: silentLb1, snapshots: window(counters(100, 40), counters(9000, 3000)), counterSnapshots: [counterSnapshot(0, 9.99, 10, counters(4100, 40))] }),
    );
    expect(figures.directors_before.value).toBe(1);
    expect(figures.directors_before.method).toMatch(/Counts: lb1 4000, lb2 0; grew: lb1\./);
    expect(figures.busiest_director_share_before.value).toBe(1);
    expect(figures.busiest_director_share_before.resolution).toBe(0.00025);
  });

  it('ECMP: both directors, each about half', () => {
    const { figures } = computeFigures(
      input({ actions: silentLb1, snapshots: window(counters(100, 40), counters(9000, 9000)), counterSnapshots: [counterSnapshot(0, 9.99, 10, counters(2100, 2440))] }),
    );
    expect(figures.directors_before.value).toBe(2);
    expect(figures.busiest_director_share_before.value).toBeCloseTo(2400 / 4400, 9);
  });

  it('is not measured, never 0, when a boundary reading is missing', () => {
        // Requests throughout, so no other reading can stand in for the one at the failure.
    const requests = requestStream({ fromS: 0, toS: 40, rate: 100 });
    const { figures } = computeFigures(input({ lab: VRRP_LAB, actions: silentLb1, requests, snapshots: window(counters(100, 40), counters(9000, 3000)) }));
    expect(figures.directors_before.value).toBeNull();
    expect(figures.directors_before.note).toMatch(/not every director's before-phase count was measured/);
    expect(figures.busiest_director_share_before.value).toBeNull();
  });
});

describe('restore_outage_s', () => {
  it('measures the failures the restore causes, as outage_s does for the failure', () => {
    // Refused from 25.2 s to 27.5 s: the restored MASTER took the VIP back before its checks re-admitted the real servers.
    const requests = requestStream({ fromS: 0, toS: 40, rate: 100, fail: (s) => (s >= 10 && s < 13.5 ? 'timeout' : s >= 25.2 && s < 27.5 ? 'refused' : undefined) });
    const { figures } = computeFigures(input({ lab: VRRP_LAB, actions: silentLb1, requests }));
    expect(figures.outage_s.value).toBeCloseTo(3.49, 9);
    expect(figures.restore_outage_s.value).toBeCloseTo(2.29, 9);
    expect(figures.restore_outage_s.method).toMatch(/at\/after the first restore event, timeline step 1 \(silent-restore lb1 eth0/);
    const none = computeFigures(input({ lab: VRRP_LAB, actions: silentLb1.slice(0, 1), requests })).figures.restore_outage_s;
    expect(none.value).toBeNull();
    expect(none.note).toMatch(/restores nothing/);
  });
});
