// The published JSON Schema of the lab file, and the translation of its validation errors
// into messages a user can act on ("unknown key 'adress'", not "must NOT have additional
// properties").
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { didYouMean, type LabIssue, type PathSegment } from './problems.js';

/** Where the schema lives: same relative path from src/model/ (vitest) and dist/model/ (built). */
export const LAB_SCHEMA_URL = new URL('../../schema/lab.schema.json', import.meta.url);

export type JsonSchema = Record<string, unknown>;

let cachedSchema: JsonSchema | undefined;
let cachedValidator: ValidateFunction | undefined;

export function labSchema(): JsonSchema {
  cachedSchema ??= JSON.parse(readFileSync(LAB_SCHEMA_URL, 'utf8')) as JsonSchema;
  return cachedSchema;
}

/** The compiled validator (allErrors, so one run reports everything). */
export function labSchemaValidator(): ValidateFunction {
  if (!cachedValidator) {
    // verbose: errors carry the offending schema and data, which the messages quote.
    // strictTypes off: the schema deliberately lets `ospf` be a mapping or `false`.
    const ajv = new Ajv({ allErrors: true, verbose: true, strictTypes: false });
    cachedValidator = ajv.compile(labSchema());
  }
  return cachedValidator;
}

// The schema states address shapes as patterns (portable to any validator and editor);
// this table says in words what each one accepts. A test checks every pattern is covered.
const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const QUAD = `${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}`;
const PREFIX = '(3[0-2]|[12]?[0-9])';
export const PATTERN_TEXT: Record<string, { noun: string; accepted: string }> = {
  [`^${QUAD}$`]: { noun: 'an IPv4 address', accepted: 'a dotted-quad IPv4 address such as 10.0.1.5' },
  [`^${QUAD}/${PREFIX}$`]: { noun: 'an IPv4 prefix in CIDR form', accepted: 'CIDR such as 10.0.1.0/24' },
  [`^${QUAD}(/32)?$`]: { noun: 'a host address', accepted: 'an address such as 192.168.0.23, or the same with /32' },
  [`^${QUAD}(/${PREFIX})?$`]: { noun: 'an IPv4 address or CIDR', accepted: 'an address such as 10.0.1.5 or a CIDR such as 10.0.1.5/32' },
  [`^(auto|none|${QUAD})$`]: { noun: 'a gateway', accepted: 'auto, none, or an IPv4 address such as 10.0.1.1' },
  [`^(default|${QUAD}/${PREFIX})$`]: { noun: 'a route destination', accepted: 'default, or CIDR such as 10.0.2.0/24' },
  // An HTTP request line is split on spaces: a path with one would be a different request.
  // Name shapes the experiment schema uses for node and interface references.
  ['^[a-z][a-z0-9-]{0,23}$']: { noun: 'a node name', accepted: 'a lowercase letter, then up to 23 lowercase letters, digits or "-"' },
  ['^[a-zA-Z][a-zA-Z0-9_.-]{0,14}$']: { noun: 'an interface name', accepted: 'uplink, downlink, or a letter then up to 14 letters, digits, "_", "." or "-"' },
  // Workshop rosters and exercises (src/workshop/names.ts says why these shapes).
  ['^[a-z][a-z0-9-]{0,11}$']: { noun: 'a student name', accepted: 'a lowercase letter, then up to 11 lowercase letters, digits or "-"' },
  ['^[a-z][a-z0-9]{0,7}$']: { noun: 'a class name', accepted: 'a lowercase letter, then up to 7 lowercase letters or digits' },
  ['^[A-Za-z0-9][A-Za-z0-9 _.-]{0,31}$']: { noun: 'a group label', accepted: 'a letter or digit, then up to 31 letters, digits, spaces, "_", "." or "-"' },
  ['^[a-z][a-z0-9-]{0,31}$']: { noun: 'an identifier', accepted: 'a lowercase letter, then up to 31 lowercase letters, digits or "-"' },
  ['^[a-z][a-z0-9-]{0,63}$']: { noun: 'a catalogue name', accepted: 'a lowercase letter, then up to 63 lowercase letters, digits or "-" (lvslab labs, lvslab experiments)' },
  ['^[a-z][a-z0-9-]{0,14}$']: { noun: 'a service name', accepted: 'a lowercase letter, then up to 14 lowercase letters, digits or "-"' },
  ['^[a-z0-9_]+(\\.[A-Za-z0-9_/-]+)+$']: { noun: 'a sysctl key', accepted: 'a dotted key such as net.ipv4.conf.all.arp_ignore' },
  ['^/[!-~]*$']: { noun: 'a URL path', accepted: 'a path starting with "/", printable ASCII with no spaces (a space is %20)' },
};

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping (key: value)',
  array: 'a list',
  null: 'nothing',
};

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

function quote(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : describeValue(value);
}

/** JSON pointer (/nodes/lb1/interfaces/0) to path segments; list indices become numbers. */
export function pointerToPath(pointer: string, data: unknown): PathSegment[] {
  if (pointer === '') return [];
  const path: PathSegment[] = [];
  let cursor: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const seg: PathSegment = Array.isArray(cursor) && /^\d+$/.test(key) ? Number(key) : key;
    path.push(seg);
    cursor = cursor !== null && typeof cursor === 'object' ? (cursor as Record<string | number, unknown>)[seg] : undefined;
  }
  return path;
}

function rangeText(schema: Record<string, unknown>): string | undefined {
  const min = schema.minimum ?? schema.exclusiveMinimum;
  const max = schema.maximum;
  const whole = schema.type === 'integer' || (Array.isArray(schema.type) && schema.type.includes('integer'));
  const kind = whole ? 'a whole number' : 'a number';
  if (schema.exclusiveMinimum !== undefined && max !== undefined) return `${kind} greater than ${String(schema.exclusiveMinimum)} and at most ${String(max)}`;
  if (min !== undefined && max !== undefined) return `${kind} from ${String(min)} to ${String(max)}`;
  if (schema.exclusiveMinimum !== undefined) return `${kind} greater than ${String(schema.exclusiveMinimum)}`;
  if (min !== undefined) return `${kind} of at least ${String(min)}`;
  if (max !== undefined) return `${kind} of at most ${String(max)}`;
  return undefined;
}

// The accepted keys of each schema object, joined once (not once per unknown key).
const acceptedKeys = new WeakMap<object, { list: string[]; text: string }>();
function propertiesOf(parent: Record<string, unknown>): { list: string[]; text: string } {
  let known = acceptedKeys.get(parent);
  if (!known) {
    const list = Object.keys((parent.properties ?? {}) as object);
    known = { list, text: list.join(', ') };
    acceptedKeys.set(parent, known);
  }
  return known;
}

/** One ajv error as a user-facing issue; undefined for errors another error already explains. */
function translate(err: ErrorObject, data: unknown): LabIssue | undefined {
  const path = pointerToPath(err.instancePath, data);
  const parent = (err.parentSchema ?? {}) as Record<string, unknown>;
  const value = err.data;
  switch (err.keyword) {
    case 'additionalProperties': {
      const key = String((err.params as { additionalProperty: string }).additionalProperty);
      const accepted = propertiesOf(parent);
      return {
        path: [...path, key],
        at: 'key',
        message: `unknown key '${key}'${didYouMean(key, accepted.list)}`,
        accepted: accepted.text,
        severity: 'error',
      };
    }
    case 'required': {
      const key = String((err.params as { missingProperty: string }).missingProperty);
      return { path: [...path, key], at: 'parent', message: `missing required key '${key}'`, severity: 'error' };
    }
    case 'type': {
      const expected = String((err.params as { type: string }).type)
        .split(',')
        .map((t) => TYPE_WORDS[t] ?? t)
        .join(' or ');
      const choices = Array.isArray(parent.enum) ? parent.enum.map(String).join(', ') : undefined;
      const shapes = [PATTERN_TEXT[String(parent.pattern)]?.accepted, rangeText(parent)].filter((t) => t !== undefined);
      const accepted = choices ?? (shapes.length ? shapes.join(', or ') : expected);
      return { path, message: `wrong type: expected ${expected}, got ${describeValue(value)}`, accepted, severity: 'error' };
    }
    case 'enum': {
      const allowed = (err.schema as unknown[]).map(String);
      const hint = typeof value === 'string' ? didYouMean(value, allowed) : '';
      return { path, message: `${quote(value)} is not accepted here${hint}`, accepted: allowed.join(', '), severity: 'error' };
    }
    case 'pattern': {
      const text = PATTERN_TEXT[String(err.schema)];
      return {
        path,
        message: `${quote(value)} is not ${text?.noun ?? 'in the expected form'}`,
        accepted: text?.accepted ?? `text matching ${String(err.schema)}`,
        severity: 'error',
      };
    }
    case 'minimum':
    case 'exclusiveMinimum':
      return { path, message: `${String(value)} is too small`, accepted: rangeText(parent), severity: 'error' };
    case 'maximum':
      return { path, message: `${String(value)} is too large`, accepted: rangeText(parent), severity: 'error' };
    case 'minItems': {
      const n = Number((err.params as { limit: number }).limit);
      return { path, message: `the list is empty`, accepted: `a list of at least ${n} item${n === 1 ? '' : 's'}`, severity: 'error' };
    }
    case 'maxItems':
    case 'maxProperties': {
      // Count limits are part of the format: a lab past them could not run on one host.
      const n = Number((err.params as { limit: number }).limit);
      const count = Array.isArray(value) ? value.length : value !== null && typeof value === 'object' ? Object.keys(value).length : 0;
      const what = err.keyword === 'maxItems' ? 'items' : 'entries';
      return { path, message: `${count.toLocaleString('en-US')} ${what}, more than the format's limit of ${n.toLocaleString('en-US')}`, accepted: `at most ${n.toLocaleString('en-US')} ${what}`, severity: 'error' };
    }
    case 'not':
      // The only `not` in the schema forbids `true` where `false` switches a feature off.
      return { path, message: `${String(value)} is not accepted here`, accepted: 'false (to turn it off) or a mapping of settings', severity: 'error' };
    default:
      return { path, message: err.message ?? 'is invalid', severity: 'error' };
  }
}

export interface SchemaCheck {
  issues: LabIssue[];
  /** Paths of values the schema rejected (not missing or unknown keys): later checks skip them. */
  rejected: PathSegment[][];
}

/** Validates plain data (the YAML document as JS) against the lab schema. */
export function checkAgainstSchema(data: unknown): SchemaCheck {
  return checkWithValidator(labSchemaValidator(), data);
}

/** Compiles a schema the way the lab schema is compiled (for other file kinds). */
export function compileSchema(schema: JsonSchema): ValidateFunction {
  return new Ajv({ allErrors: true, verbose: true, strictTypes: false }).compile(schema);
}

/** Validates data with any compiled schema, translating errors as for lab files. */
export function checkWithValidator(validate: ValidateFunction, data: unknown): SchemaCheck {
  if (validate(data)) return { issues: [], rejected: [] };
  const issues: LabIssue[] = [];
  const rejected: PathSegment[][] = [];
  for (const err of validate.errors ?? []) {
    const issue = translate(err, data);
    if (issue) issues.push(issue);
    if (err.keyword !== 'required' && err.keyword !== 'additionalProperties') {
      rejected.push(pointerToPath(err.instancePath, data));
    }
  }
  return { issues, rejected };
}

/**
 * Clears the values the schema rejected, so the semantic checks do not trip over them.
 * Copies only the containers on a rejected path (copy on write): cloning a 4 MB document
 * to clear one value would cost more than validating it.
 */
export function withoutRejected(data: unknown, rejected: PathSegment[][]): unknown {
  if (rejected.length === 0) return data;
  const copies = new Set<object>();
  const copyOf = (value: object): Record<PathSegment, unknown> => {
    // Mappings keep their missing prototype (see toPlain in yaml-source.ts).
    const c = (Array.isArray(value) ? [...value] : Object.assign(Object.create(null) as object, value)) as Record<PathSegment, unknown>;
    copies.add(c);
    return c;
  };
  if (data === null || typeof data !== 'object') return rejected.some((p) => p.length === 0) ? undefined : data;
  const root = copyOf(data);
  for (const path of rejected) {
    if (path.length === 0) return undefined;
    let cursor: Record<PathSegment, unknown> | undefined = root;
    for (const seg of path.slice(0, -1)) {
      const next: unknown = cursor[seg];
      if (next === null || typeof next !== 'object') {
        cursor = undefined;
        break;
      }
      if (!copies.has(next)) cursor[seg] = copyOf(next);
      cursor = cursor[seg] as Record<PathSegment, unknown>;
    }
    // Assigning undefined (not deleting) keeps list indices and key presence intact.
    if (cursor) cursor[path[path.length - 1]!] = undefined;
  }
  return root;
}
