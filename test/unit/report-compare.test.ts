import { describe, expect, it } from 'vitest';
import { renderCompare } from '../../src/report/compare.js';
import { failoverRun, slowHelloRun } from '../fixtures/results/load-fixtures.js';
import { xmlProblem } from '../fixtures/results/xml-wellformed.js';

describe('renderCompare', () => {
  const a = failoverRun();
  const b = slowHelloRun();
  const { markdown, html } = renderCompare(a, b);

  it('puts the figures side by side with B − A and B / A', () => {
    expect(markdown).toContain('| figure | unit | A | B | B − A | B / A |');
    expect(markdown).toContain('| `outage_s` | s | 4.133 | 39.778 | +35.645 | ×9.63 |');
    expect(markdown).toContain('| `requests_failed` | count | 954 | 7\u2009880 | +6\u2009926 | ×8.26 |');
    expect(markdown).toContain('| `failed_refused` | count | 129 | 0 | −129 | ×0.00 |');
    expect(markdown).toContain('| `hc_removal_s` | s | — | — | — | — |');
    expect(markdown).toContain('| failover | OSPF ECMP, hello 1 s, dead 4 s | OSPF ECMP, hello 10 s, dead 40 s |');
  });

  it('names BFD\'s timers beside OSPF\'s for a run on a lab with BFD', () => {
    const bfd = structuredClone(a) as typeof a & { topology?: { ospf?: Record<string, unknown> } };
    bfd.topology!.ospf!.bfd = { intervalMs: 300, multiplier: 3 };
    const compared = renderCompare(a, bfd);
    expect(compared.markdown).toContain('| failover | OSPF ECMP, hello 1 s, dead 4 s | OSPF ECMP, hello 1 s, dead 4 s, BFD 300 ms x 3 |');
    expect(compared.html).toContain('hello 1 s, dead 4 s, BFD 300 ms x 3');
  });

  it('shows both runs’ assertions and one fallback notice for both', () => {
    expect(markdown).toContain('| `outage_s <= 5` | PASS (4.133 s) | FAIL (39.778 s) |');
    expect(markdown).toContain('Both runs used nftables, NOT kernel IPVS');
    expect((html.match(/class="fallback"/g) ?? []).length).toBe(1);
  });

  it('stacks both timelines on one time axis (the longer run sets it)', () => {
    expect(xmlProblem(html)).toBeUndefined();
    expect(html).not.toMatch(/https?:\/\/|<script/);
    const charts = [...html.matchAll(/<svg class="chart timeline-chart"[\s\S]*?<\/svg>/g)].map((m) => m[0]);
    expect(charts).toHaveLength(2);
    const ticks = (svg: string) => [...svg.matchAll(/>(\d+) s<\/text>/g)].map((m) => Number(m[1]));
    expect(ticks(charts[0]!)).toEqual(ticks(charts[1]!));
    expect(Math.max(...ticks(charts[0]!))).toBeGreaterThanOrEqual(70);
    // the same y scale too: identical gridline labels
    const yLabels = (svg: string) => [...svg.matchAll(/text-anchor="end" fill="#6b7280">(\d+)</g)].map((m) => m[1]);
    expect(yLabels(charts[0]!)).toEqual(yLabels(charts[1]!));
    // the 40 s run's events sit where the 75 s run's axis puts 10 s and 25 s
    expect(charts[0]).toContain('silent-failure lb2 eth0 @ 10.0 s');
    expect(charts[1]).toContain('silent-restore lb2 eth0 @ 60.0 s');
  });

  it('draws the text timelines of both runs on one ruler', () => {
    const lines = markdown.split('\n');
    const A = lines.find((l) => l.startsWith('A  '))!;
    const B = lines.find((l) => l.startsWith('B  '))!;
    expect([...A]).toHaveLength([...B].length);
    expect(A.slice(3 + 40)).toMatch(/^·+$/); // A stopped at 40 s
  });
});

describe('renderCompare: OSPF ECMP against the VRRP baseline', () => {
  // The failover fixture (ECMP, both directors before the failure), and the same run as the
  // VRRP baseline would record it: lb1 alone before the failure, the VIP moving to lb2.
  const ecmp = failoverRun();
  ecmp.figures = { ...ecmp.figures, directors_before: figure(2), requests_total: figure(16000), requests_failed: figure(891) };
  ecmp.hits.perPhase.before.perDirector = { lb1: 2210, lb2: 2133 };
  const vrrp = failoverRun();
  vrrp.experiment.name = 'vrrp-failover';
  vrrp.lab.name = 'keepalived-vrrp';
  vrrp.topology!.services[0]!.vrrp = { advertInt: 1, priorities: { lb1: 150, lb2: 100 } };
  delete vrrp.topology!.ospf;
  vrrp.figures = {
    ...vrrp.figures,
    outage_s: { ...vrrp.figures.outage_s, value: 3.081 },
    restore_outage_s: { value: 2.65, unit: 's', method: '', resolution: 0.002 },
    vip_move_s: { value: 3.15, unit: 's', method: '', resolution: 0.06 },
    route_withdrawal_s: { value: null, unit: 's', method: '', resolution: null, note: 'no OSPF' },
    directors_before: figure(1),
    requests_total: figure(16000),
    requests_failed: figure(2295),
  };
  vrrp.hits.perPhase.before.perDirector = { lb1: 4072, lb2: 0 };
  const mac = (n: string) => (n === 'lb1' ? '02:c5:8d:a1:41:0f' : '02:7f:04:1e:30:c4');
  vrrp.neighbourEvents = [
    { t: vrrp.trafficStart + 4, node: 'router', address: '10.0.1.100', lladdr: mac('lb1'), state: ['REACHABLE'], deleted: false, director: 'lb1', raw: '' },
    { t: vrrp.trafficStart + 13_643, node: 'router', address: '10.0.1.100', lladdr: mac('lb2'), state: ['STALE'], deleted: false, director: 'lb2', raw: '' },
    { t: vrrp.trafficStart + 18_739, node: 'router', address: '10.0.1.100', lladdr: mac('lb2'), state: ['REACHABLE'], deleted: false, director: 'lb2', raw: '' },
  ];
  const { markdown, html } = renderCompare(ecmp, vrrp);

  it('names each failover mechanism', () => {
    expect(markdown).toContain('| failover | OSPF ECMP, hello 1 s, dead 4 s | VRRP active/standby, advert\\_int 1 s, lb1 150, lb2 100 |');
  });

  it('puts who carried the traffic, the outages and the requests lost side by side', () => {
    expect(markdown).toContain('| directors carrying traffic before the failure | 2: lb1 50.9 %, lb2 49.1 % | 1: lb1 100.0 %, lb2 0.0 % |');
    expect(markdown).toMatch(/\| router stopped sending to the failed director \| \S+ s \(route withdrawn: route\\_withdrawal\\_s\) \| 3\.15 s \(VIP moved: vip\\_move\\_s\) \|/);
    expect(markdown).toMatch(/\| outage after the failure \(outage\\_s\) \| 4\.133 s \| 3\.081 s \|/);
    expect(markdown).toContain('| requests lost (requests\\_failed) | 891 of 16\u2009000 (5.6 %) | 2\u2009295 of 16\u2009000 (14.3 %) |');
    expect(html).toContain('<h2>Headline</h2>');
    expect(xmlProblem(html)).toBeUndefined();
  });

  it('lists the VIP moves among the events, state-only changes left out', () => {
    expect(markdown).toContain('| 13.643 s | B | `router: 10.0.1.100 at lb2` |');
    expect(markdown).not.toContain('18.739 s');
  });
});

function figure(value: number) {
  return { value, unit: 'count' as const, method: '', resolution: 1 };
}
