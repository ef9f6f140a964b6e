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

export function compareProblems(a: Problem, b: Problem): number {
  return a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.field.localeCompare(b.field);
}

/**
 * Thrown when a lab (or experiment) file has at least one error; lists every problem
 * found, not just the first.
 */
export class LabValidationError extends LvslabError {
  constructor(
    readonly problems: Problem[],
    /** What kind of file, for the message. */
    readonly fileKind: 'lab' | 'experiment' = 'lab',
  ) {
    super(LabValidationError.describe(problems, fileKind), EXIT.invalidInput);
    this.name = 'LabValidationError';
  }

  private static describe(problems: Problem[], fileKind: string): string {
    const errors = problems.filter((p) => p.severity === 'error').length;
    const files = [...new Set(problems.map((p) => p.file))].join(', ');
    const head = `${files}: ${errors} error${errors === 1 ? '' : 's'} in the ${fileKind} file`;
    return [head, ...problems.map(formatProblem)].join('\n');
  }
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = prev[j]!;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      prev[j] = Math.min(above + 1, prev[j - 1]! + 1, diagonal + cost);
      diagonal = above;
    }
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
    const d = editDistance(lower, c.toLowerCase());
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
