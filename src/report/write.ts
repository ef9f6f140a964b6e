// Reading a run directory's results.json and writing its reports beside it.
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EXIT, LvslabError } from '../util/errors.js';
import { RESULTS_SCHEMA, type RepeatResults, type RunResults } from '../experiment/types.js';
import { renderCompare } from './compare.js';
import { renderHtml } from './html.js';
import { renderJunit } from './junit.js';
import { isRepeatResults } from './kinds.js';
import { renderMarkdown } from './markdown.js';

export const RESULTS_FILE = 'results.json';

export interface WrittenReports {
  markdown: string;
  html: string;
  junit: string;
}

/** Top-level fields each kind must have, with the JSON type each must be. */
const RUN_FIELDS: Record<string, 'object' | 'array' | 'number' | 'string'> = {
  experiment: 'object',
  lab: 'object',
  manifest: 'object',
  run: 'number',
  trafficStart: 'number',
  trafficEnd: 'number',
  timeline: 'array',
  figures: 'object',
  hits: 'object',
  perSecond: 'array',
  per100ms: 'array',
  snapshots: 'array',
  routeEvents: 'array',
  logs: 'array',
  longLived: 'array',
  assertions: 'array',
  crossCheck: 'object',
  requestsFile: 'string',
};
const REPEAT_FIELDS: Record<string, 'object' | 'array' | 'number' | 'string'> = {
  experiment: 'object',
  lab: 'object',
  runs: 'array',
  aggregate: 'object',
};

function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v;
}

const invalid = (message: string, hint?: string): LvslabError => new LvslabError(message, EXIT.invalidInput, hint);

/**
 * Reads DIR/results.json (DIR may also be the results.json file itself) and checks that it
 * is a lvslab results file of this schema version with every top-level field in place.
 */
export async function loadResults(dir: string): Promise<RunResults | RepeatResults> {
  let file = dir;
  const st = await stat(dir).catch(() => undefined);
  if (!st) throw invalid(`${dir}: no such file or directory`);
  if (st.isDirectory()) file = join(dir, RESULTS_FILE);
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') {
      throw invalid(`${dir} is not an experiment run directory: it has no ${RESULTS_FILE}`, 'pass the directory an experiment run wrote (it holds results.json)');
    }
    throw invalid(`${file}: cannot read: ${e.message}`);
  });
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw invalid(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  if (jsonType(data) !== 'object') throw invalid(`${file} is not a lvslab results file: expected a JSON object, got ${jsonType(data)}`);
  const obj = data as Record<string, unknown>;
  const schema = obj['schema'];
  if (schema === undefined) throw invalid(`${file} is not a lvslab results file: it has no "schema" field (expected "${RESULTS_SCHEMA}")`);
  if (schema !== RESULTS_SCHEMA) {
    throw invalid(
      `${file} has schema ${JSON.stringify(schema)}; this lvslab reads "${RESULTS_SCHEMA}"`,
      typeof schema === 'string' && schema.startsWith('lvslab.results/') ? 'render it with the lvslab version that wrote it' : undefined,
    );
  }
  const isRepeat = Array.isArray(obj['runs']) && !('figures' in obj);
  const fields = isRepeat ? REPEAT_FIELDS : RUN_FIELDS;
  const problems = Object.entries(fields)
    .filter(([k, type]) => jsonType(obj[k]) !== type)
    .map(([k, type]) => (obj[k] === undefined ? `"${k}" is missing` : `"${k}" should be ${type === 'array' ? 'an array' : `a ${type}`}, not ${jsonType(obj[k])}`));
  if (problems.length > 0) {
    throw invalid(`${file} is not a complete ${isRepeat ? 'repeat' : 'run'} results file: ${problems.join('; ')}`);
  }
  return obj as unknown as RunResults | RepeatResults;
}

/** The runs of a `--repeat` directory whose results.json can be read (others are skipped). */
export async function loadRepeatRuns(dir: string, repeat: RepeatResults): Promise<RunResults[]> {
  const runs: RunResults[] = [];
  for (const r of repeat.runs) {
    // run.dir is relative to the repeat directory; never let it climb out of it.
    if (r.dir.includes('..') || r.dir.startsWith('/')) continue;
    const loaded = await loadResults(join(dir, r.dir)).catch(() => undefined);
    if (loaded && !isRepeatResults(loaded)) runs.push(loaded);
  }
  return runs;
}

/** Writes report.md, report.html and junit.xml next to DIR/results.json. */
export async function writeReports(dir: string, results: RunResults | RepeatResults): Promise<WrittenReports> {
  const runs = isRepeatResults(results) ? await loadRepeatRuns(dir, results) : [];
  const paths: WrittenReports = {
    markdown: join(dir, 'report.md'),
    html: join(dir, 'report.html'),
    junit: join(dir, 'junit.xml'),
  };
  await writeFile(paths.markdown, renderMarkdown(results, runs));
  await writeFile(paths.html, renderHtml(results, runs));
  await writeFile(paths.junit, renderJunit(results, runs));
  return paths;
}

/** Writes compare.md and compare.html into DIR for two runs. */
export async function writeCompareReports(dir: string, a: RunResults, b: RunResults): Promise<{ markdown: string; html: string }> {
  const { markdown, html } = renderCompare(a, b);
  const paths = { markdown: join(dir, 'compare.md'), html: join(dir, 'compare.html') };
  await writeFile(paths.markdown, markdown);
  await writeFile(paths.html, html);
  return paths;
}
