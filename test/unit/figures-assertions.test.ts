import { describe, expect, it } from 'vitest';
import { FIGURE_NAMES, type Figure, type FigureName, type RunResults } from '../../src/experiment/types.js';
import { aggregateRuns, nearestRank } from '../../src/figures/aggregate.js';
import { AssertionSyntaxError, evaluateAssertions, parseAssertion } from '../../src/figures/assertions.js';
import { EXIT } from '../../src/util/errors.js';

function figures(values: Partial<Record<FigureName, number | null>>): Record<FigureName, Figure> {
  return Object.fromEntries(
    FIGURE_NAMES.map((name) => [name, { value: values[name] ?? null, unit: name.endsWith('_s') ? 's' : 'count', method: 'test', resolution: null }]),
  ) as Record<FigureName, Figure>;
}

function syntaxError(line: string): AssertionSyntaxError {
  try {
    parseAssertion(line);
  } catch (e) {
    expect(e).toBeInstanceOf(AssertionSyntaxError);
    return e as AssertionSyntaxError;
  }
  throw new Error(`"${line}" was accepted`);
}

describe('parseAssertion', () => {
  it('reads <figure> <op> <number>, with or without spaces', () => {
    expect(parseAssertion('outage_s <= 5')).toEqual({ expression: 'outage_s <= 5', figure: 'outage_s', op: '<=', expected: 5 });
    expect(parseAssertion('  nexthops.during==1 ')).toEqual({ expression: 'nexthops.during==1', figure: 'nexthops.during', op: '==', expected: 1 });
    expect(parseAssertion('chi2_p > 1e-3').expected).toBe(0.001);
    expect(parseAssertion('success_ratio >= .95').expected).toBe(0.95);
    expect(parseAssertion('requests_failed != -0').op).toBe('!=');
    for (const op of ['<', '<=', '==', '!=', '>=', '>']) expect(parseAssertion(`outage_s ${op} 1`).op).toBe(op);
  });

  it('names an unknown figure, suggests the close one and lists the accepted names', () => {
    const e = syntaxError('outage <= 5');
    expect(e.message).toMatch(/^expect "outage <= 5": unknown figure 'outage' \(did you mean 'outage_s'\?\)/);
    expect(e.message).toContain('nexthops.after');
    expect(e.exitCode).toBe(EXIT.invalidInput);
    expect(syntaxError('nexthops.durin == 1').message).toMatch(/did you mean 'nexthops\.during'/);
  });

  it('explains a wrong operator, a missing or malformed number, and malformed lines', () => {
    expect(syntaxError('outage_s = 5').message).toMatch(/unknown operator '=' \(accepted: < <= == != >= >\)/);
    expect(syntaxError('outage_s => 5').message).toMatch(/unknown operator '=>'/);
    expect(syntaxError('outage_s <=').message).toMatch(/no number after '<='/);
    expect(syntaxError('outage_s <= 5s').message).toMatch(/'5s' is not a number/);
    expect(syntaxError('outage_s <= five').message).toMatch(/'five' is not a number/);
    expect(syntaxError('outage_s 5').message).toMatch(/no comparison operator/);
    expect(syntaxError('<= 5').message).toMatch(/no figure name before '<='/);
    expect(syntaxError('outage s <= 5').message).toMatch(/"outage s" is not one figure name/);
    expect(syntaxError('   ').message).toMatch(/empty assertion/);
  });
});

describe('evaluateAssertions', () => {
  it('compares each figure with its operator; a figure without a value fails', () => {
    const results = evaluateAssertions(
      ['outage_s <= 5', 'outage_s < 3.8', 'nexthops.during == 1', 'requests_failed != 0', 'chi2_p >= 0.05', 'hc_removal_s < 10'],
      figures({ outage_s: 3.8, 'nexthops.during': 1, requests_failed: 0, chi2_p: 0.2 }),
    );
    expect(results.map((r) => [r.expression, r.actual, r.passed])).toEqual([
      ['outage_s <= 5', 3.8, true],
      ['outage_s < 3.8', 3.8, false],
      ['nexthops.during == 1', 1, true],
      ['requests_failed != 0', 0, false],
      ['chi2_p >= 0.05', 0.2, true],
      ['hc_removal_s < 10', null, false],
    ]);
    expect(results[0]).toEqual({ expression: 'outage_s <= 5', figure: 'outage_s', op: '<=', expected: 5, actual: 3.8, passed: true });
  });

  it('throws on a malformed line', () => {
    expect(() => evaluateAssertions(['outage_s <= 5', 'bogus > 1'], figures({}))).toThrow(AssertionSyntaxError);
  });
});

describe('aggregateRuns', () => {
  const run = (values: Partial<Record<FigureName, number | null>>) => ({ figures: figures(values) }) as unknown as RunResults;

  it('gives n, median, nearest-rank p95, min and max per figure, skipping nulls', () => {
    const outages = [3.1, 3.9, 3.5, null, 4.2, 3.3];
    const agg = aggregateRuns(outages.map((v) => run({ outage_s: v, requests_total: 1000 })));
    expect(agg.outage_s).toEqual({ n: 5, median: 3.5, p95: 4.2, min: 3.1, max: 4.2, unit: 's' });
    expect(agg.requests_total).toEqual({ n: 6, median: 1000, p95: 1000, min: 1000, max: 1000, unit: 'count' });
    expect(agg.hc_removal_s).toEqual({ n: 0, median: null, p95: null, min: null, max: null, unit: 's' });
    expect(Object.keys(agg).sort()).toEqual([...FIGURE_NAMES].sort());
  });

  it('averages the two middle values for an even count', () => {
    expect(aggregateRuns([1, 2, 3, 10].map((v) => run({ outage_s: v }))).outage_s!.median).toBe(2.5);
  });

  it('takes the nearest rank: ceil(0.95 n)', () => {
    const twenty = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(nearestRank(twenty, 95)).toBe(19);
    expect(nearestRank(Array.from({ length: 21 }, (_, i) => i + 1), 95)).toBe(20);
    expect(nearestRank([7], 95)).toBe(7);
    expect(nearestRank([], 95)).toBeNull();
    expect(aggregateRuns(twenty.map((v) => run({ outage_s: v }))).outage_s!.p95).toBe(19);
  });
});
