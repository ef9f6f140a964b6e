import { describe, expect, it } from 'vitest';
import { computeFigures } from '../../src/figures/compute.js';
import { LB1, LB2, at, experiment, input, longLived, requestStream, snapshot, step } from '../fixtures/runs/synthetic.js';

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
    // Nothing marks 10 s (the first event): the before and during phases stay unknown.
    expect(hits.perPhase.before.perDirector).toEqual({});
    expect(hits.perPhase.during.perDirector).toEqual({});
    expect(figures.directors_after.value).toBe(1);
    expect(figures.directors_after.method).toMatch(/mark the after phase's boundaries.*: lb2\./);
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
