// The keepalived checker state machine, driven by a clock the test controls.
import { describe, expect, it } from 'vitest';
import {
  HealthChecker,
  worstCaseDetectionMs,
  type CheckOutcome,
  type CheckTiming,
  type HealthEvent,
} from '../../src/dataplane/healthcheck.js';
import { endpoint, eventLines, logLine } from '../../src/dataplane/healthd-messages.js';

const OK: CheckOutcome = { ok: true, detail: 'status 200' };
const REFUSED: CheckOutcome = { ok: false, failure: 'refused', detail: 'connection refused' };
const TIMEOUT: CheckOutcome = { ok: false, failure: 'timeout', detail: 'timeout connecting' };

// Seed 001's checker: delay_loop 5, connect_timeout 2, retry 1, delay_before_retry 1.
const SEED001: CheckTiming = { delayLoopMs: 5000, connectTimeoutMs: 2000, retry: 1, delayBeforeRetryMs: 1000 };

/** Runs one check that starts when due and takes `durationMs`. */
function check(c: HealthChecker, outcome: CheckOutcome, durationMs = 5): { startedAt: number; events: HealthEvent[] } {
  const startedAt = c.dueAt();
  if (startedAt === undefined) throw new Error('a check is running');
  expect(c.isDue(startedAt)).toBe(true);
  expect(c.isDue(startedAt - 1)).toBe(false);
  c.begin(startedAt);
  return { startedAt, events: c.complete(startedAt + durationMs, outcome) };
}

describe('HealthChecker (keepalived semantics)', () => {
  it('starts up and runs the first check at start', () => {
    const c = new HealthChecker(SEED001, 1000);
    expect(c.snapshot()).toMatchObject({ up: true, since: 1000, checks: 0 });
    expect(c.dueAt()).toBe(1000);
  });

  it('delays the first check by warmup when given', () => {
    const c = new HealthChecker({ ...SEED001, warmupMs: 3000 }, 1000);
    expect(c.dueAt()).toBe(4000);
  });

  it('schedules the next check delay_loop after the previous one ended, not after it started', () => {
    const c = new HealthChecker(SEED001, 0);
    check(c, OK, 40);
    expect(c.dueAt()).toBe(40 + 5000);
    const { startedAt } = check(c, OK, 300);
    expect(startedAt).toBe(5040);
    expect(c.dueAt()).toBe(5040 + 300 + 5000);
  });

  it('retries a failed live server `retry` times, delay_before_retry apart, then declares it down', () => {
    const c = new HealthChecker({ ...SEED001, retry: 2 }, 0);
    check(c, OK, 5); // t=5, next at 5005
    const first = check(c, REFUSED, 2);
    expect(first.startedAt).toBe(5005);
    expect(first.events).toEqual([
      { kind: 'check-failed', at: 5007, attempt: 1, attempts: 3, outcome: REFUSED, retryAt: 6007 },
    ]);
    expect(c.snapshot()).toMatchObject({ up: true, failures: 1 });
    const second = check(c, REFUSED, 2);
    expect(second.startedAt).toBe(6007);
    expect(second.events[0]).toMatchObject({ kind: 'check-failed', attempt: 2, retryAt: 7009 });
    const third = check(c, REFUSED, 2);
    expect(third.startedAt).toBe(7009);
    expect(third.events.map((e) => e.kind)).toEqual(['check-failed', 'down']);
    expect(third.events[1]).toMatchObject({ kind: 'down', at: 7011, attempts: 3 });
    expect(c.snapshot()).toMatchObject({ up: false, since: 7011, failures: 0 });
    // Down servers are polled every delay_loop, without retries.
    expect(c.dueAt()).toBe(7011 + 5000);
  });

  it('with retry 0 a single failure takes the server down', () => {
    const c = new HealthChecker({ ...SEED001, retry: 0 }, 0);
    expect(check(c, REFUSED).events.map((e) => e.kind)).toEqual(['check-failed', 'down']);
  });

  it('a success between retries resets the failure count', () => {
    const c = new HealthChecker(SEED001, 0);
    check(c, REFUSED); // attempt 1 of 2
    expect(c.snapshot().failures).toBe(1);
    expect(check(c, OK).events).toEqual([]);
    expect(c.snapshot().failures).toBe(0);
    expect(check(c, REFUSED).events).toHaveLength(1); // attempt 1 again, not down
    expect(c.snapshot().up).toBe(true);
  });

  it('keeps a down server down quietly and one success brings it back', () => {
    const c = new HealthChecker(SEED001, 0);
    check(c, REFUSED);
    check(c, REFUSED); // down
    expect(check(c, REFUSED).events).toEqual([]);
    expect(check(c, TIMEOUT, 2000).events).toEqual([]);
    const back = check(c, OK, 3);
    expect(back.events).toEqual([{ kind: 'up', at: back.startedAt + 3, outcome: OK }]);
    expect(c.snapshot()).toMatchObject({ up: true, since: back.startedAt + 3 });
  });

  it('detects a refused port within delay_loop + retry * delay_before_retry of the failure', () => {
    const t = SEED001;
    const c = new HealthChecker(t, 0);
    check(c, OK, 1); // ends at 1; the server dies right after
    const diedAt = 2;
    let downAt: number | undefined;
    while (downAt === undefined) {
      const { events } = check(c, REFUSED, 1);
      downAt = events.find((e) => e.kind === 'down')?.at;
    }
    expect(downAt - diedAt).toBeLessThanOrEqual(worstCaseDetectionMs(t, false) + 10);
    expect(worstCaseDetectionMs(t, false)).toBe(6000);
    expect(worstCaseDetectionMs(t, true)).toBe(6000 + 2 * 2000);
  });

  it('refuses to begin twice or complete without a running check', () => {
    const c = new HealthChecker(SEED001, 0);
    expect(() => c.complete(1, OK)).toThrow();
    c.begin(0);
    expect(c.isDue(10_000)).toBe(false);
    expect(c.dueAt()).toBeUndefined();
    expect(() => c.begin(0)).toThrow();
  });
});

describe('healthd log wording', () => {
  const rs = endpoint('10.0.1.129', 'tcp', 80);
  const vs = endpoint('10.0.1.100', 'tcp', 80);

  it('names endpoints like keepalived', () => {
    expect(rs).toBe('[10.0.1.129]:tcp:80');
  });

  it('says Removing/Adding, or Disabling/Enabling with inhibit_on_failure', () => {
    const down: HealthEvent = { kind: 'down', at: 0, attempts: 2, outcome: REFUSED };
    expect(eventLines(down, 'http', rs, vs, false)).toEqual([
      'HTTP_CHECK on service [10.0.1.129]:tcp:80 failed after 1 retries.',
      'Removing service [10.0.1.129]:tcp:80 from VS [10.0.1.100]:tcp:80',
    ]);
    expect(eventLines(down, 'tcp', rs, vs, true)[1]).toBe('Disabling service [10.0.1.129]:tcp:80 of VS [10.0.1.100]:tcp:80');
    const up: HealthEvent = { kind: 'up', at: 0, outcome: OK };
    expect(eventLines(up, 'http', rs, vs, false)[1]).toBe('Adding service [10.0.1.129]:tcp:80 to VS [10.0.1.100]:tcp:80');
    expect(eventLines(up, 'tcp', rs, vs, true)[1]).toBe('Enabling service [10.0.1.129]:tcp:80 to VS [10.0.1.100]:tcp:80');
  });

  it('announces the retry of a failed attempt', () => {
    const failed: HealthEvent = { kind: 'check-failed', at: 0, attempt: 1, attempts: 2, outcome: REFUSED, retryAt: 1000 };
    expect(eventLines(failed, 'http', rs, vs, false)).toEqual([
      'HTTP_CHECK on service [10.0.1.129]:tcp:80 failed: Error connecting (connection refused); retry 1 of 1 in 1s.',
    ]);
  });

  it('prefixes lines with an ISO timestamp with milliseconds', () => {
    expect(logLine(new Date(Date.UTC(2026, 10, 21, 10, 0, 0, 123)), 'x')).toBe('2026-11-21T10:00:00.123Z x');
  });
});
