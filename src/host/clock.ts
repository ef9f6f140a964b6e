// How far the lab host's clock is from lvslab's: figures subtract lvslab's step times from
// timestamps the nodes took (route monitor, FRR logs, the traffic generator), so on another
// host lvslab's own times are moved onto the host's clock first. Measured as NTP does over
// one round trip: the host read its clock somewhere between sending and answering, so the
// offset lies within half the round trip of (host time − midpoint).
import type { LabHost } from './host.js';

export interface ClockOffset {
  /** Host clock minus lvslab's clock, ms (0 on this machine). */
  offsetMs: number;
  /** ± this much: half the best round trip (0 on this machine). */
  uncertaintyMs: number;
  /** When it was measured (lvslab's clock, epoch ms). */
  at: number;
  /** How: "same clock" here, or the samples and command. */
  method: string;
}

const SAMPLES = 7;

/** Epoch ms with sub-ms resolution (Date.now() has 1 ms). */
function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

export async function measureClockOffset(host: LabHost): Promise<ClockOffset> {
  if (!host.remote) return { offsetMs: 0, uncertaintyMs: 0, at: Date.now(), method: "lvslab and the lab's nodes share this machine's clock" };
  let best: { offset: number; half: number } | undefined;
  let failed = 0;
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = nowMs();
    const r = await host.run(['date', '+%s%N']);
    const t1 = nowMs();
    const ns = /^\d{16,20}$/.test(r.stdout.trim()) ? BigInt(r.stdout.trim()) : undefined;
    if (r.code !== 0 || ns === undefined) {
      failed++;
      continue;
    }
    const hostMs = Number(ns / 1000n) / 1000;
    const sample = { offset: hostMs - (t0 + t1) / 2, half: (t1 - t0) / 2 };
    if (!best || sample.half < best.half) best = sample;
  }
  if (!best) throw new Error(`could not read the clock of ${host.label} (${failed} tries of date +%s%N failed)`);
  return {
    offsetMs: best.offset,
    uncertaintyMs: best.half,
    at: Date.now(),
    method: `${host.label}'s clock read with date +%s%N over SSH, ${SAMPLES} times; the offset of the shortest round trip, ± half of it`,
  };
}
