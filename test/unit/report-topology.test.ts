import { describe, expect, it } from 'vitest';
import { failedElements, nextHopTimeline, phaseWindows, verdictOf, vipRoutes } from '../../src/report/analysis.js';
import { topologyFromLab, topologyOf } from '../../src/report/topology.js';
import { topologyDrawing } from '../../src/report/svg/topology.js';
import { ospfEcmpResolved } from '../fixtures/ospf-ecmp.resolved.js';
import { failoverRun } from '../fixtures/results/load-fixtures.js';
import { xmlProblem } from '../fixtures/results/xml-wellformed.js';

describe('topology for the reports', () => {
  it('topologyFromLab gives what the hand-made fixture records for ospf-ecmp', () => {
    const fromLab = topologyFromLab(ospfEcmpResolved);
    expect(fromLab).toEqual(failoverRun().topology);
  });

  it("topologyFromLab records BFD's timers beside OSPF's only on a lab that runs BFD", () => {
    expect(topologyFromLab(ospfEcmpResolved).ospf).toEqual({ hello: 1, dead: 4 });
    const lab = structuredClone(ospfEcmpResolved);
    lab.ospf.bfd = { intervalMs: 300, multiplier: 3 };
    expect(topologyFromLab(lab).ospf).toEqual({ hello: 1, dead: 4, bfd: { intervalMs: 300, multiplier: 3 } });
  });

  it('draws point-to-point links and a failed daemon as well', () => {
    const topo = topologyFromLab(ospfEcmpResolved);
    topo.links.push({ name: 'up1', subnet: '10.21.21.0/30' });
    topo.nodes.find((n) => n.name === 'router')!.interfaces.push({ name: 'up0', address: '10.21.21.1', link: 'up1' });
    topo.nodes.find((n) => n.name === 'lb1')!.interfaces.push({ name: 'up0', address: '10.21.21.2', link: 'up1' });
    const svg = topologyDrawing(topo, {
      failed: [
        { node: 'lb1', interface: 'up0', action: 'link-down', from: 5, to: 9, repairedBy: 'link-up' },
        { node: 'rs1', daemon: 'nginx', action: 'kill', from: 12, to: null },
      ],
    });
    expect(xmlProblem(svg)).toBeUndefined();
    expect(svg).toContain('class="link failed"');
    expect(svg).toContain('up1 10.21.21.0/30');
    expect(svg).toContain('✕ kill nginx');
    expect(svg).toContain('12.0–end');
    expect((svg.match(/<g class="node [^"]*failed">/g) ?? []).length).toBe(2);
  });

  it('without a recorded topology, names routers, directors and real servers from the records', () => {
    const r = failoverRun();
    delete r.topology;
    const view = topologyOf(r);
    expect(view.recorded).toBe(false);
    expect(view.topology.nodes.map((n) => `${n.name}:${n.role}`)).toEqual(['router:router', 'lb1:director', 'lb2:director', 'rs1:realserver', 'rs2:realserver']);
  });
});

describe('analysis of a run', () => {
  const r = failoverRun();

  it('pairs each breaking action with its repair', () => {
    expect(failedElements(r)).toEqual([{ node: 'lb2', interface: 'eth0', action: 'silent-failure', from: expect.closeTo(10, 2), to: expect.closeTo(25, 2), repairedBy: 'silent-restore' }]);
  });

  it('phases follow the first and last action', () => {
    const w = phaseWindows(r);
    expect(w.before[0]).toBe(0);
    expect(w.during[0]).toBeCloseTo(10, 2);
    expect(w.after[0]).toBeCloseTo(25, 2);
    expect(w.after[1]).toBe(40);
  });

  it('follows the VIP route: 2 next hops, 1 from the withdrawal, 2 from the restoration', () => {
    const tl = nextHopTimeline(r, r.topology)!;
    expect(tl.label).toBe('router: 10.0.1.100/32 next hops');
    expect(tl.steps.map((s) => s.count)).toEqual([2, 1, 2]);
    expect(tl.steps[1]!.from).toBeCloseTo(14.087, 3);
    expect(tl.steps[2]!.from).toBeCloseTo(26.312, 3);
    expect(vipRoutes(r, r.topology)[0]!.hops.during).toEqual(['10.0.1.133']);
  });

  it('a failed timeline step fails the run even when every assertion passed', () => {
    const x = failoverRun();
    x.assertions = x.assertions.filter((a) => a.passed);
    expect(verdictOf(x)).toMatchObject({ passed: true, text: '3 of 3 assertions passed' });
    x.timeline[0]!.ok = false;
    expect(verdictOf(x)).toMatchObject({ passed: false, text: '3 of 3 assertions passed, 1 timeline step failed' });
  });
});
