// ospf.bfd in the lab format: what it resolves to, what a mistake in it is told as (file,
// line, column, field, what is accepted: FRR 8.4's own limits), and the catalogue's BFD lab,
// which must stay ospf-ecmp plus BFD and nothing else.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadLabFile, loadLabText, loadLabTextWithWarnings } from '../../src/model/load.js';
import { formatProblem, LabValidationError, type Problem } from '../../src/model/problems.js';

/** ospf-ecmp's shape, cut down: a router and two directors on one segment, hello 1 / dead 4. */
function lab(bfd: string): string {
  return `name: bfd-model
ospf:
  hello: 1
  dead: 4
${bfd}
segments:
  lan: { subnet: 10.0.1.0/24 }
nodes:
  router:
    role: router
    interfaces: [ { segment: lan, address: 10.0.1.1 } ]
  lb1:
    role: director
    interfaces: [ { segment: lan, address: 10.0.1.2, ospf: { priority: 0 } } ]
  lb2:
    role: director
    interfaces: [ { segment: lan, address: 10.0.1.3, ospf: { priority: 0 } } ]
  rs1:
    role: realserver
    interfaces: [ { segment: lan, address: 10.0.1.4 } ]
services:
  web:
    vip: 10.0.1.100
    port: 80
    real_servers: [ { node: rs1 } ]
`;
}

function problemsOf(text: string): Problem[] {
  try {
    loadLabText(text, 'bfd.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(LabValidationError);
    return (err as LabValidationError).problems;
  }
  throw new Error('the lab loaded without errors');
}

describe('ospf.bfd resolves', () => {
  it('to FRR defaults (300 ms x 3) for an empty mapping, and to the values given', () => {
    expect(loadLabText(lab('  bfd: {}'), 'bfd.yaml').ospf.bfd).toEqual({ intervalMs: 300, multiplier: 3 });
    expect(loadLabText(lab('  bfd: { interval_ms: 100, multiplier: 5 }'), 'bfd.yaml').ospf.bfd).toEqual({ intervalMs: 100, multiplier: 5 });
    expect(loadLabText(lab('  bfd: { multiplier: 4 }'), 'bfd.yaml').ospf.bfd).toEqual({ intervalMs: 300, multiplier: 4 });
  });

  it('to nothing when absent: no BFD', () => {
    expect(loadLabText(lab(''), 'bfd.yaml').ospf.bfd).toBeUndefined();
  });
});

describe('ospf.bfd mistakes', () => {
  it("values outside FRR 8.4's ranges are errors at their line and column, saying what is accepted", () => {
    const problems = problemsOf(lab('  bfd:\n    interval_ms: 5\n    multiplier: 1'));
    expect(problems.map(formatProblem)).toEqual([
      'bfd.yaml:6:18: error: ospf.bfd.interval_ms: 5 is too small (accepted: a whole number from 10 to 60000)',
      'bfd.yaml:7:17: error: ospf.bfd.multiplier: 1 is too small (accepted: a whole number from 2 to 255)',
    ]);
    expect(problemsOf(lab('  bfd: { interval_ms: 60001, multiplier: 256 }')).map((p) => `${p.field}: ${p.message}`)).toEqual([
      'ospf.bfd.interval_ms: 60001 is too large',
      'ospf.bfd.multiplier: 256 is too large',
    ]);
  });

  it('an unknown key, a fraction and a wrong type are errors too', () => {
    const problems = problemsOf(lab('  bfd: { interval: 300, multiplier: 2.5 }'));
    expect(problems.map((p) => `${p.line}:${p.column} ${p.field}: ${p.message}`)).toEqual([
      "5:10 ospf.bfd.interval: unknown key 'interval'",
      '5:37 ospf.bfd.multiplier: wrong type: expected a whole number, got 2.5',
    ]);
    expect(problems[0]!.accepted).toBe('interval_ms, multiplier'); // what to write instead
    const notMapping = problemsOf(lab('  bfd: true'));
    expect(notMapping.map((p) => `${p.field}: ${p.message}`)).toEqual(['ospf.bfd: wrong type: expected a mapping (key: value), got true']);
  });

  it('a detection time no shorter than the dead interval is a warning naming both', () => {
    const { warnings } = loadLabTextWithWarnings(lab('  bfd: { interval_ms: 2000 }'), 'bfd.yaml');
    expect(warnings.map(formatProblem)).toEqual([
      "bfd.yaml:5:23: warning: ospf.bfd.interval_ms: BFD detects a lost neighbour after 2000 ms x 3 = 6000 ms, no sooner than OSPF's dead interval of 4 s (accepted: interval_ms x multiplier below 4000 ms (FRR's default 300 x 3 = 900 ms))",
    ]);
    expect(loadLabTextWithWarnings(lab('  bfd: { interval_ms: 1000, multiplier: 3 }'), 'bfd.yaml').warnings).toEqual([]);
  });

  it('BFD on a lab where nobody speaks OSPF is a warning', () => {
    const text = `name: no-ospf
ospf: { bfd: {} }
segments: { lan: { subnet: 10.0.1.0/24 } }
nodes:
  c1: { role: client, interfaces: [ { segment: lan } ] }
  c2: { role: client, interfaces: [ { segment: lan } ] }
`;
    const { lab: resolved, warnings } = loadLabTextWithWarnings(text, 'no-ospf.yaml');
    expect(warnings.map((w) => `${w.field}: ${w.message}`)).toEqual(['ospf.bfd: no node of the lab runs OSPF, so BFD has no adjacency to watch and is not started']);
    expect(resolved.nodes.every((n) => !n.ospf)).toBe(true);
  });
});

describe('the catalogue lab ospf-ecmp-bfd', () => {
  it('is ospf-ecmp with ospf.bfd at FRR defaults, and nothing else changed', () => {
    const plain = parse(readFileSync('labs/ospf-ecmp.yaml', 'utf8')) as Record<string, unknown> & { ospf: Record<string, unknown> };
    const bfd = parse(readFileSync('labs/ospf-ecmp-bfd.yaml', 'utf8')) as typeof plain;
    expect(bfd.name).toBe('ospf-ecmp-bfd');
    expect(bfd.ospf.bfd).toEqual({ interval_ms: 300, multiplier: 3 });
    const strip = (doc: typeof plain) => ({ ...doc, name: undefined, description: undefined, ospf: { ...doc.ospf, bfd: undefined } });
    expect(strip(bfd)).toEqual(strip(plain));
  });

  it('resolves with BFD at 300 ms x 3 and no warning', async () => {
    const resolved = await loadLabFile('labs/ospf-ecmp-bfd.yaml');
    expect(resolved.ospf.bfd).toEqual({ intervalMs: 300, multiplier: 3 });
  });
});
