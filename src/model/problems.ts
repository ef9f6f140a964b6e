// What is wrong with a lab file, said so a user can fix it without reading code: where
// (file:line:column and the field path), what was wrong, and what would be accepted.
import { EXIT, LvslabError } from '../util/errors.js';

export type Severity = 'error' | 'warning';

export interface Problem {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** Dotted path of the offending field, e.g. nodes.lb1.interfaces[0].address. */
  field: string;
  /** What was wrong. */
  message: string;
  /** What is accepted instead. */
  accepted?: string;
  severity: Severity;
}

/** One step into the lab document: a mapping key or a list index. */
export type PathSegment = string | number;

/**
 * A problem before it has a position: the checks work on plain data and name the field by
 * path; the loader turns the path into line:column using the parsed YAML document.
 */
export interface LabIssue {
  path: PathSegment[];
  message: string;
  accepted?: string;
  severity: Severity;
  /**
   * Where to point. `value` (default): at the field's value, or at its key when the value
   * is a mapping or list. `key`: at the key itself (unknown keys). `parent`: the field is
   * missing, point at the mapping that should hold it.
   */
  at?: 'value' | 'key' | 'parent';
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** ['nodes', 'lb1', 'interfaces', 0, 'address'] -> nodes.lb1.interfaces[0].address */
export function fieldOf(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (PLAIN_KEY.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** `FILE:LINE:COL: error: FIELD: MESSAGE (accepted: ...)` */
export function formatProblem(p: Problem): string {
  const field = p.field ? `${p.field}: ` : '';
  const accepted = p.accepted ? ` (accepted: ${p.accepted})` : '';
  return `${p.file}:${p.line}:${p.column}: ${p.severity}: ${field}${p.message}${accepted}`;
}

// Equal strings are the common case (one file; one field per position): skipping
// localeCompare for them keeps sorting 400,000 problems under a second.
const compareText = (a: string, b: string): number => (a === b ? 0 : a.localeCompare(b));

export function compareProblems(a: Problem, b: Problem): number {
  return compareText(a.file, b.file) || a.line - b.line || a.column - b.column || compareText(a.field, b.field);
}

/** How many problems a message lists; the rest are counted ("… and 19,950 more"). */
export const MAX_PRINTED_PROBLEMS = 50;

/**
 * Thrown when a lab (or experiment) file has at least one error; lists every problem
 * found, not just the first.
 */
export class LabValidationError extends LvslabError {
  constructor(
    readonly problems: Problem[],
    /** What kind of file, for the message. */
    readonly fileKind: 'lab' | 'experiment' | 'exercise' | 'roster' = 'lab',
  ) {
    super(LabValidationError.describe(problems, fileKind), EXIT.invalidInput);
    this.name = 'LabValidationError';
  }

  private static describe(problems: Problem[], fileKind: string): string {
    const errors = problems.filter((p) => p.severity === 'error').length;
    const files = [...new Set(problems.map((p) => p.file))].slice(0, 3).join(', ');
    const head = `${files}: ${errors.toLocaleString('en-US')} error${errors === 1 ? '' : 's'} in the ${fileKind} file`;
    const shown = problems.slice(0, MAX_PRINTED_PROBLEMS).map(formatProblem);
    const more = problems.length - shown.length;
    // Thousands of problems (20,000 unknown keys) would bury the first ones, which are the
    // ones to fix: list a screenful, count the rest.
    if (more > 0) shown.push(`… and ${more.toLocaleString('en-US')} more problem${more === 1 ? '' : 's'}`);
    return [head, ...shown].join('\n');
  }
}

/** Levenshtein distance, or `limit + 1` as soon as it is certain to exceed `limit`. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = prev[0]!;
    prev[0] = i;
    let rowMin = prev[0];
    for (let j = 1; j <= b.length; j++) {
      const above = prev[j]!;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      prev[j] = Math.min(above + 1, prev[j - 1]! + 1, diagonal + cost);
      diagonal = above;
      if (prev[j]! < rowMin) rowMin = prev[j]!;
    }
    // Distances never shrink from one row to the next: stop once every cell is over the limit.
    if (rowMin > limit) return limit + 1;
  }
  return prev[b.length]!;
}

/** The closest candidate when `word` looks like a misspelling of it (first one wins a tie). */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  const allowed = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(lower, c.toLowerCase(), allowed);
    if (d < bestDistance && d <= allowed && c !== word) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** " (did you mean 'x'?)" or "". */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const match = closestMatch(word, candidates);
  return match === undefined ? '' : ` (did you mean '${match}'?)`;
}
