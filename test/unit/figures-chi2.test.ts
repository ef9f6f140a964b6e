import { describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../src/experiment/types.js';
import type { ResolvedLab } from '../../src/model/types.js';
import { chiSquarePValue, lnGamma, pearsonGoodnessOfFit, regularizedGammaP, regularizedGammaQ } from '../../src/figures/chi2.js';
import { computeFigures } from '../../src/figures/compute.js';
import { input, requestStream } from '../fixtures/runs/synthetic.js';
import { lvsDrResolved } from '../fixtures/lvs-dr.resolved.js';

// Reference values: scipy.stats.chi2.sf / scipy.special.gammainc(c) 1.17, and closed forms.
describe('chi-square distribution', () => {
  it.each([
    [3.84, 1, 0.05004352124870509],
    [3.841458820694124, 1, 0.05],
    [1.6, 1, 0.20590321073206466],
    [0.00393214, 1, 0.950000000000124],
    [5.991464547107979, 2, 0.05],
    [2, 3, 0.5724067044708798],
    [18.307038053275146, 10, 0.05],
    [124.3421134, 100, 0.05000000002527232],
    [1000, 900, 0.010994608942135844],
    [50, 3, 7.989179244951495e-11],
    [300, 10, 1.5546747543803087e-58],
  ])('p(chi2 = %f, df = %i) = %g', (chi2, df, p) => {
    const got = chiSquarePValue(chi2, df);
    expect(Math.abs(got - p) / p).toBeLessThan(1e-9);
  });

  it('matches the closed forms for df = 2 and df = 4', () => {
    for (const x of [0.01, 0.5, 1, 3, 7.5, 20, 60]) {
      expect(chiSquarePValue(x, 2)).toBeCloseTo(Math.exp(-x / 2), 14);
      expect(chiSquarePValue(x, 4)).toBeCloseTo(Math.exp(-x / 2) * (1 + x / 2), 14);
    }
  });

  it('is 1 at chi2 = 0 and refuses impossible arguments', () => {
    expect(chiSquarePValue(0, 3)).toBe(1);
    expect(chiSquarePValue(1e-10, 4)).toBeCloseTo(1, 12);
    expect(() => chiSquarePValue(-1, 1)).toThrow(RangeError);
    expect(() => chiSquarePValue(1, 0)).toThrow(RangeError);
  });
});

describe('incomplete gamma and ln gamma', () => {
  it.each([
    [0.5, 0.1, 0.34527915398142317],
    [3, 2.5, 0.45618688411667035],
    [10, 3, 0.0011024881301154815],
    [10, 20, 0.9950045876916924],
    [0.1, 5, 0.9998560610341533],
    [50, 45, 0.24680203440017026],
  ])('P(%f, %f) = %g, and Q = 1 - P', (a, x, p) => {
    expect(regularizedGammaP(a, x)).toBeCloseTo(p, 13);
    expect(regularizedGammaQ(a, x)).toBeCloseTo(1 - p, 13);
  });

  it('computes ln Γ', () => {
    expect(lnGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 13);
    expect(lnGamma(10)).toBeCloseTo(Math.log(362880), 12);
    expect(lnGamma(100.5)).toBeCloseTo(361.4355404677776, 10);
    expect(lnGamma(0.1)).toBeCloseTo(2.2527126517342055, 13);
  });
});

describe('Pearson goodness of fit', () => {
  it('compares counts with weights of any scale', () => {
    const fit = pearsonGoodnessOfFit([130, 95, 190, 185], [1, 1, 2, 2]);
    expect(fit.chi2).toBeCloseTo(10.875, 12);
    expect(fit.df).toBe(3);
    expect(fit.p).toBeCloseTo(0.012421361481768808, 12);
    expect(pearsonGoodnessOfFit([130, 95, 190, 185], [10, 10, 20, 20]).p).toBeCloseTo(fit.p, 14);
  });
});

function hits(counts: Record<string, number>): RequestRecord[] {
  const order = Object.entries(counts).flatMap(([server, n]) => Array.from({ length: n }, () => server));
  return requestStream({ fromS: 0, toS: order.length / 100, rate: 100, serverAt: (_s, i) => order[i]! });
}

describe('chi2_p', () => {
  it('tests ok answers per real server against the configured weights', () => {
    const { figures } = computeFigures(input({ requests: hits({ rs1: 520, rs2: 480 }) }));
    expect(figures.chi2_p.value).toBeCloseTo(0.20590321073206466, 9);
    expect(figures.chi2_p.unit).toBe('p-value');
    expect(figures.chi2_p.method).toMatch(/chi2 = 1\.600, df = 1, observed\/expected rs1 520\/500\.0, rs2 480\/500\.0/);
  });

  it('uses the weights, not equal shares (wrr 1,1,2,2)', () => {
    const lab = lvsDrResolved;
    const exact = computeFigures(input({ lab, experiment: { name: 'x', duration: 6 }, requests: hits({ rs1: 100, rs2: 100, rs3: 200, rs4: 200 }) }));
    expect(exact.figures.chi2_p.value).toBe(1);
    const skewed = computeFigures(input({ lab, experiment: { name: 'x', duration: 6 }, requests: hits({ rs1: 130, rs2: 95, rs3: 190, rs4: 185 }) }));
    expect(skewed.figures.chi2_p.value).toBeCloseTo(0.012421361481768808, 9);
  });

  it('leaves weight-0 servers out of the test and says so; null with fewer than two weighted servers', () => {
    const lab: ResolvedLab = structuredClone(lvsDrResolved);
    lab.services[0]!.realServers[3]!.weight = 0;
    const { figures } = computeFigures(input({ lab, experiment: { name: 'x', duration: 6 }, requests: hits({ rs1: 100, rs2: 100, rs3: 200, rs4: 7 }) }));
    expect(figures.chi2_p.value).toBe(1);
    expect(figures.chi2_p.method).toMatch(/7 ok answers from servers with weight 0/);
    for (const rs of lab.services[0]!.realServers.slice(1)) rs.weight = 0;
    const one = computeFigures(input({ lab, experiment: { name: 'x', duration: 6 }, requests: hits({ rs1: 100 }) })).figures.chi2_p;
    expect(one.value).toBeNull();
    expect(one.note).toMatch(/at least two real servers/);
  });
});

describe('chi2_p precision', () => {
  it('keeps a tiny p-value instead of rounding it to 0', () => {
    const { figures } = computeFigures(input({ requests: hits({ rs1: 900, rs2: 100 }) }));
    expect(figures.chi2_p.value).toBeGreaterThan(0);
    expect(figures.chi2_p.value).toBeLessThan(1e-100);
  });
});
