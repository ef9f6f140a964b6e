// Waiting for a condition with a deadline: the only way lvslab waits for anything.

export interface PollOptions {
  /** Give up after this many milliseconds. */
  timeoutMs: number;
  /** Time between two checks; default 100 ms. */
  intervalMs?: number;
}

export interface PollResult<T> {
  ok: boolean;
  /** The last value the check returned (its diagnosis when ok is false). */
  value: T | undefined;
  elapsedMs: number;
}

/**
 * Calls `check` until it returns { done: true } or the deadline passes. A check that
 * throws counts as not done (its error becomes the value's diagnosis via `onError`).
 */
export async function pollUntil<T>(
  check: () => Promise<{ done: boolean; value: T }>,
  opts: PollOptions,
): Promise<PollResult<T>> {
  const start = Date.now();
  const interval = opts.intervalMs ?? 100;
  let last: T | undefined;
  for (;;) {
    try {
      const r = await check();
      last = r.value;
      if (r.done) return { ok: true, value: last, elapsedMs: Date.now() - start };
    } catch {
      // not ready yet
    }
    if (Date.now() - start >= opts.timeoutMs) return { ok: false, value: last, elapsedMs: Date.now() - start };
    await new Promise((r) => setTimeout(r, interval));
  }
}

/**
 * Reads a value until it has not changed for `stableMs` (compared as JSON; Maps by their
 * entries): for counters that a producer publishes periodically (kernel IPVS statistics).
 * Returns the last value read, stable or not when the deadline passed.
 */
export async function readUntilStable<T>(read: () => Promise<T>, stableMs: number, opts: PollOptions): Promise<PollResult<T>> {
  const key = (v: T) => JSON.stringify(v, (_k, x: unknown) => (x instanceof Map ? [...x.entries()] : x));
  let last = key(await read());
  let since = Date.now();
  return pollUntil(async () => {
    const value = await read();
    const now = key(value);
    if (now !== last) {
      last = now;
      since = Date.now();
    }
    return { done: Date.now() - since >= stableMs, value };
  }, opts);
}
