import { describe, expect, it } from 'vitest';
import type { RequestOutcome } from '../../src/experiment/types.js';
import { computeFigures } from '../../src/figures/compute.js';
import { at, input, requestStream, step } from '../fixtures/runs/synthetic.js';

const ms = (s: number) => Math.round(s * 1000);

/** 1000 req/s for 40 s; requests starting in [10.300, 14.100] s time out; one refused at 5 s, one reset at 30 s. */
function outageRun() {
  const requests = requestStream({
    fromS: 0,
    toS: 40,
    rate: 1000,
    fail: (s): RequestOutcome | undefined => {
      if (ms(s) >= 10_300 && ms(s) <= 14_100) return 'timeout';
      if (ms(s) === 5_000) return 'refused';
      if (ms(s) === 30_000) return 'reset';
      return undefined;
    },
  });
  const actions = [step(0, 'silent-failure', 'lb2', 10, { interface: 'eth0' }), step(1, 'silent-restore', 'lb2', 25, { interface: 'eth0' })];
  return input({ requests, actions });
}

describe('request counts', () => {
  it('counts every request and each failure kind', () => {
    const kinds: RequestOutcome[] = ['refused', 'refused', 'refused', 'reset', 'reset', 'timeout', 'timeout', 'timeout', 'timeout', 'timeout', 'error'];
    const requests = requestStream({ fromS: 0, toS: 10, rate: 100, fail: (s) => kinds[ms(s) / 10 - 100] });
    const { figures } = computeFigures(input({ requests }));
    expect(figures.requests_total.value).toBe(1000);
    expect(figures.requests_failed.value).toBe(11);
    expect(figures.failed_refused.value).toBe(3);
    expect(figures.failed_reset.value).toBe(2);
    expect(figures.failed_timeout.value).toBe(5);
    expect(figures.failed_error.value).toBe(1);
    expect(figures.success_ratio.value).toBe(0.989);
    expect(figures.success_ratio.resolution).toBe(0.001);
  });

  it('has no success ratio without requests', () => {
    const { figures } = computeFigures(input());
    expect(figures.requests_total.value).toBe(0);
    expect(figures.success_ratio.value).toBeNull();
    expect(figures.success_ratio.note).toMatch(/no request/);
  });
});

describe('outage_s', () => {
  it('spans the first to the last failed request after the first failure event: 3.8 s at 1 ms resolution', () => {
    const { figures } = computeFigures(outageRun());
    expect(figures.outage_s.value).toBeCloseTo(3.8, 3);
    expect(Math.abs(figures.outage_s.value! - 3.8)).toBeLessThanOrEqual(0.001);
    expect(figures.outage_s.resolution).toBe(0.001);
    expect(figures.outage_s.unit).toBe('s');
    // The refused request before the event and the reset after the restore are not part of it.
    expect(figures.outage_s.method).toMatch(/3801 failed requests/);
    expect(figures.outage_s.method).toMatch(/2 failed request\(s\) outside/);
    expect(figures.outage_s.method).toMatch(/10\.300 s.*14\.100 s/);
    expect(figures.requests_failed.value).toBe(3803);
  });

  it('ends at the next timeline event: later failures belong to it', () => {
    const requests = requestStream({
      fromS: 0,
      toS: 20,
      rate: 1000,
      fail: (s) => ((ms(s) >= 10_300 && ms(s) < 11_500) || (ms(s) >= 13_000 && ms(s) < 13_500) ? 'refused' : undefined),
    });
    const actions = [step(0, 'kill', 'rs1', 10, { daemon: 'nginx' }), step(1, 'start', 'rs1', 12, { daemon: 'nginx' })];
    const { figures } = computeFigures(input({ requests, actions, trafficEnd: at(20) }));
    expect(figures.outage_s.value).toBeCloseTo(1.199, 6);
  });

  it('is 0, saying so, when nothing failed after the event', () => {
    const { figures } = computeFigures(input({ requests: requestStream({ fromS: 0, toS: 5, rate: 100 }), actions: [step(0, 'link-down', 'lb1', 2)] }));
    expect(figures.outage_s.value).toBe(0);
    expect(figures.outage_s.method).toMatch(/No request failed/);
    expect(figures.outage_s.resolution).toBe(0.01);
  });

  it('without a failure event, starts at the first failure of the run; a failure after a recovered second is counted apart', () => {
    const requests = requestStream({ fromS: 0, toS: 10, rate: 100, fail: (s) => (ms(s) === 2_000 || ms(s) === 7_500 ? 'timeout' : undefined) });
    const { figures } = computeFigures(input({ requests }));
    expect(figures.outage_s.value).toBe(0);
    expect(figures.outage_s.method).toMatch(/no failure event/);
    expect(figures.failed_after_recovery.value).toBe(1);
    expect(figures.failed_after_recovery.method).toMatch(/7\.500 s/);
  });

  it('ends at the last failure before the service recovered: a later stray failure does not stretch it, and is counted', () => {
    // outageRun's outage (10.300-14.100 s), then one more timeout at 20 s, well after a
    // recovered second (the kind a loaded machine's client produces on its own).
    const run = outageRun();
    run.requests.find((r) => r.t === at(20))!.outcome = 'timeout';
    const { figures } = computeFigures(run);
    expect(figures.outage_s.value).toBeCloseTo(3.8, 3);
    expect(figures.outage_s.method).toMatch(/1 later failed request\(s\) in the window, from 20\.000 s on/);
    expect(figures.failed_after_recovery.value).toBe(1);
  });

  it('is the longest stretch of failures: a lone failure before the failure took effect, then a recovery, does not hide it', () => {
    // One request timed out at 10.050 s, while the failure's command still ran (a client
    // starved for a moment on a loaded or emulated machine, as seen in the IPVS VM); more
    // than a recovered second later, from 11.500 s, the failure took effect for 3.8 s.
    const requests = requestStream({
      fromS: 0,
      toS: 40,
      rate: 1000,
      fail: (s): RequestOutcome | undefined => (ms(s) === 10_050 || (ms(s) >= 11_500 && ms(s) <= 15_300) ? 'timeout' : undefined),
    });
    const actions = [step(0, 'silent-failure', 'lb2', 10, { interface: 'eth0' }), step(1, 'silent-restore', 'lb2', 25, { interface: 'eth0' })];
    const { figures } = computeFigures(input({ requests, actions }));
    expect(figures.outage_s.value).toBeCloseTo(3.8, 3);
    expect(figures.outage_s.method).toMatch(/1 earlier failed request\(s\) in the window, from 10\.050 s on/);
    expect(figures.failed_after_recovery.value).toBe(0);
  });

  it('a gap without requests is not a recovery: a client that stalled for a second did not see the service back', () => {
    const requests = requestStream({ fromS: 0, toS: 40, rate: 1000, fail: (s) => (ms(s) >= 10_300 && ms(s) <= 14_100 ? 'timeout' : undefined) }).filter(
      (r) => r.t < at(12) || r.t >= at(13.5), // no request at all from 12.0 to 13.5 s
    );
    const actions = [step(0, 'silent-failure', 'lb2', 10, { interface: 'eth0' }), step(1, 'silent-restore', 'lb2', 25, { interface: 'eth0' })];
    const { figures } = computeFigures(input({ requests, actions }));
    expect(figures.outage_s.value).toBeCloseTo(3.8, 3);
    expect(figures.failed_after_recovery.value).toBe(0);
  });
});

describe('longest_gap_s', () => {
  it('is the stretch between the successes around the outage, one interval longer on each side than the outage', () => {
    const { figures } = computeFigures(outageRun());
    // last ok starts at 10.299, the next at 14.101
    expect(figures.longest_gap_s.value).toBeCloseTo(3.802, 6);
    expect(figures.longest_gap_s.method).toMatch(/began at 10\.299 s/);
  });

  it('merges clients: one client failing alone leaves no gap while the other is served', () => {
    const requests = requestStream({ fromS: 0, toS: 10, rate: 100, clients: ['client1', 'client2'] }).map((r) =>
      r.client === 'client1' && r.t >= at(3) && r.t < at(6) ? { ...r, outcome: 'timeout' as const, server: undefined } : r,
    );
    const { figures } = computeFigures(input({ requests }));
    expect(figures.longest_gap_s.value).toBeCloseTo(0.02, 6);
  });

  it('counts a run that never recovers until its last request', () => {
    const requests = requestStream({ fromS: 0, toS: 40, rate: 10, fail: (s) => (s >= 30 ? 'refused' : undefined) });
    const { figures } = computeFigures(input({ requests }));
    expect(figures.longest_gap_s.value).toBeCloseTo(10, 6); // 29.9 -> 39.9
  });

  it('is null when nothing succeeded', () => {
    const requests = requestStream({ fromS: 0, toS: 1, rate: 10, fail: () => 'refused' });
    expect(computeFigures(input({ requests })).figures.longest_gap_s.value).toBeNull();
  });
});

describe('per-second and per-100 ms buckets', () => {
  it('count ok and failed requests by start time, ok answers per server', () => {
    const { perSecond, per100ms } = computeFigures(outageRun());
    expect(perSecond).toHaveLength(40);
    expect(per100ms).toHaveLength(400);
    expect(perSecond[10]).toEqual({ t: 10, ok: 300, failed: 700, byServer: { rs1: 150, rs2: 150 } });
    expect(perSecond[14]).toEqual({ t: 14, ok: 899, failed: 101, byServer: expect.any(Object) });
    expect(per100ms[103]).toMatchObject({ t: 10.3, ok: 0, failed: 100 });
    expect(per100ms[141]).toMatchObject({ t: 14.1, ok: 99, failed: 1 });
    expect(perSecond.reduce((s, b) => s + b.ok + b.failed, 0)).toBe(40_000);
  });
});

describe('failed_share_after_failure', () => {
  it('counts from the moment the failure step returned, not from its start, to the next step: requests in between belong to neither side', () => {
    // Every third request fails from 10.1 s on; the kill's command ran 10.000-10.100 s, and
    // the requests started while it ran fail too (they are left out of the share).
    const requests = requestStream({ fromS: 0, toS: 30, rate: 100, fail: (s) => (s >= 10 && (s < 10.1 || Math.round(s * 100) % 3 === 0) ? 'refused' : undefined) });
    const actions = [step(0, 'kill', 'rs1', 10, { daemon: 'nginx' }, 100), step(1, 'start', 'rs1', 29.5, { daemon: 'nginx' })];
    const f = computeFigures(input({ requests, actions })).figures.failed_share_after_failure;
    const window = requests.filter((r) => r.t >= at(10.1) && r.t < at(29.5));
    const failed = window.filter((r) => r.outcome !== 'ok').length;
    expect(f.value).toBeCloseTo(failed / window.length, 9);
    expect(f.value).toBeGreaterThan(0.33);
    expect(f.value).toBeLessThan(0.34);
    expect(f.resolution).toBeCloseTo(1 / window.length, 9);
    expect(f.method).toContain(`${failed} of ${window.length}`);
  });

  it('is not measured (null, with the reason) without a timeline', () => {
    const f = computeFigures(input({ requests: requestStream({ fromS: 0, toS: 5, rate: 100 }) })).figures.failed_share_after_failure;
    expect(f.value).toBeNull();
    expect(f.note).toBe('the timeline has no failure step');
  });
});
