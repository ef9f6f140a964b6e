// A broken file must always end in a LabValidationError listing problems, never in a crash:
// mutate the catalogue labs value by value (deterministically) and load each variant.
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadLabText } from '../../src/model/load.js';
import { LabValidationError } from '../../src/model/problems.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const REPLACEMENTS: Json[] = [null, true, -1, 70000, 'five', '10.0.1.300', ['x'], { zz: 1 }];

/** Paths of every value in the document. */
function paths(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...prefix, i])));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  return out;
}

function replaced(doc: Json, path: (string | number)[], value: Json): Json {
  if (path.length === 0) return value;
  const copy = structuredClone(doc) as Record<string | number, Json>;
  let cursor = copy;
  for (const seg of path.slice(0, -1)) cursor = cursor[seg] as Record<string | number, Json>;
  cursor[path[path.length - 1]!] = value;
  return copy;
}

describe('robustness against broken files', () => {
  for (const file of ['labs/ospf-ecmp.yaml', 'labs/lvs-dr.yaml']) {
    it(`${file}: every single-value mutation loads or fails with located problems`, () => {
      const doc = parse(readFileSync(file, 'utf8')) as Json;
      let failures = 0;
      for (const path of paths(doc)) {
        for (const value of REPLACEMENTS) {
          const text = stringify(replaced(doc, path, value));
          try {
            loadLabText(text, 'mutant.yaml');
          } catch (err) {
            if (!(err instanceof LabValidationError)) throw new Error(`${path.join('.')} = ${JSON.stringify(value)}: ${String(err)}`);
            expect(err.problems.some((p) => p.severity === 'error')).toBe(true);
            for (const p of err.problems) expect(p.line).toBeGreaterThan(0);
            failures++;
          }
        }
      }
      expect(failures).toBeGreaterThan(100);
    }, 60_000);
  }

  it('reports duplicate keys, empty files and aliases sensibly', () => {
    const problemsOf = (text: string): string[] => {
      try {
        loadLabText(text, 'x.yaml');
        return [];
      } catch (err) {
        return (err as LabValidationError).problems.map((p) => `${p.line}:${p.column} ${p.field} ${p.message}`);
      }
    };
    expect(problemsOf('name: a\nname: b\nnodes: {}\n')[0]).toMatch(/^2:1 {2}YAML: Map keys must be unique/);
    expect(problemsOf('')).toEqual(['1:1  wrong type: expected a mapping (key: value), got nothing']);
    expect(problemsOf('name: x\nservice: {}\nnodes:\n  a: { role: client, interfaces: [ { segment: s } ] }\nsegments: { s: {} }\n')).toEqual([
      "2:1 service unknown key 'service' (did you mean 'services'?)",
    ]);
    const withAlias = [
      'name: alias',
      'segments: { lan: {} }',
      'nodes:',
      '  a: &client { role: client, interfaces: [ { segment: lan } ] }',
      '  b: *client',
    ].join('\n');
    expect(problemsOf(withAlias)).toEqual([]);
  });
});
