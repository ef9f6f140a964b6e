// IPv4 helpers and naming rules (the runtime reuses both).
import { describe, expect, it } from 'vitest';
import {
  areaToDotted,
  broadcastOf,
  formatIPv4,
  hostCount,
  hostRange,
  networkOf,
  parseCidr,
  parseIPv4,
  subnetContains,
  subnetsOverlap,
} from '../../src/model/addr.js';
import {
  instanceNameProblem,
  interfaceNameProblem,
  isValidInstanceName,
  isValidInterfaceName,
  isValidNodeName,
  isValidSegmentName,
  nodeNameProblem,
} from '../../src/model/names.js';
import { closestMatch, fieldOf, formatProblem } from '../../src/model/problems.js';

describe('addr', () => {
  it('parses and formats dotted quads strictly', () => {
    expect(parseIPv4('10.0.1.133')).toBe(0x0a000185);
    expect(formatIPv4(0x0a000185)).toBe('10.0.1.133');
    expect(formatIPv4(0xffffffff)).toBe('255.255.255.255');
    for (const bad of ['10.0.1', '10.0.1.256', '010.0.0.1', '1.2.3.4.5', '']) expect(parseIPv4(bad), bad).toBeUndefined();
  });

  it('does subnet arithmetic', () => {
    const c = parseCidr('10.0.1.5/24')!;
    expect(formatIPv4(c.network)).toBe('10.0.1.0');
    expect(formatIPv4(broadcastOf(c))).toBe('10.0.1.255');
    expect(networkOf('192.168.30.254/25')).toBe('192.168.30.128/25');
    expect(hostCount(parseCidr('10.0.0.0/30')!)).toBe(2);
    expect(hostCount(parseCidr('10.0.0.0/31')!)).toBe(2);
    expect(hostCount(parseCidr('10.0.0.7/32')!)).toBe(1);
    expect(formatIPv4(hostRange(parseCidr('10.0.0.0/0')!).last)).toBe('255.255.255.254');
    expect(subnetContains(c, parseIPv4('10.0.1.200')!)).toBe(true);
    expect(subnetContains(c, parseIPv4('10.0.2.1')!)).toBe(false);
    expect(subnetsOverlap(parseCidr('10.0.0.0/16')!, parseCidr('10.0.200.0/24')!)).toBe(true);
    expect(subnetsOverlap(parseCidr('10.0.0.0/24')!, parseCidr('10.0.1.0/24')!)).toBe(false);
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
    expect(parseCidr('10.0.0.0')).toBeUndefined();
  });

  it('turns integer OSPF areas into dotted quads', () => {
    expect(areaToDotted(0)).toBe('0.0.0.0');
    expect(areaToDotted(100)).toBe('0.0.0.100');
    expect(areaToDotted(65536)).toBe('0.1.0.0');
    expect(areaToDotted('0.0.0.5')).toBe('0.0.0.5');
  });
});

describe('names', () => {
  it('limits interface names to what the kernel takes', () => {
    expect(isValidInterfaceName('eth0')).toBe(true);
    expect(isValidInterfaceName('a23456789012345')).toBe(true); // 15 characters
    expect(interfaceNameProblem('a234567890123456')).toMatch(/too long \(16 characters, at most 15\)/);
    expect(interfaceNameProblem('lo')).toMatch(/loopback/);
    expect(isValidInterfaceName('0eth')).toBe(false);
    expect(isValidInterfaceName('eth 0')).toBe(false);
  });

  it('checks node, segment and instance names', () => {
    expect(isValidNodeName('client1')).toBe(true);
    expect(isValidNodeName('Client1')).toBe(false);
    expect(nodeNameProblem('a'.repeat(25))).toMatch(/too long/);
    expect(isValidSegmentName('lan')).toBe(true);
    expect(isValidSegmentName('a'.repeat(16))).toBe(false);
    expect(isValidInstanceName('0lab')).toBe(true);
    expect(isValidInstanceName('-lab')).toBe(false);
    expect(instanceNameProblem('')).toBe('the name is empty');
  });
});

describe('problems', () => {
  it('formats a problem on one line', () => {
    expect(
      formatProblem({ file: 'l.yaml', line: 3, column: 7, field: 'a.b', message: 'bad', accepted: 'good', severity: 'error' }),
    ).toBe('l.yaml:3:7: error: a.b: bad (accepted: good)');
    expect(formatProblem({ file: 'l.yaml', line: 1, column: 1, field: '', message: 'YAML: x', severity: 'warning' })).toBe('l.yaml:1:1: warning: YAML: x');
  });

  it('names fields as dotted paths', () => {
    expect(fieldOf(['nodes', 'lb1', 'interfaces', 0, 'address'])).toBe('nodes.lb1.interfaces[0].address');
    expect(fieldOf(['segments', 'a.b'])).toBe('segments["a.b"]');
  });

  it('suggests close misspellings only', () => {
    expect(closestMatch('adress', ['name', 'address'])).toBe('address');
    expect(closestMatch('rrr', ['rr', 'wrr'])).toBe('rr');
    expect(closestMatch('zzzzzz', ['address'])).toBeUndefined();
  });
});
