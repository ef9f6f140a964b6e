// Parsing a YAML file while keeping positions: shared by lab and experiment files, so both
// report problems as FILE:LINE:COLUMN with the same wording.
import { LineCounter, parseDocument } from 'yaml';
import { SourceLocator } from './locate.js';
import { fieldOf, type LabIssue, type Problem } from './problems.js';

export interface ParsedYaml {
  /** The document as plain data (undefined when it could not be parsed). */
  data: unknown;
  locator: SourceLocator;
  /** YAML syntax errors and warnings; with an error the structure cannot be trusted. */
  problems: Problem[];
  fatal: boolean;
}

export function parseYamlWithPositions(text: string, file: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const problems: Problem[] = [];
  const all = [...doc.errors.map((e) => ({ e, severity: 'error' as const })), ...doc.warnings.map((e) => ({ e, severity: 'warning' as const }))];
  for (const { e, severity } of all) {
    const pos = e.linePos?.[0] ?? lineCounter.linePos(e.pos[0]);
    problems.push({
      file,
      line: pos.line,
      column: pos.col,
      field: '',
      message: `YAML: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
      severity,
    });
  }
  const fatal = doc.errors.length > 0;
  return { data: fatal ? undefined : doc.toJS({ maxAliasCount: 100 }), locator: new SourceLocator(doc, lineCounter), problems, fatal };
}

/** Places an issue (a field path) at its line and column in the file. */
export function issueToProblem(file: string, locator: SourceLocator, issue: LabIssue): Problem {
  const { line, column } = locator.locate(issue.path, issue.at);
  return {
    file,
    line,
    column,
    field: fieldOf(issue.path),
    message: issue.message,
    ...(issue.accepted ? { accepted: issue.accepted } : {}),
    severity: issue.severity,
  };
}
