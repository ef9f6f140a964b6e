// Reading an experiment file: YAML with positions, schema check, and the checks that need
// no lab (times inside the duration, daemons named where an action needs one). Checks that
// need the lab (does it have a second director?) happen in bind.ts, with the same positions.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { readInputFile } from '../model/input-file.js';
import type { SourceLocator } from '../model/locate.js';
import { compareProblems, LabValidationError, type LabIssue, type Problem } from '../model/problems.js';
import { checkWithValidator, compileSchema, withoutRejected, type JsonSchema } from '../model/schema.js';
import { issueToProblem, parseYamlWithPositions } from '../model/yaml-source.js';
import type { ValidateFunction } from 'ajv';
import type { ExperimentFile } from './types.js';
import type { Loose } from '../model/topology.js';
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
const LINK_ACTIONS = new Set(['link-down', 'link-up', 'silent-failure', 'silent-restore', 'link-impair', 'link-clear']);
/** Actions that take an `address:` (an address on the target's lo). */
const ADDRESS_ACTIONS = new Set(['address-down', 'address-up']);

export function loadExperimentText(text: string, file: string): LoadedExperiment {
  const parsed = parseYamlWithPositions(text, file);
  const problems: Problem[] = [...parsed.problems];
  if (parsed.fatal) throw new LabValidationError(problems.sort(compareProblems), 'experiment');
  const schema = checkWithValidator(experimentValidator(), parsed.data);
  const issues: LabIssue[] = schema.issues;
  // The checks run on what the schema accepted, as for labs: one run reports every mistake.
  const usable = withoutRejected(parsed.data, schema.rejected);
  if (usable !== null && typeof usable === 'object' && !Array.isArray(usable)) {
    for (const issue of checkExperiment(usable as LooseExperiment)) issues.push(issue);
  }
  for (const issue of issues) problems.push(issueToProblem(file, parsed.locator, issue));
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

/** An experiment file as it may be on disk: fields missing, or cleared where the schema rejected them. */
type LooseExperiment = Loose<ExperimentFile>;

/** Lab-independent checks, on whatever part of the file the schema accepted. */
function checkExperiment(exp: LooseExperiment): LabIssue[] {
  const issues: LabIssue[] = [];
  const err = (path: LabIssue['path'], message: string, accepted?: string): void => {
    issues.push({ path, message, severity: 'error', ...(accepted ? { accepted } : {}) });
  };
  const duration = typeof exp.duration === 'number' ? exp.duration : undefined;
  (Array.isArray(exp.timeline) ? exp.timeline : []).forEach((step, i) => {
    if (!step || typeof step !== 'object') return;
    const action = typeof step.action === 'string' ? step.action : undefined;
    const target = step.target && typeof step.target === 'object' ? step.target : undefined;
    if (typeof step.at === 'number' && duration !== undefined && step.at > duration) err(['timeline', i, 'at'], `at ${step.at} s is after the end of the traffic (duration ${duration} s)`, `0 to ${duration}`);
    if (action === undefined) return;
    if (DAEMON_ACTIONS.has(action) && step.daemon === undefined && !Object.prototype.hasOwnProperty.call(step, 'daemon')) err(['timeline', i], `action ${action} needs a daemon`, 'daemon: zebra, ospfd, nginx, keepalived, healthd or dataplane');
    if (!DAEMON_ACTIONS.has(action) && step.daemon !== undefined) err(['timeline', i, 'daemon'], `action ${action} takes no daemon`, `daemon only with ${[...DAEMON_ACTIONS].join(', ')}`);
    if (action === 'link-impair' && step.impair === undefined && !Object.prototype.hasOwnProperty.call(step, 'impair'))
      err(['timeline', i], 'action link-impair needs impair', 'impair: { loss_percent, drop_every, delay_ms, jitter_ms, corrupt_percent } (at least one)');
    if (action !== 'link-impair' && step.impair !== undefined) err(['timeline', i, 'impair'], `action ${action} takes no impair`, 'impair only with link-impair');
    if (!ADDRESS_ACTIONS.has(action) && step.address !== undefined) err(['timeline', i, 'address'], `action ${action} takes no address`, `address only with ${[...ADDRESS_ACTIONS].join(', ')}`);
    if (step.impair && typeof step.impair === 'object' && step.impair.jitter_ms !== undefined && step.impair.delay_ms === undefined)
      err(['timeline', i, 'impair', 'jitter_ms'], 'jitter_ms without delay_ms', 'give delay_ms too (the jitter is around it)');
    if (target) {
      if (LINK_ACTIONS.has(action) && target.interface === undefined && !Object.prototype.hasOwnProperty.call(target, 'interface')) err(['timeline', i, 'target'], `action ${action} needs target.interface`, 'uplink, downlink or an interface name');
      if (!LINK_ACTIONS.has(action) && target.interface !== undefined) err(['timeline', i, 'target', 'interface'], `action ${action} takes no interface`, `interface only with ${[...LINK_ACTIONS].join(', ')}`);
      const named = (k: 'role' | 'node'): boolean => target[k] !== undefined || Object.prototype.hasOwnProperty.call(target, k);
      if (!named('role') && !named('node')) err(['timeline', i, 'target'], 'the target names no node', 'role (with index when the lab has several), or node');
    }
  });
  (Array.isArray(exp.expect) ? exp.expect : []).forEach((line, i) => {
    if (typeof line !== 'string') return;
    try {
      parseAssertion(line);
    } catch (e) {
      const message = e instanceof AssertionSyntaxError ? e.reason : String(e);
      err(['expect', i], message);
    }
  });
  const listed = (k: 'traffic' | 'long_lived'): boolean => (Array.isArray(exp[k]) && exp[k].length > 0) || (exp[k] === undefined && Object.prototype.hasOwnProperty.call(exp, k));
  if (!listed('traffic') && !listed('long_lived')) {
    err([], 'the experiment sends no traffic', 'a traffic: and/or long_lived: list');
  }
  return issues;
}
