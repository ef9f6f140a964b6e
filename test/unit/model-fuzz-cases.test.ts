// Mutated lab files a fuzzer found accepted or misreported: each must now get a located
// error on the mutated field, and only there (no message built on a value that failed its
// own check). One catalogue lab, one mutation per case.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadLabText } from '../../src/model/load.js';
import { LabValidationError } from '../../src/model/problems.js';

const ECMP = readFileSync('labs/ospf-ecmp.yaml', 'utf8');

function errorsOf(text: string): string[] {
  try {
    loadLabText(text, 'x.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(LabValidationError);
    return (err as LabValidationError).problems.filter((p) => p.severity === 'error').map((p) => `${p.line}:${p.column} ${p.field}: ${p.message}`);
  }
  return [];
}

function mutated(from: string | RegExp, to: string): string {
  const text = ECMP.replace(from, to);
  expect(text).not.toBe(ECMP);
  return text;
}

describe('a value that failed its own check is not used again', () => {
  it('hello: -3 gets its own error, no dead-versus-default comparison', () => {
    expect(errorsOf(mutated(/ {2}hello: 1 .*/, '  hello: -3'))).toEqual(['8:10 ospf.hello: -3 is too small']);
  });

  it('a rejected segment subnet is not replaced by the default pool in other messages', () => {
    expect(errorsOf(mutated('subnet: 10.0.1.0/24', 'subnet: 10.0.1.0/33'))).toEqual(["28:13 segments.lan.subnet: '10.0.1.0/33' is not an IPv4 prefix in CIDR form"]);
  });

  it('a dead interval compared with the default hello says it is the default', () => {
    const text = mutated(/ {2}hello: 1 .*\n/, '');
    expect(errorsOf(text)).toEqual(['8:9 ospf.dead: dead interval 4 s is not greater than the default hello interval 10 s']);
  });
});
