// How much slower this run's machine is than the host it was compared with, from the two
// timings of test/support/calibrate.mjs that test-vm.sh hands in (LVSLAB_HOST_CALIBRATION,
// measured on the host, and LVSLAB_GUEST_CALIBRATION, measured inside the VM just before the
// suite). The suites scale their request rates and widen the bounds that depend on processing
// speed by this measured factor; bounds set by protocol timers stay as the timers say.
export interface Calibration {
  /** Median milliseconds of each part of the workload. */
  spawnMs: number;
  tcpMs: number;
  jsMs: number;
}

export function decodeCalibration(s: string | undefined): Calibration | undefined {
  const parts = (s ?? '').split(',').map(Number);
  if (parts.length !== 3 || parts.some((x) => !Number.isFinite(x) || x <= 0)) return undefined;
  return { spawnMs: parts[0]!, tcpMs: parts[1]!, jsMs: parts[2]! };
}

/**
 * How many times slower `here` is than `reference`: the largest of the three ratios, so a
 * bound widened by it is wide enough for the slowest kind of work. Never below 1.
 */
export function slowdownOf(here: Calibration, reference: Calibration): number {
  return Math.max(1, here.spawnMs / reference.spawnMs, here.tcpMs / reference.tcpMs, here.jsMs / reference.jsMs);
}

/**
 * This run's slowdown: 1 on the host itself (no guest timing), the measured factor inside
 * the VM. A guest timing without a host one is a harness error, not "no slowdown".
 */
export function runSlowdown(env: NodeJS.ProcessEnv = process.env): number {
  const guest = decodeCalibration(env.LVSLAB_GUEST_CALIBRATION);
  if (!guest) return 1;
  const host = decodeCalibration(env.LVSLAB_HOST_CALIBRATION);
  if (!host) throw new Error(`LVSLAB_GUEST_CALIBRATION is set but LVSLAB_HOST_CALIBRATION is not valid: ${env.LVSLAB_HOST_CALIBRATION ?? '(unset)'}`);
  return slowdownOf(guest, host);
}
