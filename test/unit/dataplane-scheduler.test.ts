// Scheduler → slot table mapping of the nftables fallback.
import { describe, expect, it } from 'vitest';
import { SCHEDULERS } from '../../src/model/types.js';
import {
  buildSlotTable,
  FALLBACK_SCHEDULER_NOTES,
  hashBuckets,
  maglevTable,
  wrrSequence,
  type WeightedDestination,
} from '../../src/dataplane/scheduler-map.js';

const dests = (...weights: number[]): WeightedDestination[] =>
  weights.map((weight, i) => ({ key: `10.0.0.${i + 1}:80`, weight }));

function shares(slots: number[], n: number): number[] {
  const out = new Array<number>(n).fill(0);
  for (const s of slots) out[s] = (out[s] ?? 0) + 1;
  return out;
}

describe('wrrSequence', () => {
  it('hands out connections in the order IPVS wrr does', () => {
    // Seed 004's script: weights 1,1,2,2. IPVS: cw=2 → rs3, rs4; cw=1 → rs1, rs2, rs3, rs4.
    expect(wrrSequence([1, 1, 2, 2])).toEqual([2, 3, 0, 1, 2, 3]);
    expect(wrrSequence([1, 3])).toEqual([1, 1, 0, 1]);
    expect(wrrSequence([10, 10])).toEqual([0, 1]);
    expect(wrrSequence([4, 6])).toEqual([1, 0, 1, 0, 1]);
  });

  it('gives each server exactly its weight share per cycle', () => {
    expect(shares(wrrSequence([5, 3, 2]), 3)).toEqual([5, 3, 2]);
    expect(shares(wrrSequence([100, 50]), 2)).toEqual([2, 1]);
  });

  it('keeps huge weight sums bounded', () => {
    const seq = wrrSequence([65535, 1]);
    expect(seq.length).toBeLessThanOrEqual(4097);
    expect(shares(seq, 2)[1]).toBe(1);
  });
});

describe('buildSlotTable', () => {
  it('rr: one slot per server, round robin counter, weights ignored', () => {
    expect(buildSlotTable('rr', dests(1, 5, 2))).toEqual({ selector: 'numgen-inc', slots: [0, 1, 2] });
  });

  it('wrr and the connection-counting schedulers it stands in for', () => {
    for (const s of ['wrr', 'wlc', 'sed'] as const) {
      expect(buildSlotTable(s, dests(1, 3))).toEqual({ selector: 'numgen-inc', slots: [1, 1, 0, 1] });
    }
    for (const s of ['lc', 'nq'] as const) expect(buildSlotTable(s, dests(1, 3)).slots).toEqual([0, 1]);
  });

  it('sh/mh hash the client, dh/lblc/lblcr the destination', () => {
    expect(buildSlotTable('sh', dests(1, 1)).selector).toBe('jhash-saddr');
    expect(buildSlotTable('mh', dests(1, 1)).selector).toBe('jhash-saddr');
    for (const s of ['dh', 'lblc', 'lblcr'] as const) expect(buildSlotTable(s, dests(1, 1)).selector).toBe('jhash-daddr');
    expect(buildSlotTable('twos', dests(1, 1)).selector).toBe('numgen-random');
  });

  it('fo and ovf send everything to the highest weight, the first one on a tie', () => {
    expect(buildSlotTable('fo', dests(2, 7, 3)).slots).toEqual([1]);
    expect(buildSlotTable('ovf', dests(5, 5)).slots).toEqual([0]);
  });

  it('returns no slot for an empty pool and rejects weight 0', () => {
    expect(buildSlotTable('wrr', []).slots).toEqual([]);
    expect(() => buildSlotTable('rr', dests(1, 0))).toThrow();
  });

  it('has a note for every IPVS scheduler', () => {
    for (const s of SCHEDULERS) expect(FALLBACK_SCHEDULER_NOTES[s].how.length).toBeGreaterThan(10);
    expect(FALLBACK_SCHEDULER_NOTES.wrr.exact).toBe(true);
    expect(FALLBACK_SCHEDULER_NOTES.wlc.exact).toBe(false);
  });
});

describe('hash tables', () => {
  it('sh/dh fill 256 buckets, each server taking weight consecutive buckets in turn', () => {
    const t = hashBuckets([1, 2]);
    expect(t).toHaveLength(256);
    expect(t.slice(0, 6)).toEqual([0, 1, 1, 0, 1, 1]);
  });

  it('maglev fills every slot in proportion to the weights', () => {
    const t = maglevTable(dests(1, 1, 2));
    expect(t).toHaveLength(251);
    expect(t.every((s) => s >= 0 && s <= 2)).toBe(true);
    const [a, b, c] = shares(t, 3);
    expect(Math.abs(a! - b!)).toBeLessThanOrEqual(2);
    expect(c! / a!).toBeGreaterThan(1.8);
    expect(c! / a!).toBeLessThan(2.2);
  });

  it('maglev moves few clients of the remaining servers when one is removed', () => {
    const all = dests(1, 1, 1, 1);
    const before = maglevTable(all);
    const after = maglevTable(all.slice(0, 3)); // the fourth server leaves; indexes 0..2 keep their meaning
    let kept = 0;
    let stayed = 0;
    before.forEach((s, slot) => {
      if (s === 3) return;
      kept += 1;
      if (after[slot] === s) stayed += 1;
    });
    expect(stayed / kept).toBeGreaterThan(0.85);
  });
});
