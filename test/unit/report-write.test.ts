import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LvslabError } from '../../src/util/errors.js';
import { isRepeatResults } from '../../src/report/kinds.js';
import { loadRepeatRuns, loadResults, writeCompareReports, writeReports } from '../../src/report/write.js';
import { RESULTS_FIXTURES, failoverRun, slowHelloRun } from '../fixtures/results/load-fixtures.js';
import { xmlProblem } from '../fixtures/results/xml-wellformed.js';

const scratch = mkdtempSync(join(tmpdir(), 'lvslab-report-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A fresh copy of a fixture directory, so the tests never write into the repository. */
function copyFixture(name: string): string {
  const dir = join(scratch, `${name}-${Math.random().toString(36).slice(2, 8)}`);
  cpSync(join(RESULTS_FIXTURES, name), dir, { recursive: true });
  return dir;
}

async function loadError(path: string): Promise<LvslabError> {
  const e = await loadResults(path).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(LvslabError);
  return e as LvslabError;
}

describe('loadResults', () => {
  it('reads a run directory, or its results.json directly', async () => {
    const dir = copyFixture('failover-test');
    const r = await loadResults(dir);
    expect(isRepeatResults(r)).toBe(false);
    expect(r.experiment.name).toBe('failover-test');
    expect((await loadResults(join(dir, 'results.json'))).experiment.name).toBe('failover-test');
  });

  it('tells a repeat directory apart and loads its runs', async () => {
    const dir = copyFixture('failover-repeat');
    const r = await loadResults(dir);
    expect(isRepeatResults(r)).toBe(true);
    if (!isRepeatResults(r)) return;
    const runs = await loadRepeatRuns(dir, r);
    expect(runs.map((x) => x.run)).toEqual([1, 2, 3]);
  });

  it('explains clearly what is wrong with a directory that is not a run', async () => {
    const empty = join(scratch, 'empty');
    mkdirSync(empty);
    const e1 = await loadError(empty);
    expect(e1.message).toBe(`${empty} is not an experiment run directory: it has no results.json`);
    expect(e1.exitCode).toBe(2);

    expect((await loadError(join(scratch, 'nope'))).message).toBe(`${join(scratch, 'nope')}: no such file or directory`);

    const notJson = join(scratch, 'not-json');
    mkdirSync(notJson);
    writeFileSync(join(notJson, 'results.json'), '{"schema": ');
    expect((await loadError(notJson)).message).toMatch(/results\.json is not valid JSON/);

    const noSchema = join(scratch, 'no-schema');
    mkdirSync(noSchema);
    writeFileSync(join(noSchema, 'results.json'), JSON.stringify({ name: 'x' }));
    expect((await loadError(noSchema)).message).toMatch(/is not a lvslab results file: it has no "schema" field \(expected "lvslab\.results\/v1"\)/);

    const future = join(scratch, 'future');
    mkdirSync(future);
    writeFileSync(join(future, 'results.json'), JSON.stringify({ ...failoverRun(), schema: 'lvslab.results/v2' }));
    const e5 = await loadError(future);
    expect(e5.message).toMatch(/has schema "lvslab\.results\/v2"; this lvslab reads "lvslab\.results\/v1"/);
    expect(e5.hint).toMatch(/lvslab version that wrote it/);

    const partial = join(scratch, 'partial');
    mkdirSync(partial);
    const { figures: _f, per100ms: _p, ...rest } = failoverRun();
    writeFileSync(join(partial, 'results.json'), JSON.stringify({ ...rest, timeline: {} }));
    expect((await loadError(partial)).message).toMatch(
      /is not a complete run results file: "timeline" should be an array, not object; "figures" is missing; "per100ms" is missing/,
    );
  });
});

describe('writeReports', () => {
  it('writes report.md, report.html and junit.xml next to results.json', async () => {
    const dir = copyFixture('failover-test');
    const results = await loadResults(dir);
    const paths = await writeReports(dir, results);
    expect(paths).toEqual({ markdown: join(dir, 'report.md'), html: join(dir, 'report.html'), junit: join(dir, 'junit.xml') });
    expect(readFileSync(paths.markdown, 'utf8')).toMatch(/^# Experiment failover-test: run 1/);
    expect(xmlProblem(readFileSync(paths.html, 'utf8'))).toBeUndefined();
    expect(readFileSync(paths.junit, 'utf8')).toContain('<failure ');
  });

  it('a repeat directory gets its summary reports, with every run in junit.xml', async () => {
    const dir = copyFixture('failover-repeat');
    const paths = await writeReports(dir, await loadResults(dir));
    const junit = readFileSync(paths.junit, 'utf8');
    expect(xmlProblem(junit)).toBeUndefined();
    expect((junit.match(/<testsuite /g) ?? []).length).toBe(3);
    expect((junit.match(/<testcase /g) ?? []).length).toBe(12);
    expect((readFileSync(paths.html, 'utf8').match(/<svg class="chart timeline-chart"/g) ?? []).length).toBe(3);
  });

  it('writes compare.md and compare.html', async () => {
    const dir = join(scratch, 'compare');
    mkdirSync(dir);
    const paths = await writeCompareReports(dir, failoverRun(), slowHelloRun());
    expect(readFileSync(paths.markdown, 'utf8')).toMatch(/^# Compare: /);
    expect(xmlProblem(readFileSync(paths.html, 'utf8'))).toBeUndefined();
  });
});
