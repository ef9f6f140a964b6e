// computeFigures on real daemon output captured from an ospf-ecmp lab (see
// test/fixtures/runs/captured/README.md): the parsers and the figures together, on lines
// FRR, iproute2 and healthd really wrote. Expected values are the differences between the
// fixture's own timestamps, worked out by hand from the files.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ActionRecord } from '../../src/experiment/types.js';
import { computeFigures } from '../../src/figures/compute.js';
import { parseFrrLog } from '../../src/logs/frr.js';
import { parseHealthdLog } from '../../src/logs/healthd.js';
import { parseIpMonitorRoute } from '../../src/logs/ip-monitor.js';
import { parseNginxAccessLog } from '../../src/logs/nginx.js';
import type { FigureInput } from '../../src/figures/context.js';
import { input } from '../fixtures/runs/synthetic.js';

const captured = (name: string) => readFileSync(new URL(`../fixtures/runs/captured/${name}`, import.meta.url), 'utf8');

const moments = new Map(
  captured('actions.txt')
    .trim()
    .split('\n')
    .map((line) => {
      const i = line.lastIndexOf(' ');
      return [line.slice(0, i), Number(line.slice(i + 1)) * 1000] as const;
    }),
);

function stepAt(index: number, action: ActionRecord['action'], node: string, label: string, extra: Partial<ActionRecord> = {}): ActionRecord {
  const t = moments.get(label)!;
  // The capture wrote the moment just before each command; it did not record when it returned.
  return { step: index, action, node, plannedAt: t, startedAt: t, doneAt: t, ok: true, detail: label, ...extra };
}

const utc = { timeZone: 'utc' } as const;
const logs = [
  ...parseFrrLog(captured('router-frr.log'), { node: 'router', ...utc }),
  ...parseFrrLog(captured('lb1-frr.log'), { node: 'lb1', ...utc }),
  ...parseFrrLog(captured('lb2-frr.log'), { node: 'lb2', ...utc }),
  ...parseHealthdLog(captured('lb1-healthd.log'), { node: 'lb1' }),
  ...parseHealthdLog(captured('lb2-healthd.log'), { node: 'lb2' }),
  ...parseNginxAccessLog(captured('rs1-nginx-access.log'), { node: 'rs1' }),
  ...parseNginxAccessLog(captured('rs2-nginx-access.log'), { node: 'rs2' }),
];
const routeEvents = parseIpMonitorRoute(captured('router-ip-monitor-route.txt'), { node: 'router', ...utc, present: ['10.0.1.100/32'] });
const window = { trafficStart: moments.get('linkdown')! - 5000, trafficEnd: moments.get('enabled')! + 1000 };
const utcMs = (h: number, m: number, s: number, ms: number) => Date.UTC(2026, 10, 21, h, m, s) + ms;

describe('figures from captured daemon output', () => {
  it('lb2 link down and up: OSPF detection, then the route, then restoration', () => {
    const actions = [stepAt(0, 'link-down', 'lb2', 'linkdown', { interface: 'eth0' }), stepAt(1, 'link-up', 'lb2', 'linkup', { interface: 'eth0' })];
    const { figures } = computeFigures(input({ ...window, actions, logs, routeEvents }));
    const down = moments.get('linkdown')!;
    expect(figures.ospf_detection_s.value).toBeCloseTo((utcMs(11, 16, 31, 467) - down) / 1000, 6);
    expect(figures.route_withdrawal_s.value).toBeCloseTo((utcMs(11, 16, 31, 477.988) - down) / 1000, 6);
    expect(figures.route_restoration_s.value).toBeCloseTo((utcMs(11, 16, 33, 834.794) - moments.get('linkup')!) / 1000, 6);
    // Sanity of the physics: the dead interval (4 s), and the route follows the log within ms.
    expect(figures.ospf_detection_s.value!).toBeGreaterThan(3);
    expect(figures.ospf_detection_s.value!).toBeLessThan(4.5);
    expect(figures.route_withdrawal_s.value! - figures.ospf_detection_s.value!).toBeLessThan(0.1);
  });

  it('silent failures of lb1 then lb2: the first announcer failure, restoration to both next hops', () => {
    const actions = [
      stepAt(0, 'silent-failure', 'lb1', 'silent lb1', { interface: 'eth0' }),
      stepAt(1, 'silent-failure', 'lb2', 'silent lb2', { interface: 'eth0' }),
      stepAt(2, 'silent-restore', 'lb1', 'restore', { interface: 'eth0' }),
      stepAt(3, 'silent-restore', 'lb2', 'restore', { interface: 'eth0' }),
    ];
    const { figures } = computeFigures(input({ ...window, actions, logs, routeEvents }));
    const t0 = moments.get('silent lb1')!;
    expect(figures.ospf_detection_s.value).toBeCloseTo((utcMs(11, 16, 42, 382) - t0) / 1000, 6);
    expect(figures.route_withdrawal_s.value).toBeCloseTo((utcMs(11, 16, 42, 393.126) - t0) / 1000, 6);
    // 11:16:49.195 has only lb2 back; every earlier next hop is back at 11:16:49.449.
    expect(figures.route_restoration_s.value).toBeCloseTo((utcMs(11, 16, 49, 448.905) - moments.get('restore')!) / 1000, 6);
  });

  it('nginx killed on rs2: both directors disabled it, the later one counts', () => {
    const actions = [stepAt(0, 'kill', 'rs2', 'kill nginx rs2', { daemon: 'nginx' }), stepAt(1, 'start', 'rs2', 'restart nginx rs2', { daemon: 'nginx' })];
    const { figures } = computeFigures(input({ ...window, actions, logs, routeEvents }));
    expect(figures.hc_removal_s.value).toBeCloseTo((Date.parse('2026-11-21T11:17:04.722Z') - moments.get('kill nginx rs2')!) / 1000, 6);
    expect(figures.hc_removal_s.method).toMatch(/lb1 at .*, lb2 at .*; the last is lb2/);
    expect(figures.hc_removal_s.resolution).toBe(0.001);
    // Not a director failure: nothing for OSPF or the routes to measure.
    expect(figures.ospf_detection_s.value).toBeNull();
    expect(figures.route_withdrawal_s.value).toBeNull();
  });

  it('nginx killed on rs1 and back before lb1 checked again: no removal figure, and it says which director', () => {
    const actions = [stepAt(0, 'kill', 'rs1', 'killed-worker', { daemon: 'nginx' }), stepAt(1, 'start', 'rs1', 'restart nginx', { daemon: 'nginx' })];
    const { figures } = computeFigures(input({ ...window, actions, logs, routeEvents }));
    expect(figures.hc_removal_s.value).toBeNull();
    expect(figures.hc_removal_s.note).toMatch(/lb1 never logged removing rs1/);
  });
});

describe('a captured steady run (capture/steady-run.mjs: 2 clients x 150 requests at 50/s, no timeline)', () => {
  const run = JSON.parse(captured('steady-run.json')) as Pick<FigureInput, 'trafficStart' | 'trafficEnd' | 'requests' | 'snapshots'> & { accessLogs: Record<string, string> };
  const nginx = Object.entries(run.accessLogs).flatMap(([node, text]) => parseNginxAccessLog(text, { node }));
  const { figures, hits, crossCheck } = computeFigures(
    input({ trafficStart: run.trafficStart, trafficEnd: run.trafficEnd, requests: run.requests, snapshots: run.snapshots, logs: nginx, experiment: { name: 'steady', duration: 3, traffic: [{ rate: 50 }] } }),
  );

  it('clients, director counters and nginx logs count exactly the same requests per real server', () => {
    expect(figures.requests_total.value).toBe(300);
    expect(figures.requests_failed.value).toBe(0);
    expect(crossCheck.agree).toBe(true);
    expect(crossCheck.nginxLog).toEqual(crossCheck.clientOk);
    expect(crossCheck.directorCounters).toEqual(crossCheck.clientOk);
    // The health checks in the same logs were left out, not counted.
    expect(nginx.length).toBeGreaterThan(300);
  });

  it('splits new connections over both directors (ECMP), and their counters add up to the requests', () => {
    expect(Object.keys(hits.perDirector).sort()).toEqual(['lb1', 'lb2']);
    expect(Object.values(hits.perDirector).every((n) => n !== null && n > 0)).toBe(true);
    expect(Object.values(hits.perDirector).reduce((s: number, n) => s + n!, 0)).toBe(300);
    expect(hits.perPhase.before.perDirector).toEqual(hits.perDirector);
  });

  it('has no outage, and the snapshots show both next hops', () => {
    expect(figures.outage_s.value).toBe(0);
    expect(figures.outage_s.resolution).toBeLessThan(0.03); // two clients at 50/s each
    expect(figures['nexthops.before'].value).toBe(2);
    expect(figures['nexthops.after'].value).toBe(2);
    expect(figures.chi2_p.value).toBeGreaterThan(0.05); // rr on each director: near-even split
  });
});
