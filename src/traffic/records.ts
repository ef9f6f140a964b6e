// Reading back what the generator wrote. The NDJSON files are read as a stream (a long
// run at a high rate holds millions of lines), and a file may end in a truncated line:
// the generator may have been killed mid-write, or the file may be read while it is
// still being written. Such a last line is left out; a bad line anywhere else is an error.
import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { LongLivedEvent, RequestRecord } from '../experiment/types.js';
import { GENERATOR_CONFIG_VERSION, type GeneratorSummary } from './generator-types.js';

const OUTCOMES = new Set(['ok', 'refused', 'reset', 'timeout', 'error']);
const EVENT_KINDS = new Set(['open', 'break', 'reopen']);
const BREAK_KINDS = new Set(['rst', 'timeout', 'server-changed', 'closed']);

/** Why `v` is not a RequestRecord, or undefined when it is one. */
export function requestRecordProblem(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null) return 'not an object';
  const r = v as Record<string, unknown>;
  if (typeof r.t !== 'number') return 't is not a number';
  if (typeof r.client !== 'string') return 'client is not a string';
  if (typeof r.latencyMs !== 'number') return 'latencyMs is not a number';
  if (typeof r.outcome !== 'string' || !OUTCOMES.has(r.outcome)) return `unknown outcome ${JSON.stringify(r.outcome)}`;
  if (r.server !== undefined && typeof r.server !== 'string') return 'server is not a string';
  if (r.localPort !== undefined && typeof r.localPort !== 'number') return 'localPort is not a number';
  if (r.status !== undefined && typeof r.status !== 'number') return 'status is not a number';
  return undefined;
}

/** Why `v` is not a LongLivedEvent, or undefined when it is one. */
export function longLivedEventProblem(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null) return 'not an object';
  const e = v as Record<string, unknown>;
  if (typeof e.t !== 'number') return 't is not a number';
  if (typeof e.client !== 'string') return 'client is not a string';
  if (typeof e.connection !== 'number') return 'connection is not a number';
  if (typeof e.kind !== 'string' || !EVENT_KINDS.has(e.kind)) return `unknown kind ${JSON.stringify(e.kind)}`;
  if (e.breakKind !== undefined && (typeof e.breakKind !== 'string' || !BREAK_KINDS.has(e.breakKind))) {
    return `unknown breakKind ${JSON.stringify(e.breakKind)}`;
  }
  if (e.kind === 'break' && e.breakKind === undefined) return 'a break without breakKind';
  if (e.server !== undefined && typeof e.server !== 'string') return 'server is not a string';
  return undefined;
}

/**
 * Every value of an NDJSON file, in file order, checked with `problem`. A last line that
 * does not parse is taken for a truncated write and skipped; any other bad line throws,
 * naming the file and line.
 */
export async function* iterateNdjson<T>(path: string, problem: (v: unknown) => string | undefined): AsyncGenerator<T> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  // One line of look-ahead: only once the next line exists is a line known not to be the last.
  let held: { text: string; n: number } | undefined;
  let n = 0;
  const parse = (text: string, line: number, last: boolean): T | undefined => {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      if (last) return undefined;
      throw new Error(`${path}:${line}: not JSON: ${text.slice(0, 80)}`);
    }
    const why = problem(v);
    // A truncated line never parses (the closing brace is missing): a wrong shape is a real error.
    if (why !== undefined) throw new Error(`${path}:${line}: ${why}`);
    return v as T;
  };
  for await (const text of lines) {
    n++;
    if (text.trim() === '') continue;
    if (held) {
      const v = parse(held.text, held.n, false);
      if (v !== undefined) yield v;
    }
    held = { text, n };
  }
  if (held) {
    const v = parse(held.text, held.n, true);
    if (v !== undefined) yield v;
  }
}

export async function readRequestRecords(path: string): Promise<RequestRecord[]> {
  const out: RequestRecord[] = [];
  for await (const r of iterateNdjson<RequestRecord>(path, requestRecordProblem)) out.push(r);
  return out;
}

export async function readLongLivedEvents(path: string): Promise<LongLivedEvent[]> {
  const out: LongLivedEvent[] = [];
  for await (const e of iterateNdjson<LongLivedEvent>(path, longLivedEventProblem)) out.push(e);
  return out;
}

/** The generator's summary (written atomically, so it is whole or absent). */
export function readGeneratorSummary(path: string): GeneratorSummary {
  const s = JSON.parse(readFileSync(path, 'utf8')) as GeneratorSummary;
  if (s.version !== GENERATOR_CONFIG_VERSION) {
    throw new Error(`${path}: summary version ${String(s.version)}, expected ${GENERATOR_CONFIG_VERSION}`);
  }
  return s;
}
