// `expect:` lines of an experiment: `<figure name> <op> <number>`, e.g. "outage_s <= 5",
// "nexthops.during == 1". parseAssertion is what validating an experiment file calls, so
// its errors name the line and what would have been accepted.
import { type AssertionResult, FIGURE_NAMES, type Figure, type FigureName } from '../experiment/types.js';
import { didYouMean } from '../model/problems.js';
import { EXIT, LvslabError } from '../util/errors.js';

export const ASSERTION_OPS = ['<', '<=', '==', '!=', '>=', '>'] as const;
export type AssertionOp = (typeof ASSERTION_OPS)[number];

export interface Assertion {
  expression: string;
  figure: FigureName;
  op: AssertionOp;
  expected: number;
}

/** An `expect:` line that does not follow the grammar (exit code 2: invalid input). */
export class AssertionSyntaxError extends LvslabError {
  constructor(
    readonly expression: string,
    readonly reason: string,
  ) {
    super(`expect "${expression}": ${reason}`, EXIT.invalidInput);
    this.name = 'AssertionSyntaxError';
  }
}

const GRAMMAR = `expected "<figure> <op> <number>", e.g. "outage_s <= 5"`;
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
// The operator is the first run of comparison characters; names and numbers never contain them.
const SHAPE = /^\s*([^<>=!]*?)\s*([<>=!]+)\s*(.*?)\s*$/;

export function parseAssertion(line: string): Assertion {
  if (typeof line !== 'string' || line.trim() === '') throw new AssertionSyntaxError(String(line), `empty assertion, ${GRAMMAR}`);
  const m = SHAPE.exec(line);
  if (!m) throw new AssertionSyntaxError(line, `no comparison operator (accepted: ${ASSERTION_OPS.join(' ')}), ${GRAMMAR}`);
  const [, name, op, value] = m;
  if (name === '') throw new AssertionSyntaxError(line, `no figure name before '${op}', ${GRAMMAR}`);
  if (/\s/.test(name!)) throw new AssertionSyntaxError(line, `"${name}" is not one figure name, ${GRAMMAR}`);
  if (!(FIGURE_NAMES as readonly string[]).includes(name!)) {
    throw new AssertionSyntaxError(line, `unknown figure '${name}'${didYouMean(name!, FIGURE_NAMES)} (accepted: ${FIGURE_NAMES.join(', ')})`);
  }
  if (!(ASSERTION_OPS as readonly string[]).includes(op!)) {
    throw new AssertionSyntaxError(line, `unknown operator '${op}' (accepted: ${ASSERTION_OPS.join(' ')})`);
  }
  if (value === '') throw new AssertionSyntaxError(line, `no number after '${op}', ${GRAMMAR}`);
  if (!NUMBER.test(value!)) throw new AssertionSyntaxError(line, `'${value}' is not a number (write it like 5, 0.95 or 1e-3)`);
  const expected = Number(value);
  if (!Number.isFinite(expected)) throw new AssertionSyntaxError(line, `'${value}' is not a finite number`);
  return { expression: line.trim(), figure: name as FigureName, op: op as AssertionOp, expected };
}

export function compare(actual: number, op: AssertionOp, expected: number): boolean {
  switch (op) {
    case '<':
      return actual < expected;
    case '<=':
      return actual <= expected;
    case '==':
      return actual === expected;
    case '!=':
      return actual !== expected;
    case '>=':
      return actual >= expected;
    case '>':
      return actual > expected;
  }
}

/**
 * Every `expect:` line against the run's figures. A figure without a value (null) fails
 * every assertion on it: nothing was measured, so nothing was shown. Throws
 * AssertionSyntaxError on the first malformed line (validation should have caught it).
 */
export function evaluateAssertions(expectLines: string[], figures: Record<FigureName, Figure>): AssertionResult[] {
  return expectLines.map((line) => {
    const a = parseAssertion(line);
    const actual = figures[a.figure]?.value ?? null;
    return {
      expression: a.expression,
      figure: a.figure,
      op: a.op,
      expected: a.expected,
      actual,
      passed: actual !== null && compare(actual, a.op, a.expected),
    };
  });
}
