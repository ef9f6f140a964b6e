// How late requests start against their absolute schedule. A histogram with 0.1 ms bins
// up to 10 s keeps the 99th percentile exact to a bin at any request count, in fixed
// memory (a run may start three million requests). Pure.

const BIN_MS = 0.1;
const BINS = 100_000;

export class LatenessStats {
  count = 0;
  maxMs = 0;
  private sumMs = 0;
  private readonly bins = new Uint32Array(BINS + 1);

  add(ms: number): void {
    const v = ms > 0 ? ms : 0;
    this.count++;
    this.sumMs += v;
    if (v > this.maxMs) this.maxMs = v;
    this.bins[Math.min(BINS, Math.floor(v / BIN_MS))]!++;
  }

  get meanMs(): number {
    return this.count === 0 ? 0 : this.sumMs / this.count;
  }

  /** Upper edge of the bin holding quantile q (0..1); the max when it falls in the last bin. */
  quantileMs(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.ceil(q * this.count);
    let seen = 0;
    for (let i = 0; i <= BINS; i++) {
      seen += this.bins[i]!;
      if (seen >= rank) return i === BINS ? this.maxMs : Math.min(this.maxMs, (i + 1) * BIN_MS);
    }
    return this.maxMs;
  }
}
