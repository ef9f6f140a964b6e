// Reading a class roster: a YAML file (validated against schema/roster.schema.json with the
// lab files' machinery, problems at file:line:column) or a CSV file (name[,group] per line,
// an optional header line). Every name is checked as the instance-name part it becomes, and
// duplicates are refused, so the instance names of a class are unique by construction.
import { readFileSync } from 'node:fs';
import type { ValidateFunction } from 'ajv';
import { readInputFile } from '../model/input-file.js';
import { compareProblems, LabValidationError, type LabIssue, type Problem } from '../model/problems.js';
import { checkWithValidator, compileSchema, type JsonSchema } from '../model/schema.js';
import { issueToProblem, parseYamlWithPositions } from '../model/yaml-source.js';
import { STUDENT_NAME, studentNameProblem } from './names.js';

export const ROSTER_SCHEMA_URL = new URL('../../schema/roster.schema.json', import.meta.url);

export interface Student {
  name: string;
  group?: string;
}

export interface Roster {
  /** The class name the file gives, if any. */
  className?: string;
  students: Student[];
}

let validator: ValidateFunction | undefined;
function rosterValidator(): ValidateFunction {
  validator ??= compileSchema(JSON.parse(readFileSync(ROSTER_SCHEMA_URL, 'utf8')) as JsonSchema);
  return validator;
}

const GROUP = /^[A-Za-z0-9][A-Za-z0-9 _.-]{0,31}$/;

export function loadRosterText(text: string, file: string): Roster {
  return /\.csv$/i.test(file) ? parseCsvRoster(text, file) : parseYamlRoster(text, file);
}

export async function loadRosterFile(path: string): Promise<Roster> {
  const { text } = await readInputFile(path, 'roster');
  return loadRosterText(text, path);
}

function parseYamlRoster(text: string, file: string): Roster {
  const parsed = parseYamlWithPositions(text, file);
  const problems: Problem[] = [...parsed.problems];
  if (parsed.fatal) throw new LabValidationError(problems.sort(compareProblems), 'roster');
  const schema = checkWithValidator(rosterValidator(), parsed.data);
  const issues: LabIssue[] = [...schema.issues];
  const doc = (parsed.data ?? {}) as { class?: unknown; students?: unknown };
  const students: Student[] = [];
  const seen = new Map<string, number>();
  if (schema.issues.length === 0 && Array.isArray(doc.students)) {
    doc.students.forEach((entry: unknown, i: number) => {
      const s = typeof entry === 'string' ? { name: entry } : (entry as Student);
      const first = seen.get(s.name);
      if (first !== undefined) {
        issues.push({ path: ['students', i], message: `student '${s.name}' is listed twice (first as students[${first}])`, accepted: 'each name once: it becomes a unique instance name', severity: 'error' });
      } else seen.set(s.name, i);
      students.push(s.group === undefined ? { name: s.name } : { name: s.name, group: s.group });
    });
  }
  for (const issue of issues) problems.push(issueToProblem(file, parsed.locator, issue));
  problems.sort(compareProblems);
  if (problems.some((p) => p.severity === 'error')) throw new LabValidationError(problems, 'roster');
  return { ...(typeof doc.class === 'string' ? { className: doc.class } : {}), students };
}

/** CSV: `name[,group]` per line; blank lines and lines starting with '#' are skipped; a first line `name,...` is a header. */
export function parseCsvRoster(text: string, file: string): Roster {
  const problems: Problem[] = [];
  const students: Student[] = [];
  const seen = new Map<string, number>();
  const at = (line: number, column: number, field: string, message: string, accepted?: string): void => {
    problems.push({ file, line, column, field, message, ...(accepted ? { accepted } : {}), severity: 'error' });
  };
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) return;
    // Quotes are not CSV here: a roster of names and groups needs none, and a quoted field
    // would otherwise be read with its quotes as part of the name.
    const cells = raw.split(',');
    if (students.length === 0 && problems.length === 0 && seen.size === 0 && cells[0]!.trim().toLowerCase() === 'name') return;
    if (cells.length > 2) at(line, raw.indexOf(',', raw.indexOf(',') + 1) + 1, 'row', `${cells.length} columns`, 'name[,group]');
    const name = cells[0]!.trim();
    const nameColumn = raw.indexOf(cells[0]!.trimStart().charAt(0) || ',') + 1 || 1;
    const nameProblem = studentNameProblem(name);
    if (nameProblem) at(line, nameColumn, 'name', nameProblem, STUDENT_NAME.accepted);
    const group = cells[1]?.trim();
    if (group !== undefined && group !== '' && !GROUP.test(group)) {
      at(line, cells[0]!.length + 2, 'group', `'${group}' is not a group label`, 'a letter or digit, then up to 31 letters, digits, spaces, "_", "." or "-"');
    }
    if (nameProblem) return;
    const first = seen.get(name);
    if (first !== undefined) {
      at(line, nameColumn, 'name', `student '${name}' is listed twice (first on line ${first})`, 'each name once: it becomes a unique instance name');
      return;
    }
    seen.set(name, line);
    students.push(group ? { name, group } : { name });
  });
  if (problems.length === 0 && students.length === 0) at(1, 1, '', 'the roster names no student', 'one line per student: name[,group]');
  if (problems.length > 0) throw new LabValidationError(problems.sort(compareProblems), 'roster');
  return { students };
}
