// Writing a run's directory: results.json (the data every figure came from) and the
// reports rendered from it (report.md, report.html, junit.xml).
import { writeFile } from 'node:fs/promises';
import { writeReports, RESULTS_FILE } from '../report/write.js';
import type { RepeatResults, RunResults } from './types.js';

export const MANIFEST_FILE = 'manifest.json';

export async function writeRunReports(dir: string, results: RunResults): Promise<void> {
  await writeFile(`${dir}/${RESULTS_FILE}`, JSON.stringify(results, null, 1) + '\n');
  // The manifest also stands alone: lab and experiment files with their hashes, tool
  // versions, runtime, dataplane and the seed, for whoever reproduces the run.
  await writeFile(`${dir}/${MANIFEST_FILE}`, JSON.stringify(results.manifest, null, 2) + '\n');
  await writeReports(dir, results);
}

export async function writeRepeatReports(dir: string, repeat: RepeatResults): Promise<void> {
  await writeFile(`${dir}/${RESULTS_FILE}`, JSON.stringify(repeat, null, 1) + '\n');
  await writeReports(dir, repeat);
}
