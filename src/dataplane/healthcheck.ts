// keepalived's real-server health-check state machine, without I/O or timers: the caller
// says when a check starts and how it ended, the checker says what changed and when the
// next check is due. healthd drives it with the wall clock, tests with a fake one.
//
// Behaviour reproduced from keepalived 2.2.7 (keepalived.conf(5), checker options):
//  - Servers start up (no `alpha`) and the first check runs at start. keepalived itself
//    delays the first check by a random `warmup` (default: up to delay_loop); warmupMs
//    reproduces a fixed one, 0 by default so labs come up deterministically.
//  - The next check is armed when the previous one has finished: delay_loop is the gap
//    between checks, not a period (a check that waits for its connect_timeout pushes
//    the following ones back).
//  - `retry` is how many *additional* checks a failed check of a live server gets,
//    each `delay_before_retry` after the previous failure; only when all 1 + retry
//    checks failed is the server declared down. A success in between resets the count.
//  - A server that is down is checked every delay_loop, with no retries, and one
//    successful check brings it back up.
//  - connect_timeout bounds one whole check (connect, and for HTTP the request and the
//    status line).
// So a server whose port is closed is declared down at most
//   delay_loop + retry * delay_before_retry (+ the checks' own few ms)
// after it fails, and a server that black-holes packets at most
//   delay_loop + (retry + 1) * connect_timeout + retry * delay_before_retry.

export interface CheckTiming {
  delayLoopMs: number;
  connectTimeoutMs: number;
  retry: number;
  delayBeforeRetryMs: number;
  /** Delay of the first check after start; default 0. */
  warmupMs?: number;
}

export type CheckFailure = 'refused' | 'timeout' | 'status' | 'error';

export type CheckOutcome =
  | { ok: true; detail: string }
  | { ok: false; failure: CheckFailure; detail: string };

export type HealthEvent =
  /** A check failed on a live server; `retryAt` is set when another try follows. */
  | { kind: 'check-failed'; at: number; attempt: number; attempts: number; outcome: CheckOutcome; retryAt?: number }
  /** All attempts failed: the server leaves the pool. */
  | { kind: 'down'; at: number; attempts: number; outcome: CheckOutcome }
  /** A down server passed a check: it returns to the pool. */
  | { kind: 'up'; at: number; outcome: CheckOutcome };

export interface CheckerSnapshot {
  up: boolean;
  /** When `up` last changed (or the start). */
  since: number;
  /** Failed checks in a row on a live server (0 when healthy or down). */
  failures: number;
  checking: boolean;
  nextCheckAt: number;
  checks: number;
  last?: { at: number; startedAt: number; outcome: CheckOutcome };
}

export class HealthChecker {
  private up = true;
  private since: number;
  private failures = 0;
  private checking = false;
  private startedAt = 0;
  private nextCheckAt: number;
  private checks = 0;
  private last?: CheckerSnapshot['last'];

  constructor(
    private readonly timing: CheckTiming,
    startAt: number,
  ) {
    if (timing.retry < 0 || timing.delayLoopMs <= 0) throw new Error('HealthChecker: invalid timing');
    this.since = startAt;
    this.nextCheckAt = startAt + (timing.warmupMs ?? 0);
  }

  /** True when a check should start now (none running and its time has come). */
  isDue(now: number): boolean {
    return !this.checking && now >= this.nextCheckAt;
  }

  /** When the next check starts, or undefined while one is running. */
  dueAt(): number | undefined {
    return this.checking ? undefined : this.nextCheckAt;
  }

  begin(now: number): void {
    if (this.checking) throw new Error('HealthChecker: a check is already running');
    this.checking = true;
    this.startedAt = now;
  }

  /** Records how the running check ended; returns the state changes it caused. */
  complete(now: number, outcome: CheckOutcome): HealthEvent[] {
    if (!this.checking) throw new Error('HealthChecker: no check is running');
    this.checking = false;
    this.checks += 1;
    this.last = { at: now, startedAt: this.startedAt, outcome };
    const attempts = this.timing.retry + 1;
    if (outcome.ok) {
      this.failures = 0;
      this.nextCheckAt = now + this.timing.delayLoopMs;
      if (this.up) return [];
      this.up = true;
      this.since = now;
      return [{ kind: 'up', at: now, outcome }];
    }
    if (!this.up) {
      this.nextCheckAt = now + this.timing.delayLoopMs;
      return [];
    }
    this.failures += 1;
    if (this.failures < attempts) {
      const retryAt = now + this.timing.delayBeforeRetryMs;
      this.nextCheckAt = retryAt;
      return [{ kind: 'check-failed', at: now, attempt: this.failures, attempts, outcome, retryAt }];
    }
    this.up = false;
    this.since = now;
    this.failures = 0;
    this.nextCheckAt = now + this.timing.delayLoopMs;
    return [
      { kind: 'check-failed', at: now, attempt: attempts, attempts, outcome },
      { kind: 'down', at: now, attempts, outcome },
    ];
  }

  snapshot(): CheckerSnapshot {
    const s: CheckerSnapshot = {
      up: this.up,
      since: this.since,
      failures: this.failures,
      checking: this.checking,
      nextCheckAt: this.nextCheckAt,
      checks: this.checks,
    };
    if (this.last) s.last = this.last;
    return s;
  }
}

/** The worst-case time from a server failing to it leaving the pool (see the header). */
export function worstCaseDetectionMs(t: CheckTiming, blackHole: boolean): number {
  const tries = blackHole ? (t.retry + 1) * t.connectTimeoutMs : 0;
  return t.delayLoopMs + t.retry * t.delayBeforeRetryMs + tries;
}
