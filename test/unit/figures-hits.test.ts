import { describe, expect, it } from 'vitest';
import { computeFigures } from '../../src/figures/compute.js';
import { LB1, LB2, at, counterSnapshot, experiment, input, longLived, requestStream, snapshot, step } from '../fixtures/runs/synthetic.js';

// kill rs1's nginx at 10 s, pause lb1's dataplane at 20 s: after 10 s only rs2 answers, after
// 20 s only lb2 forwards.
const actions = [step(0, 'kill', 'rs1', 10, { daemon: 'nginx' }), step(1, 'pause', 'lb1', 20, { daemon: 'dataplane' })];
const requests = requestStream({ fromS: 0, toS: 40, rate: 100, serverAt: (s, i) => (s < 10 ? (i % 2 === 0 ? 'rs1' : 'rs2') : 'rs2') });
const counters = (lb1: number, lb2: number) => ({
  lb1: { conns: lb1, perServer: { rs1: 0, rs2: lb1 } },
  lb2: { conns: lb2, perServer: { rs1: 0, rs2: lb2 } },
});

describe('hits', () => {
  it('counts ok answers per server over the run and per phase, and the configured shares', () => {
    const { hits } = computeFigures(input({ requests, actions }));
    expect(hits.perRealServer).toEqual({ rs1: 500, rs2: 3500 });
    expect(hits.expectedShare).toEqual({ rs1: 0.5, rs2: 0.5 });
    expect(hits.perPhase.before.perRealServer).toEqual({ rs1: 500, rs2: 500 });
    expect(hits.perPhase.during.perRealServer).toEqual({ rs2: 1000 });
    expect(hits.perPhase.after.perRealServer).toEqual({ rs2: 2000 });
  });

  it('takes directors from counter deltas, per phase only where snapshots mark its boundaries', () => {
    const snapshots = [snapshot('before', -1, [LB1, LB2], counters(100, 200)), snapshot('during', 19.995, [LB2], counters(1100, 1200)), snapshot('after', 41, [LB1, LB2], counters(1100, 3200))];
    const { hits, figures } = computeFigures(input({ requests, actions, snapshots }));
    expect(hits.perDirector).toEqual({ lb1: 1000, lb2: 3000 });
    expect(hits.perPhase.after.perDirector).toEqual({ lb1: 0, lb2: 2000 });
    // Nothing marks 10 s (the first event): the before and during phases are not measured,
    // which is null with the reason, never 0.
    expect(hits.perPhase.before.perDirector).toEqual({ lb1: null, lb2: null });
    expect(hits.perPhase.during.perDirector).toEqual({ lb1: null, lb2: null });
    expect(hits.perPhase.before.directors?.notMeasured.lb1).toMatch(/no counters were read at timeline step 0 \(10\.000 s\) and no snapshot marks that boundary/);
    expect(hits.perPhase.during.directors?.resolution).toBeNull();
    expect(figures.directors_after.value).toBe(1);
    expect(figures.directors_after.method).toMatch(/the 'during' snapshot \(19\.995 s, no connection opened between it and the boundary\).*Counts: lb1 0, lb2 2000; grew: lb2\./);
  });

  describe('per phase from the counters read at each step', () => {
    // Requests every 10 ms (100/s). Step 0 at 10 s: counters read 9.985-9.995 s; step 1 at
    // 20 s: read 19.975-19.995 s. lb1 takes no new connection after 20 s.
    const snapshots = [snapshot('start', -1, [LB1, LB2], counters(100, 200)), snapshot('after', 41, [LB1, LB2], counters(1100, 3200))];
    const reads = (stale = 0) => [
      counterSnapshot(0, 9.985, 9.995, counters(600, 700), { staleUpToMs: stale }),
      counterSnapshot(1, 19.975, 19.995, counters(1100, 1200), { staleUpToMs: stale }),
    ];

    it('counts each phase as the difference of the readings at its boundaries; the phases add up to the total', () => {
      const { hits, figures } = computeFigures(input({ requests, actions, snapshots, counterSnapshots: reads() }));
      expect(hits.perDirector).toEqual({ lb1: 1000, lb2: 3000 });
      expect(hits.perPhase.before.perDirector).toEqual({ lb1: 500, lb2: 500 });
      expect(hits.perPhase.during.perDirector).toEqual({ lb1: 500, lb2: 500 });
      expect(hits.perPhase.after.perDirector).toEqual({ lb1: 0, lb2: 2000 });
      for (const d of ['lb1', 'lb2']) {
        const phases = (['before', 'during', 'after'] as const).map((p) => hits.perPhase[p].perDirector[d]!);
        expect(phases.reduce((a, b) => a + b, 0)).toBe(hits.perDirector[d]);
      }
      // Resolution: the read started 15 ms (step 0) and 25 ms (step 1) before the boundary;
      // the requests that started in [read start, boundary) are the counts' doubt.
      expect(hits.perPhase.before.directors).toMatchObject({ resolution: 0.015, uncertainty: 1, notMeasured: {} }); // 9.99
      expect(hits.perPhase.during.directors).toMatchObject({ resolution: 0.025, uncertainty: 3 }); // 9.99; 19.98, 19.99
      expect(hits.perPhase.after.directors).toMatchObject({ resolution: 0.025, uncertainty: 2 });
      // The settled start and after snapshots lie outside the traffic: the total is exact.
      expect(hits.directors).toMatchObject({ resolution: 0, uncertainty: 0 });
      expect(hits.perPhase.during.directors?.method).toMatch(/read at timeline step 1 \(19\.975 s to 19\.995 s, exact when read\) minus the counters read at timeline step 0/);
      expect(figures.directors_after.value).toBe(1);
      expect(figures.directors_after.method).toMatch(/Counts: lb1 0, lb2 2000; grew: lb2\./);
    });

    it("widens the boundaries by IPVS's estimator period and counts the connections in doubt", () => {
      const { hits } = computeFigures(input({ requests, actions, snapshots, counterSnapshots: reads(2000) }));
      expect(hits.perPhase.before.perDirector).toEqual({ lb1: 500, lb2: 500 });
      // [7.985 s, 10 s): the requests at 7.99 ... 9.99 s.
      expect(hits.perPhase.before.directors).toMatchObject({ resolution: 2.015, uncertainty: 201 });
      expect(hits.perPhase.before.directors?.method).toMatch(/values up to 2 s older: IPVS's estimator/);
    });

    it('a director whose counters could not be read, or went backwards, is not measured, with the reason', () => {
      const failed = [
        counterSnapshot(0, 9.985, 9.995, { lb1: counters(600, 700).lb1 }, { errors: { lb2: 'nft: Operation not permitted' } }),
        counterSnapshot(1, 19.975, 19.995, counters(1100, 50)),
      ];
      const { hits } = computeFigures(input({ requests, actions, snapshots, counterSnapshots: failed }));
      expect(hits.perPhase.before.perDirector).toEqual({ lb1: 500, lb2: null });
      expect(hits.perPhase.before.directors?.notMeasured).toEqual({ lb2: "reading director lb2's counters at timeline step 0 failed: nft: Operation not permitted" });
      expect(hits.perPhase.during.perDirector.lb2).toBeNull();
      expect(hits.perPhase.after.perDirector).toEqual({ lb1: 0, lb2: 3150 });
      expect(hits.perDirector).toEqual({ lb1: 1000, lb2: 3000 });
      const backwards = computeFigures(input({ requests, actions, snapshots: [...snapshots.slice(0, 1), snapshot('after', 41, [LB1, LB2], counters(1100, 20))], counterSnapshots: reads() }));
      expect(backwards.hits.perDirector.lb2).toBeNull();
      expect(backwards.hits.directors?.notMeasured.lb2).toMatch(/went backwards \(200 -> 20\): reset by a restart/);
    });

    it('a run without a timeline has no during or after phase: not measured, saying so', () => {
      const { hits } = computeFigures(input({ requests, snapshots }));
      expect(hits.perPhase.before.perDirector).toEqual(hits.perDirector);
      expect(hits.perPhase.after.perDirector).toEqual({ lb1: null, lb2: null });
      expect(hits.perPhase.after.directors?.notMeasured.lb1).toBe('the run has no timeline, so it has no after phase');
    });
  });

  it('directors_after falls back to during -> after snapshots and says what that covers', () => {
    const snapshots = [snapshot('before', -1, [LB1, LB2], counters(100, 200)), snapshot('during', 15, [LB2], counters(600, 700)), snapshot('after', 41, [LB1, LB2], counters(1100, 3200))];
    const { figures } = computeFigures(input({ requests, actions, snapshots }));
    expect(figures.directors_after.value).toBe(2);
    expect(figures.directors_after.method).toMatch(/starts 5\.000 s before the after phase/);
    const none = computeFigures(input({ requests, actions, snapshots: snapshots.slice(0, 1) })).figures.directors_after;
    expect(none.value).toBeNull();
  });

  it('servers_after counts servers answering after the last event only', () => {
    const { figures } = computeFigures(input({ requests, actions }));
    expect(figures.servers_after.value).toBe(1);
    expect(figures.servers_after.method).toMatch(/\[20\.000 s, 40\.000 s\]: rs2\./);
    const noTimeline = computeFigures(input({ requests })).figures.servers_after;
    expect(noTimeline.value).toBeNull();
    expect(noTimeline.note).toMatch(/no after phase/);
  });
});

describe('long_lived_broken', () => {
  it('counts breaks of every long-lived connection', () => {
    const events = [
      longLived(0, 0, 'open', 'rs1'),
      longLived(0, 1, 'open', 'rs2'),
      longLived(0, 2, 'open', 'rs1'),
      longLived(12, 0, 'break', 'rs1', 'rst'),
      longLived(12.5, 0, 'reopen', 'rs2'),
      longLived(13, 2, 'break', 'rs2', 'server-changed'),
    ];
    const { figures } = computeFigures(input({ experiment: experiment({ long_lived: [{ connections: 3 }] }), longLived: events }));
    expect(figures.long_lived_broken.value).toBe(2);
    expect(figures.long_lived_broken.method).toMatch(/3 connections were opened; breaks: 1 rst, 1 server-changed/);
  });

  it('is null when the experiment holds no long-lived connections', () => {
    expect(computeFigures(input()).figures.long_lived_broken.value).toBeNull();
  });
});

describe('phases', () => {
  it('put a request starting exactly at an event into the phase that the event begins', () => {
    const exact = [{ t: at(10), client: 'client1', latencyMs: 1, outcome: 'ok' as const, server: 'rs1' }];
    const { hits } = computeFigures(input({ requests: exact, actions }));
    expect(hits.perPhase.during.perRealServer).toEqual({ rs1: 1 });
  });
});
