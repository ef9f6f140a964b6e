// Pearson's chi-square goodness-of-fit test of ok answers per real server against the
// configured weights, with the p-value from the chi-square distribution's upper tail:
// Q(df/2, chi2/2), the regularized upper incomplete gamma function.
import type { Figure } from '../experiment/types.js';
import type { RunContext } from './context.js';
import { absent, figure } from './figure.js';
import { okPerServer } from './hits.js';

// Lanczos approximation of ln Γ(z), g = 7, nine coefficients (accurate to ~1e-15 for z > 0).
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

export function lnGamma(z: number): number {
  if (!(z > 0)) throw new RangeError(`lnGamma needs z > 0, got ${z}`);
  if (z < 0.5) {
    // Reflection keeps the series in its accurate range: Γ(z)Γ(1-z) = π / sin(πz).
    return Math.log(Math.PI / Math.sin(Math.PI * z)) - lnGamma(1 - z);
  }
  const x = z - 1;
  let sum = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i]! / (x + i);
  const t = x + LANCZOS_G + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(sum);
}

const EPSILON = 1e-15;
const TINY = 1e-300;
const MAX_ITERATIONS = 10_000;

/** Regularized lower incomplete gamma P(a, x) = γ(a, x) / Γ(a). */
export function regularizedGammaP(a: number, x: number): number {
  checkGammaArgs(a, x);
  if (x === 0) return 0;
  return x < a + 1 ? lowerSeries(a, x) : 1 - upperContinuedFraction(a, x);
}

/** Regularized upper incomplete gamma Q(a, x) = 1 - P(a, x), computed directly where 1 - P would lose digits. */
export function regularizedGammaQ(a: number, x: number): number {
  checkGammaArgs(a, x);
  if (x === 0) return 1;
  return x < a + 1 ? 1 - lowerSeries(a, x) : upperContinuedFraction(a, x);
}

function checkGammaArgs(a: number, x: number): void {
  if (!(a > 0)) throw new RangeError(`incomplete gamma needs a > 0, got ${a}`);
  if (!(x >= 0)) throw new RangeError(`incomplete gamma needs x >= 0, got ${x}`);
}

/** e^-x x^a / Γ(a): the factor both expansions share. */
function prefactor(a: number, x: number): number {
  return Math.exp(-x + a * Math.log(x) - lnGamma(a));
}

// P(a, x) = prefactor / a * (1 + x/(a+1) + x²/((a+1)(a+2)) + ...), converges fast for x < a + 1.
function lowerSeries(a: number, x: number): number {
  let term = 1 / a;
  let sum = term;
  for (let n = 1; n < MAX_ITERATIONS; n++) {
    term *= x / (a + n);
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * EPSILON) break;
  }
  return Math.min(1, sum * prefactor(a, x));
}

// Q(a, x) = prefactor * 1/(x+1-a- 1(1-a)/(x+3-a- 2(2-a)/(x+5-a- ...))), evaluated with the
// modified Lentz method; converges fast for x >= a + 1.
function upperContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPSILON) break;
  }
  return Math.max(0, Math.min(1, prefactor(a, x) * h));
}

/** P(X >= chi2) for X ~ chi-square with df degrees of freedom. */
export function chiSquarePValue(chi2: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`chi-square needs df > 0, got ${df}`);
  if (!(chi2 >= 0)) throw new RangeError(`chi-square statistic must be >= 0, got ${chi2}`);
  return regularizedGammaQ(df / 2, chi2 / 2);
}

export interface GoodnessOfFit {
  chi2: number;
  df: number;
  p: number;
  observed: number[];
  expected: number[];
}

/** Pearson's test of observed counts against expected proportions (weights, any scale). */
export function pearsonGoodnessOfFit(observed: number[], weights: number[]): GoodnessOfFit {
  if (observed.length !== weights.length) throw new Error('observed counts and weights differ in length');
  if (observed.length < 2) throw new Error('a goodness-of-fit test needs at least two categories');
  const n = observed.reduce((s, o) => s + o, 0);
  const w = weights.reduce((s, x) => s + x, 0);
  if (!(w > 0) || weights.some((x) => !(x > 0))) throw new Error('every weight must be > 0');
  const expected = weights.map((x) => (n * x) / w);
  const chi2 = observed.reduce((s, o, i) => s + (o - expected[i]!) ** 2 / expected[i]!, 0);
  const df = observed.length - 1;
  return { chi2, df, p: chiSquarePValue(chi2, df), observed, expected };
}

export function chi2Figure(ctx: RunContext): Figure {
  const weighted = ctx.service.realServers.filter((r) => r.weight > 0);
  const method = `Pearson chi-square goodness-of-fit of ok answers per real server (RequestRecord.server of every ok request) against the configured weights of service ${ctx.service.name} (weight 0 servers excluded); p = Q(df/2, chi2/2), the chi-square upper tail`;
  if (weighted.length < 2) return absent('p-value', `${method}.`, `the test needs at least two real servers with weight > 0, service ${ctx.service.name} has ${weighted.length}`);
  const hits = okPerServer(ctx.requests);
  const observed = weighted.map((r) => hits[r.node] ?? 0);
  const n = observed.reduce((s, o) => s + o, 0);
  if (n === 0) return absent('p-value', `${method}.`, 'no ok answer came from a weighted real server');
  const fit = pearsonGoodnessOfFit(observed, weighted.map((r) => r.weight));
  const leftOut = Object.entries(hits).filter(([server]) => !weighted.some((r) => r.node === server)).reduce((s, [, k]) => s + k, 0);
  const small = fit.expected.some((e) => e < 5) ? ' Some expected counts are below 5, where the chi-square approximation is poor.' : '';
  const table = weighted.map((r, i) => `${r.node} ${observed[i]}/${fit.expected[i]!.toFixed(1)}`).join(', ');
  return figure(
    fit.p,
    'p-value',
    `${method}: chi2 = ${fit.chi2.toFixed(3)}, df = ${fit.df}, observed/expected ${table}.` +
      (leftOut > 0 ? ` ${leftOut} ok answers from servers with weight 0 or outside the service are left out.` : '') +
      small,
    null,
  );
}
