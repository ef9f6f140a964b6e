import { describe, expect, it } from 'vitest';
import { decimalsFor, escapeHtml, fmtCount, fmtMeasured, fmtNumber, fmtResolution, mdCode, mdTable, mdText } from '../../src/report/format.js';
import { directorLines } from '../../src/cli/run-summary.js';
import { hostPart } from '../../src/report/svg/topology.js';
import { failureSparkline, sparklineRuler } from '../../src/report/sparkline.js';
import { failoverRun } from '../fixtures/results/load-fixtures.js';
import { xmlProblem } from '../fixtures/results/xml-wellformed.js';

describe('escaping', () => {
  it('escapes the five XML specials and replaces control characters XML forbids', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(escapeHtml('bell\u0007 nul\u0000 tab\t nl\n')).toBe('bell\uFFFD nul\uFFFD tab\t nl\n');
    expect(xmlProblem(`<r a="${escapeHtml('"<&>\u0001')}">${escapeHtml('<&>\u0001')}</r>`)).toBeUndefined();
  });

  it('Markdown text: no raw HTML, no table breakage, no emphasis', () => {
    const s = mdText('<b>x</b> | *y* _z_ [l](u) `c`\nnext');
    expect(s).not.toMatch(/<|(?<!\\)\|/);
    expect(s).toBe('&lt;b&gt;x&lt;/b&gt; \\| \\*y\\* \\_z\\_ \\[l\\](u) \\`c\\` next');
    expect(mdText('# not a heading')).toBe('\\# not a heading');
  });

  it('Markdown code spans survive backticks and pipes', () => {
    expect(mdCode('a|b')).toBe('`a\\|b`');
    expect(mdCode('x `y` z')).toBe('``x `y` z``');
    expect(mdCode('`edge')).toBe('`` `edge ``');
  });

  it('Markdown tables align columns as asked', () => {
    expect(mdTable(['a', 'b'], [['1', '2']], ['l', 'r'])).toBe('| a | b |\n| --- | ---: |\n| 1 | 2 |');
  });
});

describe('numbers', () => {
  it('shows a figure to the decimals of its resolution', () => {
    expect(decimalsFor(0.001)).toBe(3);
    expect(decimalsFor(0.0025)).toBe(3);
    expect(decimalsFor(1)).toBe(0);
    expect(decimalsFor(0.1)).toBe(1);
    expect(decimalsFor(null, 4)).toBe(4);
    expect(fmtNumber(4.1326, 3)).toBe('4.133');
    expect(fmtNumber(-0.0001, 3)).toBe('0.000');
    expect(fmtNumber(null)).toBe('—');
    expect(fmtCount(16000)).toBe('16\u2009000');
  });

  it('prints a value and its resolution with the decimals the resolution allows, one rule for both', () => {
    expect(fmtResolution(0.00238598632812, 's')).toBe('0.002');
    expect(fmtMeasured(3.97999997, 0.00238598632812, 's')).toBe('3.980');
    expect(fmtResolution(0.0024)).toBe('0.002');
    expect(fmtMeasured(4.1326, 0.0024)).toBe('4.133');
    expect(fmtResolution(1, 'count')).toBe('1');
    expect(fmtMeasured(16000, 1, 'count')).toBe('16000');
    expect(fmtResolution(2.015, 's')).toBe('2');
    expect(fmtMeasured(4.06, 0.1, 's')).toBe('4.1');
    expect(fmtMeasured(0.940372, 0.0000625, 'ratio')).toBe('0.94037');
    expect(fmtResolution(0.0000625, 'ratio')).toBe('0.00006');
    // No resolution: the unit's default decimals.
    expect(fmtMeasured(0.98061, null, 'p-value')).toBe('0.9806');
    expect(fmtResolution(null)).toBe('—');
    expect(fmtMeasured(null, 0.001)).toBe('—');
  });

  it('the terminal summary lists director counts per phase, "not measured" with the reason', () => {
    const r = failoverRun();
    const lines = directorLines(r).join('\n');
    expect(lines).toMatch(/lb1\s+1955\s+5186\s+3313\s+10454/);
    expect(lines).toContain('during: ±8 (readings within 0.01 s of the boundaries)');
    r.hits.perPhase.during.perDirector.lb2 = null;
    r.hits.perPhase.during.directors!.notMeasured = { lb2: 'reading failed' };
    const missing = directorLines(r).join('\n');
    expect(missing).toMatch(/lb2\s+2042\s+not measured \[1\]\s+2690\s+4734/);
    expect(missing).toContain('[1] not measured: reading failed');
  });

  it('shortens host addresses on /24 buses only', () => {
    expect(hostPart('10.0.1.133', '10.0.1.0/24')).toBe('.133');
    expect(hostPart('10.21.21.1', '10.21.21.0/30')).toBe('10.21.21.1');
    expect(hostPart('10.0.2.5', '10.0.1.0/24')).toBe('10.0.2.5');
  });
});

describe('text timelines', () => {
  it('one character per second, failures raise the bar, no traffic is a dot', () => {
    const r = failoverRun();
    const line = failureSparkline(r, 45);
    expect([...line]).toHaveLength(45);
    expect(line.slice(0, 9)).toBe('▁'.repeat(9)); // nothing failed before the event
    expect([...line.slice(10, 14)].every((c) => c !== '▁')).toBe(true); // the outage
    expect(line.slice(40)).toBe('·····'); // after the traffic ended
    expect(sparklineRuler(21)).toBe('0    +    1    +    2');
  });
});
