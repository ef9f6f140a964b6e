import { describe, expect, it } from 'vitest';
import { renderJunit } from '../../src/report/junit.js';
import { evilRun, failoverRun, repeatRuns, repeatSummary } from '../fixtures/results/load-fixtures.js';
import { xmlProblem } from '../fixtures/results/xml-wellformed.js';

const count = (text: string, re: RegExp): number => (text.match(re) ?? []).length;
const attr = (tag: string, name: string): string | undefined => new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];

describe('renderJunit', () => {
  it('one run: a testsuite with one testcase per assertion, the failed one with <failure>', () => {
    const xml = renderJunit(failoverRun());
    expect(xmlProblem(xml)).toBeUndefined();
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ')).toBe(true);
    expect(count(xml, /<testsuite /g)).toBe(1);
    expect(count(xml, /<testcase /g)).toBe(4);
    expect(count(xml, /<failure /g)).toBe(1);
    const suite = /<testsuite [^>]*>/.exec(xml)![0];
    expect(attr(suite, 'tests')).toBe('4');
    expect(attr(suite, 'failures')).toBe('1');
    expect(attr(suite, 'errors')).toBe('0');
    expect(attr(suite, 'time')).toBe('40.000');
    expect(attr(suite, 'timestamp')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    // the failing assertion: expected and actual, in the message and the body
    const failing = /<testcase [^>]*name="failed_refused == 0"[^>]*>\s*<failure message="([^"]*)"[^>]*>([^<]*)<\/failure>/.exec(xml);
    expect(failing).not.toBeNull();
    expect(failing![1]).toBe('failed_refused == 0: actual 129, expected == 0');
    expect(failing![2]).toContain('expected:   failed_refused == 0');
    expect(failing![2]).toContain('actual:     129');
    // a passing assertion is an empty testcase, its operator escaped
    expect(xml).toContain('<testcase classname="lvslab.failover-test" name="outage_s &lt;= 5" time="0"/>');
    expect(xml).toContain('<property name="dataplane" value="nftables"/>');
    expect(xml).toContain('WARNING: nftables fallback dataplane, not kernel IPVS.');
  });

  it('a timeline step whose command failed becomes an <error>', () => {
    const r = failoverRun();
    r.timeline[1]!.ok = false;
    r.timeline[1]!.detail = 'nft: Error: No such file or directory';
    const xml = renderJunit(r);
    expect(xmlProblem(xml)).toBeUndefined();
    expect(count(xml, /<error /g)).toBe(1);
    expect(xml).toContain('name="timeline step 1: silent-restore lb2 eth0"');
    expect(attr(/<testsuites [^>]*>/.exec(xml)![0], 'errors')).toBe('1');
  });

  it('a run without assertions is one skipped testcase, not an empty suite', () => {
    const r = failoverRun();
    r.assertions = [];
    const xml = renderJunit(r);
    expect(xmlProblem(xml)).toBeUndefined();
    expect(xml).toContain('<skipped message="the experiment has no expect: lines"/>');
    expect(attr(/<testsuite [^>]*>/.exec(xml)![0], 'skipped')).toBe('1');
  });

  it('escapes names and texts from the data', () => {
    const xml = renderJunit(evilRun());
    expect(xmlProblem(xml)).toBeUndefined();
    expect(xml).not.toContain('<script');
    expect(xml).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;amp;');
  });

  it('--repeat: one testsuite per run, totals summed; runs without results summarised', () => {
    const xml = renderJunit(repeatSummary(), repeatRuns());
    expect(xmlProblem(xml)).toBeUndefined();
    expect(count(xml, /<testsuite /g)).toBe(3);
    expect(count(xml, /<testcase /g)).toBe(12);
    const top = /<testsuites [^>]*>/.exec(xml)![0];
    expect(attr(top, 'tests')).toBe('12');
    expect(attr(top, 'failures')).toBe('2');
    expect(attr(top, 'time')).toBe('120.000');

    const partial = renderJunit(repeatSummary(), repeatRuns().slice(1, 2));
    expect(xmlProblem(partial)).toBeUndefined();
    expect(count(partial, /<testsuite /g)).toBe(3);
    expect(partial).toContain('<failure message="run 1 failed (details in run-1/junit.xml)" type="RunFailed"/>');
    expect(attr(/<testsuites [^>]*>/.exec(partial)![0], 'tests')).toBe('6');
  });
});
