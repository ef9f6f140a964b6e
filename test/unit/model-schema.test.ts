// The published JSON Schema: it accepts the catalogue, rejects a broken file, documents
// every field, and agrees with the model's constant lists.
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { checkAgainstSchema, labSchema, PATTERN_TEXT } from '../../src/model/schema.js';
import { DATAPLANES, FORWARDING_METHODS, ROLES, SCHEDULERS } from '../../src/model/types.js';

type S = Record<string, unknown>;
const CATALOGUE = ['labs/ospf-ecmp.yaml', 'labs/lvs-dr.yaml'];

/** Every subschema with its JSON pointer-ish location. */
function walk(schema: S, where: string, visit: (s: S, where: string) => void): void {
  visit(schema, where);
  for (const [name, sub] of Object.entries((schema.properties ?? {}) as Record<string, S>)) walk(sub, `${where}.${name}`, visit);
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object') walk(schema.additionalProperties as S, `${where}.*`, visit);
  if (schema.items && typeof schema.items === 'object') walk(schema.items as S, `${where}[]`, visit);
}

describe('lab JSON Schema', () => {
  it('is draft-07 and compiles with a plain ajv v8 (strict mode)', () => {
    const schema = JSON.parse(readFileSync('schema/lab.schema.json', 'utf8')) as S;
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    const ajv = new Ajv({ allErrors: true, strictTypes: false });
    expect(() => ajv.compile(schema)).not.toThrow();
  });

  it('accepts both catalogue labs', () => {
    const ajv = new Ajv({ allErrors: true, strictTypes: false });
    const validate = ajv.compile(labSchema());
    for (const file of CATALOGUE) {
      const ok = validate(parse(readFileSync(file, 'utf8')));
      expect(validate.errors ?? [], file).toEqual([]);
      expect(ok).toBe(true);
    }
  });

  it('rejects a bad lab with readable issues', () => {
    const lab = parse(readFileSync('labs/ospf-ecmp.yaml', 'utf8')) as S;
    const nodes = lab.nodes as Record<string, S>;
    (nodes.lb1!.interfaces as S[])[0]!.adress = '10.0.1.9';
    (lab.services as Record<string, S>).web!.scheduler = 'roundrobin';
    const { issues, rejected } = checkAgainstSchema(lab);
    expect(issues.map((i) => i.message)).toEqual(["unknown key 'adress' (did you mean 'address'?)", "'roundrobin' is not accepted here"]);
    expect(rejected).toEqual([['services', 'web', 'scheduler']]);
  });

  it('describes every field, and forbids unknown keys in every mapping', () => {
    const undocumented: string[] = [];
    const open: string[] = [];
    walk(labSchema(), '$', (s, where) => {
      if (typeof s.description !== 'string' || s.description.length < 8) undocumented.push(where);
      const isObject = s.type === 'object' || (Array.isArray(s.type) && s.type.includes('object'));
      if (isObject && s.additionalProperties === undefined) open.push(where);
    });
    expect(undocumented).toEqual([]);
    expect(open).toEqual([]);
  });

  it('has a readable description for every pattern it uses', () => {
    const patterns = new Set<string>();
    walk(labSchema(), '$', (s) => {
      if (typeof s.pattern === 'string') patterns.add(s.pattern);
    });
    expect(patterns.size).toBeGreaterThan(0);
    for (const p of patterns) expect(PATTERN_TEXT[p], p).toBeDefined();
  });

  it('takes its enums from the model constants', () => {
    const props = labSchema().properties as Record<string, S>;
    const node = (props.nodes!.additionalProperties as S).properties as Record<string, S>;
    const service = (props.services!.additionalProperties as S).properties as Record<string, S>;
    expect(node.role!.enum).toEqual([...ROLES]);
    expect(service.scheduler!.enum).toEqual([...SCHEDULERS]);
    expect(service.forwarding!.enum).toEqual([...FORWARDING_METHODS]);
    expect(props.dataplane!.enum).toEqual([...DATAPLANES]);
  });

  it('address patterns accept what they should and nothing else', () => {
    const ipv4 = new RegExp(Object.keys(PATTERN_TEXT)[0]!);
    for (const good of ['0.0.0.0', '10.0.1.5', '255.255.255.255', '192.168.30.254']) expect(ipv4.test(good), good).toBe(true);
    for (const bad of ['10.0.1', '10.0.1.256', '10.0.01.5', '10.0.1.5/24', ' 10.0.1.5', 'a.b.c.d']) expect(ipv4.test(bad), bad).toBe(false);
  });
});
