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
