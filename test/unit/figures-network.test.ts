import { describe, expect, it } from 'vitest';
import type { RouteEvent } from '../../src/experiment/types.js';
import type { ResolvedLab } from '../../src/model/types.js';
import { computeFigures } from '../../src/figures/compute.js';
import { parseFrrLog } from '../../src/logs/frr.js';
import { LAB, LB1, LB2, VIP, at, input, routeEvent, snapshot, step } from '../fixtures/runs/synthetic.js';

/** An FRR log line at `seconds` after traffic start (T0 = 10:00:00 UTC). */
function frr(seconds: number, message: string): string {
  const d = new Date(at(seconds));
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getUTCFullYear()}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)} OSPF: [Y05P2-YJVXY] ${message}`;
}
const adj = (nbr: string, from: string, to: string, event: string) => `AdjChg: Nbr ${nbr}, NbrIP ${nbr} (default) on eth0:10.0.1.136: ${from} -> ${to} (${event})`;

const silentLb2 = [step(0, 'silent-failure', 'lb2', 10, { interface: 'eth0' }, 3), step(1, 'silent-restore', 'lb2', 25, { interface: 'eth0' })];

function routerLog(lines: string[], node = 'router') {
  return parseFrrLog(lines.join('\n'), { node, timeZone: 'utc' });
}

describe('ospf_detection_s', () => {
  const logs = [
    ...routerLog([
      frr(8, adj(LB2, 'Full', 'Deleted', 'InactivityTimer')), // before the event
      frr(11, adj(LB1, 'Full', 'Deleted', 'InactivityTimer')), // another neighbour
      frr(12.5, adj(LB2, 'Full', 'Exchange', 'SeqNumberMismatch')), // not a loss
      frr(13.456, adj(LB2, 'Full', 'Deleted', 'InactivityTimer')),
      frr(13.9, adj(LB2, 'Down', 'Deleted', 'KillNbr')),
    ]),
    ...routerLog([frr(10.001, adj('10.0.1.136', 'Full', 'Deleted', 'KillNbr'))], 'lb2'), // lb2 itself is no router
  ];

  it('is the time from the failure to the first router line saying the neighbour went down', () => {
    const { figures } = computeFigures(input({ actions: silentLb2, logs }));
    expect(figures.ospf_detection_s.value).toBe(3.456);
    expect(figures.ospf_detection_s.resolution).toBe(0.004); // 1 ms logs + 3 ms command
    expect(figures.ospf_detection_s.method).toMatch(/router logged 'Full -> Deleted \(InactivityTimer\)' for lb2 at 13\.456 s/);
  });

  it('matches the neighbour by router id when it differs from the address (FRR 7 wording too)', () => {
    const lab: ResolvedLab = structuredClone(LAB);
    lab.nodes.find((n) => n.name === 'lb2')!.ospf!.routerId = '2.2.2.2';
    const lines = routerLog([frr(12, 'AdjChg: Nbr 2.2.2.2(default) on eth0:10.0.1.136: Full -> Down (InactivityTimer)')]);
    expect(computeFigures(input({ lab, actions: silentLb2, logs: lines })).figures.ospf_detection_s.value).toBe(2);
  });

  it('is null, saying why, when no router logged the loss or the failure hits no announcer', () => {
    const none = computeFigures(input({ actions: silentLb2, logs: logs.slice(0, 2) })).figures.ospf_detection_s;
    expect(none.value).toBeNull();
    expect(none.note).toMatch(/no router logged neighbour lb2/);
    const rs = computeFigures(input({ actions: [step(0, 'kill', 'rs1', 10, { daemon: 'nginx' })], logs })).figures.ospf_detection_s;
    expect(rs.value).toBeNull();
    expect(rs.note).toMatch(/announces 10\.0\.1\.100\/32/);
  });
});

describe('bfd_detection_s', () => {
  /** A bfdd line at `seconds` after traffic start, as FRR 8.4 logs it with `debug bfd peer`. */
  const bfdd = (seconds: number, peer: string, from: string, to: string, reason = ' reason:control-expired') =>
    frr(seconds, `state-change: [mhop:no peer:${peer} local:0.0.0.0 vrf:default ifname:eth0] ${from} -> ${to}${reason}`).replace(' OSPF: [Y05P2-YJVXY] ', ' BFD: [SEY1D-NT8EQ] ');
  const bfdLab = (): ResolvedLab => {
    const lab = structuredClone(LAB);
    lab.ospf.bfd = { intervalMs: 300, multiplier: 3 };
    return lab;
  };
  const logs = [
    ...routerLog([
      bfdd(9, LB2, 'up', 'down'), // before the event
      bfdd(10.4, LB1, 'up', 'down'), // another neighbour
      bfdd(10.5, LB2, 'init', 'down'), // never up: not a loss
      bfdd(10.873, LB2, 'up', 'down'),
      frr(10.873, adj(LB2, 'Full', 'Deleted', 'InactivityTimer')),
      bfdd(26, LB2, 'down', 'up', ''),
    ]),
    ...routerLog([bfdd(10.2, '10.0.1.136', 'up', 'down')], 'lb2'), // lb2 itself is no router
  ];

  it('is the time from the failure to the router bfdd line saying its session with the announcer went up -> down', () => {
    const { figures } = computeFigures(input({ lab: bfdLab(), actions: silentLb2, logs }));
    expect(figures.bfd_detection_s.value).toBe(0.873);
    expect(figures.bfd_detection_s.resolution).toBe(0.004); // 1 ms logs + 3 ms command
    expect(figures.bfd_detection_s.method).toMatch(/router logged 'up -> down \(control-expired\)' for peer 10\.0\.1\.135 \(lb2\) at 10\.873 s/);
    expect(figures.bfd_detection_s.method).toMatch(/3 x 300 ms = 0\.900 s after the last control packet/);
    // ospfd's figure says the adjacency fell on BFD's news, not the dead interval.
    expect(figures.ospf_detection_s.value).toBe(0.873);
    expect(figures.ospf_detection_s.method).toMatch(/With BFD on \(300 ms x 3\)/);
    expect(figures.ospf_detection_s.method).not.toMatch(/dead interval/);
  });

  it('is not measured on a lab without BFD, and says so, instead of a 0 or a stray line', () => {
    const { figures } = computeFigures(input({ actions: silentLb2, logs }));
    expect(figures.bfd_detection_s.value).toBeNull();
    expect(figures.bfd_detection_s.resolution).toBeNull();
    expect(figures.bfd_detection_s.note).toBe('lab ospf-ecmp runs no BFD (its ospf.bfd is not set)');
    expect(figures.ospf_detection_s.method).toMatch(/only noticed after the dead interval \(4 s here\)/);
  });

  it('is null, saying why, when no router logged the loss or nothing failed', () => {
    const none = computeFigures(input({ lab: bfdLab(), actions: silentLb2, logs: logs.slice(0, 3) })).figures.bfd_detection_s;
    expect(none.value).toBeNull();
    expect(none.note).toMatch(/no router logged its BFD session with lb2 \(10\.0\.1\.135\) down after timeline step 0/);
    const steady = computeFigures(input({ lab: bfdLab(), logs })).figures.bfd_detection_s;
    expect(steady.value).toBeNull();
    expect(steady.note).toBe('the run has no timeline');
  });
});

describe('route_withdrawal_s and route_restoration_s', () => {
  const events: RouteEvent[] = [
    routeEvent(5, [LB1, LB2]),
    routeEvent(10.5, [LB1], 'change', '10.9.9.0/24'), // another prefix
    routeEvent(12, [LB1, LB2]), // still through lb2
    routeEvent(13.5, [LB1]),
    routeEvent(26, [LB2]), // lb2 back but lb1 missing: not every next hop yet
    routeEvent(27.25, [LB1, LB2]),
  ];

  it('measure event -> VIP route without the announcer, and restore -> every earlier next hop back', () => {
    const { figures } = computeFigures(input({ actions: silentLb2, routeEvents: events }));
    expect(figures.route_withdrawal_s.value).toBe(3.5);
    expect(figures.route_withdrawal_s.resolution).toBeCloseTo(0.003001, 9);
    expect(figures.route_restoration_s.value).toBe(2.25);
    expect(figures.route_restoration_s.method).toMatch(/had 10\.0\.1\.133, 10\.0\.1\.135 before the failure/);
  });

  it('takes the state before the failure from the latest snapshot when no route event precedes it', () => {
    const snapshots = [snapshot('before', 9.3, [LB1, LB2])];
    const { figures } = computeFigures(input({ actions: silentLb2, snapshots, routeEvents: events.slice(3) }));
    expect(figures.route_withdrawal_s.value).toBe(3.5);
    expect(figures.route_restoration_s.value).toBe(2.25); // 26 s has lb2 back but not lb1
  });

  it('counts a deleted route as withdrawn', () => {
    const { figures } = computeFigures(input({ actions: silentLb2, routeEvents: [routeEvent(5, [LB2]), routeEvent(14, [], 'del'), routeEvent(26, [LB2], 'add')] }));
    expect(figures.route_withdrawal_s.value).toBe(4);
    expect(figures.route_restoration_s.value).toBe(1);
  });

  it('waits for the last router that used the announcer', () => {
    const lab: ResolvedLab = structuredClone(LAB);
    const router = lab.nodes.find((n) => n.name === 'router')!;
    lab.nodes.push({ ...structuredClone(router), name: 'router2' });
    const routeEvents = [...events, routeEvent(5, [LB1, LB2], 'change', `${VIP}/32`, 'router2'), routeEvent(14.25, [LB1], 'change', `${VIP}/32`, 'router2'), routeEvent(26.5, [LB1, LB2], 'change', `${VIP}/32`, 'router2')];
    const { figures } = computeFigures(input({ lab, actions: silentLb2, routeEvents }));
    expect(figures.route_withdrawal_s.value).toBe(4.25);
    expect(figures.route_restoration_s.value).toBe(2.25);
  });

  it('is null, saying so, when a router kept the next hop', () => {
    const { figures } = computeFigures(input({ actions: silentLb2, routeEvents: events.slice(0, 3) }));
    expect(figures.route_withdrawal_s.value).toBeNull();
    expect(figures.route_withdrawal_s.note).toMatch(/router\(s\) router kept lb2/);
    expect(figures.route_restoration_s.value).toBeNull();
    expect(figures.route_restoration_s.note).toMatch(/never lost/);
  });

  it('falls back to the snapshots only without route events, as an upper bound', () => {
    const snapshots = [snapshot('before', -1, [LB1, LB2]), snapshot('during', 15, [LB1]), snapshot('after', 41, [LB1, LB2])];
    const { figures } = computeFigures(input({ actions: silentLb2, snapshots }));
    expect(figures.route_withdrawal_s.value).toBe(5);
    expect(figures.route_withdrawal_s.resolution).toBe(5);
    expect(figures.route_withdrawal_s.method).toMatch(/falls back to the snapshots/);
    expect(figures.route_restoration_s.value).toBe(16);
    const withEvents = computeFigures(input({ actions: silentLb2, snapshots, routeEvents: events })).figures;
    expect(withEvents.route_withdrawal_s.value).toBe(3.5);
  });
});

describe('nexthops.before/during/after', () => {
  it('count the VIP next hops of the first router in each snapshot', () => {
    const snapshots = [snapshot('before', -1, [LB1, LB2]), snapshot('during', 15, [LB1]), snapshot('after', 41, [LB1, LB2])];
    const { figures } = computeFigures(input({ actions: silentLb2, snapshots }));
    expect([figures['nexthops.before'].value, figures['nexthops.during'].value, figures['nexthops.after'].value]).toEqual([2, 1, 2]);
    expect(figures['nexthops.during'].method).toMatch(/router.*10\.0\.1\.133/);
  });

  it("take the 'start' snapshot for 'before' in a run without timeline, and say so", () => {
    const start = { ...snapshot('before', -0.5, [LB1, LB2]), phase: 'start' as const };
    const { figures } = computeFigures(input({ snapshots: [start] }));
    expect(figures['nexthops.before'].value).toBe(2);
    expect(figures['nexthops.before'].method).toMatch(/'start' snapshot stands in/);
    expect(computeFigures(input({ snapshots: [start], actions: silentLb2 })).figures['nexthops.before'].value).toBeNull();
  });

  it('accept the VIP without /32 as key, and are null without the snapshot', () => {
    const s = snapshot('during', 15, undefined);
    s.routers.router = { fib: [], rib: {}, ospfNeighbors: [], vipNextHops: { [VIP]: [] } };
    const { figures } = computeFigures(input({ actions: silentLb2, snapshots: [s] }));
    expect(figures['nexthops.during'].value).toBe(0);
    expect(figures['nexthops.before'].value).toBeNull();
    expect(figures['nexthops.before'].note).toMatch(/no 'before' snapshot/);
  });
});
