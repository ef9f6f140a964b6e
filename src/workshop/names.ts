// Names of a workshop: the class, its students, and the instance each student's lab runs
// as. An instance name is `ws-CLASS-STUDENT` and must pass the instance rule (it becomes
// namespace and directory names, src/model/names.ts): the class name carries no "-", so two
// different (class, student) pairs can never give the same instance name.
import { INSTANCE_NAME, instanceNameProblem } from '../model/names.js';
import { EXIT, LvslabError } from '../util/errors.js';

export const INSTANCE_PREFIX = 'ws-';

export const CLASS_NAME = {
  pattern: /^[a-z][a-z0-9]{0,7}$/,
  accepted: 'a lowercase letter, then up to 7 lowercase letters or digits (no "-": it separates class and student in instance names)',
};

export const STUDENT_NAME = {
  pattern: /^[a-z][a-z0-9-]{0,11}$/,
  accepted: 'a lowercase letter, then up to 11 lowercase letters, digits or "-" (the name becomes part of the instance name ws-CLASS-STUDENT)',
};

export function classNameProblem(name: string): string | undefined {
  if (CLASS_NAME.pattern.test(name)) return undefined;
  if (name === '') return 'the class name is empty';
  if (name.length > 8) return `'${name}' is too long (${name.length} characters, at most 8)`;
  if (CLASS_NAME.pattern.test(name.toLowerCase())) return `'${name}' has capital letters (write '${name.toLowerCase()}')`;
  return `'${name}' is not a valid class name`;
}

export function studentNameProblem(name: string): string | undefined {
  if (STUDENT_NAME.pattern.test(name)) return undefined;
  if (name === '') return 'the student name is empty';
  if (name.length > 12) return `'${name}' is too long (${name.length} characters, at most 12)`;
  if (/[A-Z]/.test(name) && STUDENT_NAME.pattern.test(name.toLowerCase())) return `'${name}' has capital letters (write '${name.toLowerCase()}')`;
  return `'${name}' is not a valid student name`;
}

export function checkClassName(name: string, label: string): void {
  const problem = classNameProblem(name);
  if (problem) throw new LvslabError(`${label}: ${problem} (accepted: ${CLASS_NAME.accepted})`, EXIT.invalidInput);
}

export function checkStudentName(name: string, label: string): void {
  const problem = studentNameProblem(name);
  if (problem) throw new LvslabError(`${label}: ${problem} (accepted: ${STUDENT_NAME.accepted})`, EXIT.invalidInput);
}

/** The instance a student's lab runs as; both names already checked. */
export function studentInstance(className: string, student: string): string {
  const name = `${INSTANCE_PREFIX}${className}-${student}`;
  // Cannot fail for checked names (3 + 8 + 1 + 12 = 24 characters); kept as a guard should a rule change.
  const problem = instanceNameProblem(name);
  if (problem) throw new Error(`internal: instance name ${name}: ${problem} (${INSTANCE_NAME.accepted})`);
  return name;
}

/** `--students N`: s01 … sNN (two digits at least, so they sort as numbers). */
export function numberedStudents(count: number): string[] {
  const width = Math.max(2, String(count).length);
  return Array.from({ length: count }, (_, i) => `s${String(i + 1).padStart(width, '0')}`);
}

/** The class name when none is given (--class, or the roster's class:). */
export const DEFAULT_CLASS = 'class';
