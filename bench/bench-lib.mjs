// What every benchmark here shares: where lvslab is, its command-line options, and how a
// result is written (bench/results/<name>-<time>.json, with the facts of the host it ran on).
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { fileURLToPath } from 'node:url';

export const repo = fileURLToPath(new URL('../', import.meta.url));
export const cli = `${repo}dist/cli/main.js`;

const args = process.argv.slice(2);

/** The value after `--name`, or `dflt`. */
export function opt(name, dflt) {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
}

/** Whether `--name` was given. */
export function flag(name) {
  return args.includes(name);
}

/** Writes `{ benchmark, at, host, ...fields }` to bench/results/ and returns the file's path. */
export function writeResult(bench, fields) {
  const record = { benchmark: bench, at: new Date().toISOString(), host: { cpus: cpus().length, cpu: cpus()[0]?.model, kernel: release(), node: process.version }, ...fields };
  mkdirSync(`${repo}bench/results`, { recursive: true });
  const file = `${repo}bench/results/${bench}-${record.at.replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, JSON.stringify(record, null, 2) + '\n');
  return file;
}
