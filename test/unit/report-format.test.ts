import { describe, expect, it } from 'vitest';
import { decimalsFor, escapeHtml, fmtCount, fmtNumber, mdCode, mdTable, mdText } from '../../src/report/format.js';
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
