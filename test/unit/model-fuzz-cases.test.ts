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

describe('names the kernel or iproute2 reserve', () => {
  it.each(['lo', 'dev', 'all', 'default', 'type', 'help'])('segment %s is refused where it is named', (name) => {
    const text = ECMP.replace(/\n {2}lan:\n/, `\n  ${name}:\n`).replaceAll('segment: lan', `segment: ${name}`);
    const errors = errorsOf(text);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(new RegExp(`^27:3 segments\\.${name}: segment name '${name}' is (the loopback|reserved by the kernel|an iproute2 keyword)`));
  });

  it.each(['type', 'help', 'all', 'lo'])('interface name %s is refused', (name) => {
    const errors = errorsOf(ECMP.replace('      - { segment: lan, address: 10.0.1.129 }', `      - { segment: lan, address: 10.0.1.129, name: ${name} }`));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^54:52 nodes\.rs1\.interfaces\[0\]\.name: interface name /);
  });

  it('an abbreviation ip reads as a keyword is refused too (ty is type, hel is help)', () => {
    const text = ECMP.replace(/\n {2}lan:\n/, '\n  ty:\n').replaceAll('segment: lan', 'segment: ty');
    expect(errorsOf(text)).toEqual(["27:3 segments.ty: segment name 'ty' abbreviates the iproute2 keyword 'type', which ip would read it as"]);
    // Names that only start like a keyword are fine: ip matches abbreviations, not extensions.
    expect(errorsOf(ECMP.replace(/\n {2}lan:\n/, '\n  types:\n').replaceAll('segment: lan', 'segment: types'))).toEqual([]);
  });

  it('a link may be called up: links are veth pairs, their names reach no kernel object', () => {
    expect(errorsOf(readFileSync('labs/ospf-ecmp-p2p.yaml', 'utf8').replaceAll('up-lb1', 'up'))).toEqual([]);
  });
});

describe('addresses that cannot work', () => {
  it.each([
    ['224.0.0.5', 'a multicast address'],
    ['0.0.0.0', 'the unspecified address'],
    ['255.255.255.255', 'the limited broadcast address'],
    ['127.0.0.1', 'a loopback address'],
    ['169.254.10.1', 'a link-local address'],
  ])('VIP %s is refused on the VIP', (vip, what) => {
    const errors = errorsOf(ECMP.replaceAll('10.0.1.100', vip));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(new RegExp(`^76:10 services\\.web\\.vip: VIP ${vip.replaceAll('.', '\\.')} is ${what}`));
  });

  it('a default route is not a segment subnet', () => {
    const errors = errorsOf(ECMP.replace('subnet: 10.0.1.0/24', 'subnet: 0.0.0.0/0'));
    expect(errors[0]).toBe('28:13 segments.lan.subnet: 0.0.0.0/0: 0.0.0.0/0 is the default route, not a subnet');
  });

  it('a /32 segment subnet gets an error on the subnet itself', () => {
    const errors = errorsOf(ECMP.replace('subnet: 10.0.1.0/24', 'subnet: 10.0.1.136/32'));
    expect(errors[0]).toBe('28:13 segments.lan.subnet: a /32 has room for one address and no neighbour: a segment needs at least two');
  });

  it('two directors with one router id are refused on the second', () => {
    const text = ECMP.replace('        ospf: { priority: 0 }   # directors', '        ospf: { priority: 0 }   # directors').replace(/(lb1:\n {4}role: director\n)/, '$1    ospf: { router_id: 9.9.9.9 }\n').replace(/(lb2:\n {4}role: director\n)/, '$1    ospf: { router_id: 9.9.9.9 }\n');
    expect(errorsOf(text)).toEqual(['48:24 nodes.lb2.ospf.router_id: router id 9.9.9.9 is already the router id of lb1']);
  });

  it('a router with OSPF off: the VIP cannot be announced and the router is told why', () => {
    const text = ECMP.replace('    proxy_arp: true', '    ospf: false\n    proxy_arp: true');
    expect(errorsOf(text)).toEqual([
      '33:11 nodes.router.ospf: router router has OSPF off, but service web is announced over OSPF and no other router runs it',
      '82:15 services.web.announce: no director announces VIP 10.0.1.100 over OSPF: no router in the lab runs OSPF',
    ]);
  });
});

describe('the other addresses and limits', () => {
  it('interface, loopback and sorry-server addresses must be unicast too; subnets may not be special space', () => {
    const text = ECMP.replace('{ segment: lan, address: 10.0.1.129 }', '{ segment: lan, address: 10.0.1.129 }\n    loopbacks: [ 224.1.1.1 ]')
      .replace('    inhibit_on_failure: true', '    inhibit_on_failure: true\n    sorry_server: { address: 0.0.0.0 }');
    expect(errorsOf(text)).toEqual([
      '55:18 nodes.rs1.loopbacks[0]: loopback address 224.1.1.1 is a multicast address (224.0.0.0/4)',
      '85:30 services.web.sorry_server.address: sorry server 0.0.0.0 is the unspecified address 0.0.0.0',
    ]);
    expect(errorsOf(ECMP.replace('subnet: 10.0.1.0/24', 'subnet: 127.0.0.0/24').replaceAll('10.0.1.', '127.0.0.'))[0]).toMatch(/^28:13 segments\.lan\.subnet: 127\.0\.0\.0\/24: it overlaps 127\.0\.0\.0\/8/);
  });

  it('router id 0.0.0.0 is refused', () => {
    expect(errorsOf(ECMP.replace(/(lb1:\n {4}role: director\n)/, '$1    ospf: { router_id: 0.0.0.0 }\n'))).toEqual(['41:24 nodes.lb1.ospf.router_id: router id 0.0.0.0 is not a valid OSPF router id']);
  });

  it('delay_before_retry has a maximum, and services and real servers a count limit', () => {
    expect(errorsOf(ECMP.replace('delay_before_retry: 1', 'delay_before_retry: 3601'))).toEqual(['94:27 services.web.health_check.delay_before_retry: 3601 is too large']);
    const servers = Array.from({ length: 1001 }, () => '      - { node: rs1 }').join('\n');
    const many = ECMP.replace('      - { node: rs1, weight: 10 }\n      - { node: rs2, weight: 10 }', servers);
    expect(errorsOf(many)).toEqual(["84:5 services.web.real_servers: 1,001 items, more than the format's limit of 1,000"]);
  });
});
