// How each IPVS scheduler becomes an nftables selection on the fallback dataplane.
//
// nftables has no per-destination connection counts, so every scheduler is reduced to
// "pick a slot, look the slot up in a table of destinations". The slot comes from one of
// a few expressions (a round-robin counter, a random number, or a hash of the packet);
// the table is built here from the destinations that may take new connections. Pure
// functions only: nft-render.ts turns a SlotTable into rule text.
import type { Scheduler } from '../model/types.js';

/** The nft expression that yields the slot number (always `... mod <slots>`). */
export type SlotSelector =
  | 'numgen-inc' // a counter that goes up by one per new connection: rr, wrr
  | 'numgen-random' // a fresh random number per new connection
  | 'jhash-saddr' // a hash of the client address
  | 'jhash-daddr'; // a hash of the destination (virtual) address

/** A destination that may receive new connections, in configuration order. */
export interface WeightedDestination {
  /** Identifies the destination (its address:port): drives the Maglev permutation. */
  key: string;
  /** > 0; weight 0 destinations never reach the scheduler. */
  weight: number;
}

export interface SlotTable {
  selector: SlotSelector;
  /** slots[i] = index into the destinations given; the selector picks i. */
  slots: number[];
}

export interface SchedulerNote {
  /** True when the fallback decides exactly as kernel IPVS would for the same inputs. */
  exact: boolean;
  /** One sentence for reports: what the fallback does instead. */
  how: string;
}

/** Printed by reports whenever a lab ran on the nftables fallback. */
export const FALLBACK_SCHEDULER_NOTES: Readonly<Record<Scheduler, SchedulerNote>> = {
  rr: { exact: true, how: 'round robin over the servers with weight > 0 (numgen inc over one slot per server)' },
  wrr: {
    exact: true,
    how: 'the same interleaved sequence as IPVS wrr (numgen inc over a weight-expanded table), proportions exact per cycle',
  },
  lc: {
    exact: false,
    how: 'approximated by rr: nftables cannot count active connections; with equal, short requests least-connection degenerates to round robin',
  },
  wlc: {
    exact: false,
    how: 'approximated by wrr: active connections are not counted; with equal, short requests wlc gives weight-proportional shares',
  },
  sed: { exact: false, how: 'approximated by wrr (no active-connection counts on the fallback)' },
  nq: { exact: false, how: 'approximated by rr (no active-connection counts on the fallback)' },
  lblc: {
    exact: false,
    how: 'approximated by dh: a weighted destination-address hash, never overflowing to another server under load',
  },
  lblcr: {
    exact: false,
    how: 'approximated by dh: a weighted destination-address hash, without the replicated server sets',
  },
  dh: { exact: true, how: 'hash of the destination address into a 256-bucket weighted table (jhash, fixed seed)' },
  sh: {
    exact: false,
    how: 'hash of the client address into a 256-bucket weighted table like IPVS sh, but jhash instead of the kernel hash: same stickiness, different client-to-server pairs',
  },
  mh: {
    exact: false,
    how: 'Maglev table of 251 entries filled by weight, indexed by a jhash of the client address: consistent like IPVS mh (65521 entries), different pairs',
  },
  fo: { exact: true, how: 'every new connection goes to the available server with the highest weight (first one on a tie)' },
  ovf: {
    exact: false,
    how: 'approximated by fo: the highest-weight server takes everything, it never overflows since active connections are not counted',
  },
  twos: {
    exact: false,
    how: 'approximated by a weighted random choice (numgen random over a weight-expanded table); no connection counts to compare two picks',
  },
};

const HASH_BUCKETS = 256; // IPVS sh/dh table size (IP_VS_SH_TAB_SIZE, IP_VS_DH_TAB_SIZE)
const MAGLEV_SIZE = 251; // prime, small enough for a readable nft map
/** Upper bound on a weight-expanded table; larger weight sums are scaled down. */
const MAX_EXPANDED_SLOTS = 4096;

/** Builds the slot table for `scheduler` over the destinations that accept new connections. */
export function buildSlotTable(scheduler: Scheduler, dests: readonly WeightedDestination[]): SlotTable {
  if (dests.length === 0) return { selector: 'numgen-inc', slots: [] };
  for (const d of dests) {
    if (!(d.weight > 0)) throw new Error(`buildSlotTable: destination ${d.key} has weight ${d.weight}`);
  }
  switch (scheduler) {
    case 'rr':
    case 'lc':
    case 'nq':
      return { selector: 'numgen-inc', slots: dests.map((_, i) => i) };
    case 'wrr':
    case 'wlc':
    case 'sed':
      return { selector: 'numgen-inc', slots: wrrSequence(dests.map((d) => d.weight)) };
    case 'twos':
      return { selector: 'numgen-random', slots: wrrSequence(dests.map((d) => d.weight)) };
    case 'sh':
      return { selector: 'jhash-saddr', slots: hashBuckets(dests.map((d) => d.weight)) };
    case 'dh':
    case 'lblc':
    case 'lblcr':
      return { selector: 'jhash-daddr', slots: hashBuckets(dests.map((d) => d.weight)) };
    case 'mh':
      return { selector: 'jhash-saddr', slots: maglevTable(dests) };
    case 'fo':
    case 'ovf':
      return { selector: 'numgen-inc', slots: [highestWeight(dests.map((d) => d.weight))] };
  }
}

/**
 * The order IPVS wrr hands out connections: the current weight starts at the maximum and
 * steps down by the gcd; at each level every server whose weight reaches it gets one
 * connection, in list order. One pass is a cycle of sum(weights)/gcd connections.
 */
export function wrrSequence(weights: readonly number[]): number[] {
  const scaled = scaleWeights(weights);
  const g = scaled.reduce((a, b) => gcd(a, b));
  const max = Math.max(...scaled);
  const out: number[] = [];
  for (let level = max; level > 0; level -= g) {
    scaled.forEach((w, i) => {
      if (w >= level) out.push(i);
    });
  }
  return out;
}

/**
 * IPVS sh/dh fill their 256 buckets by walking the servers in order, giving each one as
 * many consecutive buckets as its weight, and starting over until the table is full.
 */
export function hashBuckets(weights: readonly number[]): number[] {
  const out: number[] = [];
  let server = 0;
  let given = 0;
  while (out.length < HASH_BUCKETS) {
    out.push(server);
    given += 1;
    if (given >= (weights[server] ?? 1)) {
      server = (server + 1) % weights.length;
      given = 0;
    }
  }
  return out;
}

/**
 * Maglev lookup table: each server walks its own permutation of the slots (offset and skip
 * from a hash of its key) and claims the next free slot, taking as many turns per round as
 * its reduced weight. Removing a server only moves the slots it held, which is why mh keeps
 * most clients on their server when the pool changes.
 */
export function maglevTable(dests: readonly WeightedDestination[], size = MAGLEV_SIZE): number[] {
  const table: number[] = new Array<number>(size).fill(-1);
  const weights = scaleWeights(dests.map((d) => d.weight));
  const g = weights.reduce((a, b) => gcd(a, b));
  const turns = weights.map((w) => w / g);
  const offset = dests.map((d) => fnv1a(d.key, 0x811c9dc5) % size);
  const skip = dests.map((d) => (fnv1a(d.key, 0x01000193) % (size - 1)) + 1);
  const next = dests.map(() => 0);
  let filled = 0;
  while (filled < size) {
    for (let i = 0; i < dests.length && filled < size; i++) {
      for (let t = 0; t < (turns[i] ?? 1) && filled < size; t++) {
        let slot = ((offset[i] ?? 0) + (next[i] ?? 0) * (skip[i] ?? 1)) % size;
        while (table[slot] !== -1) {
          next[i] = (next[i] ?? 0) + 1;
          slot = ((offset[i] ?? 0) + (next[i] ?? 0) * (skip[i] ?? 1)) % size;
        }
        table[slot] = i;
        next[i] = (next[i] ?? 0) + 1;
        filled += 1;
      }
    }
  }
  return table;
}

/** Index of the highest weight; the first one wins a tie, as IPVS fo's strict comparison does. */
function highestWeight(weights: readonly number[]): number {
  let best = 0;
  weights.forEach((w, i) => {
    if (w > (weights[best] ?? 0)) best = i;
  });
  return best;
}

/** Keeps weight-expanded tables small: divides by the gcd, then scales down if still huge. */
function scaleWeights(weights: readonly number[]): number[] {
  const g = weights.reduce((a, b) => gcd(a, b));
  const reduced = weights.map((w) => w / g);
  const sum = reduced.reduce((a, b) => a + b, 0);
  if (sum <= MAX_EXPANDED_SLOTS) return reduced;
  const factor = MAX_EXPANDED_SLOTS / sum;
  return reduced.map((w) => Math.max(1, Math.floor(w * factor)));
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** 32-bit FNV-1a with a chosen offset basis: two bases give Maglev two independent hashes. */
function fnv1a(text: string, basis: number): number {
  let h = basis >>> 0;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
