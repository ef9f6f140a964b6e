// Reading an experiment file: YAML with positions, schema check, and the checks that need
// no lab (times inside the duration, daemons named where an action needs one). Checks that
// need the lab (does it have a second director?) happen in bind.ts, with the same positions.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { readInputFile } from '../model/input-file.js';
import type { SourceLocator } from '../model/locate.js';
import { compareProblems, LabValidationError, type LabIssue, type Problem } from '../model/problems.js';
import { checkWithValidator, compileSchema, type JsonSchema } from '../model/schema.js';
import { issueToProblem, parseYamlWithPositions } from '../model/yaml-source.js';
import type { ValidateFunction } from 'ajv';
import type { ExperimentFile } from './types.js';
import { AssertionSyntaxError, parseAssertion } from '../figures/assertions.js';

export const EXPERIMENT_SCHEMA_URL = new URL('../../schema/experiment.schema.json', import.meta.url);

let validator: ValidateFunction | undefined;
function experimentValidator(): ValidateFunction {
  validator ??= compileSchema(JSON.parse(readFileSync(EXPERIMENT_SCHEMA_URL, 'utf8')) as JsonSchema);
  return validator;
}

export interface LoadedExperiment {
  experiment: ExperimentFile;
  /** As the user gave it (for messages) and absolute. */
  file: string;
  absoluteFile: string;
  sha256: string;
  /** Places later (lab-dependent) problems in the file. */
  problemAt(issue: LabIssue): Problem;
}

/** Actions that need `daemon:`. */
const DAEMON_ACTIONS = new Set(['kill', 'start', 'pause', 'resume']);
const LINK_ACTIONS = new Set(['link-down', 'link-up', 'silent-failure', 'silent-restore']);

export function loadExperimentText(text: string, file: string): LoadedExperiment {
  const parsed = parseYamlWithPositions(text, file);
  const problems: Problem[] = [...parsed.problems];
  if (parsed.fatal) throw new LabValidationError(problems.sort(compareProblems), 'experiment');
  const schema = checkWithValidator(experimentValidator(), parsed.data);
  const issues: LabIssue[] = [...schema.issues];
  if (schema.issues.length === 0) issues.push(...checkExperiment(parsed.data as ExperimentFile));
  problems.push(...issues.map((i) => issueToProblem(file, parsed.locator, i)));
  problems.sort(compareProblems);
  if (problems.some((p) => p.severity === 'error')) throw new LabValidationError(problems, 'experiment');
  return {
    experiment: parsed.data as ExperimentFile,
    file,
    absoluteFile: resolvePath(file),
    sha256: createHash('sha256').update(text).digest('hex'),
    problemAt: (issue) => issueToProblem(file, parsed.locator as SourceLocator, issue),
  };
}

export async function loadExperimentFile(path: string): Promise<LoadedExperiment> {
  const { text } = await readInputFile(path, 'experiment');
  return loadExperimentText(text, path);
}

/** Lab-independent checks of a schema-valid experiment. */
function checkExperiment(exp: ExperimentFile): LabIssue[] {
  const issues: LabIssue[] = [];
  const err = (path: LabIssue['path'], message: string, accepted?: string): void => {
    issues.push({ path, message, severity: 'error', ...(accepted ? { accepted } : {}) });
  };
  (exp.timeline ?? []).forEach((step, i) => {
    if (step.at > exp.duration) err(['timeline', i, 'at'], `at ${step.at} s is after the end of the traffic (duration ${exp.duration} s)`, `0 to ${exp.duration}`);
    if (DAEMON_ACTIONS.has(step.action) && !step.daemon) err(['timeline', i], `action ${step.action} needs a daemon`, 'daemon: zebra, ospfd, nginx, keepalived, healthd or dataplane');
    if (!DAEMON_ACTIONS.has(step.action) && step.daemon) err(['timeline', i, 'daemon'], `action ${step.action} takes no daemon`, `daemon only with ${[...DAEMON_ACTIONS].join(', ')}`);
    if (LINK_ACTIONS.has(step.action) && !step.target.interface) err(['timeline', i, 'target'], `action ${step.action} needs target.interface`, 'uplink, downlink or an interface name');
    if (!step.target.role && !step.target.node) err(['timeline', i, 'target'], 'the target names no node', 'role (with index when the lab has several), or node');
  });
  (exp.expect ?? []).forEach((line, i) => {
    try {
      parseAssertion(line);
    } catch (e) {
      const message = e instanceof AssertionSyntaxError ? e.reason : String(e);
      err(['expect', i], message);
    }
  });
  if ((exp.traffic ?? []).length === 0 && (exp.long_lived ?? []).length === 0) {
    err([], 'the experiment sends no traffic', 'a traffic: and/or long_lived: list');
  }
  return issues;
}
