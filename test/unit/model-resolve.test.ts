// Defaults and derived values of the resolved model: subnets, addresses, names, OSPF
// roles, loopbacks, gateways and services.
import { describe, expect, it } from 'vitest';
import { loadLabText, loadLabTextWithWarnings } from '../../src/model/load.js';
import { LabValidationError } from '../../src/model/problems.js';
import { interfaceMac } from '../../src/model/resolve.js';
import type { ResolvedLab, ResolvedNode } from '../../src/model/types.js';

const node = (lab: ResolvedLab, name: string): ResolvedNode => {
  const n = lab.nodes.find((x) => x.name === name);
  if (!n) throw new Error(`no node ${name}`);
  return n;
};
const addressesOf = (lab: ResolvedLab): Record<string, string[]> =>
  Object.fromEntries(lab.nodes.map((n) => [n.name, n.interfaces.map((i) => `${i.name}=${i.cidr}`)]));

// Seed 002's shape: routed /30 uplinks, directors with an internal network.
const DEFAULTS_LAB = `
name: defaults
segments:
  front: {}
  back: { subnet: 10.200.1.0/24 }
  third: {}
links:
  up1: {}
  up2: { subnet: 10.201.0.4/30 }
  up3: {}
nodes:
  r1:
    role: router
    interfaces:
      - { segment: front }
      - { link: up1, ospf: { hello: 2, network: point-to-point } }
      - { link: up2 }
      - { link: up3 }
  lb1:
    role: director
    interfaces:
      - { link: up1 }
      - { segment: back, ospf: false }
  lb2:
    role: director
    interfaces:
      - { link: up2, name: uplink }
      - { segment: back }
  lb3:
    role: director
    interfaces:
      - { link: up3 }
      - { segment: back, ospf: false }
  rs1:
    role: realserver
    interfaces: [ { segment: back, address: 10.200.1.1 } ]
  rs2:
    role: realserver
    interfaces: [ { segment: back } ]
  c1:
    role: client
    interfaces: [ { segment: front, address: 10.200.0.1 } ]
  c2:
    role: client
    interfaces: [ { segment: third } ]
services:
  web:
    vip: 10.200.1.2
    port: 80
    real_servers: [ { node: rs1 }, { node: rs2 } ]
`;

describe('defaults of a sparse lab', () => {
  const { lab, warnings } = loadLabTextWithWarnings(DEFAULTS_LAB, 'defaults.yaml');

  it('assigns /24 segments and /30 links from the pools, skipping given subnets', () => {
    expect(lab.segments.map((s) => [s.name, s.subnet])).toEqual([
      ['front', '10.200.0.0/24'],
      ['back', '10.200.1.0/24'],
      ['third', '10.200.2.0/24'],
    ]);
    expect(lab.links.map((l) => [l.name, l.subnet])).toEqual([
      ['up1', '10.201.0.0/30'],
      ['up2', '10.201.0.4/30'],
      ['up3', '10.201.0.8/30'],
    ]);
  });

  it('gives the next free host in node order, skipping given addresses and VIPs, and names interfaces', () => {
    expect(addressesOf(lab)).toEqual({
      r1: ['eth0=10.200.0.2/24', 'eth1=10.201.0.1/30', 'eth2=10.201.0.5/30', 'eth3=10.201.0.9/30'],
      lb1: ['eth0=10.201.0.2/30', 'eth1=10.200.1.3/24'],
      lb2: ['uplink=10.201.0.6/30', 'eth1=10.200.1.4/24'],
      lb3: ['eth0=10.201.0.10/30', 'eth1=10.200.1.5/24'],
      rs1: ['eth0=10.200.1.1/24'],
      rs2: ['eth0=10.200.1.6/24'],
      c1: ['eth0=10.200.0.1/24'],
      c2: ['eth0=10.200.2.1/24'],
    });
  });

  it('records link ends and peers, and segment members in declaration order', () => {
    expect(lab.links[1]!.ends).toEqual([{ node: 'r1', iface: 'eth2' }, { node: 'lb2', iface: 'uplink' }]);
    expect(node(lab, 'lb2').interfaces[0]!.attachment).toEqual({ kind: 'link', link: 'up2', peer: { node: 'r1', iface: 'eth2' } });
    expect(lab.segments[1]!.members.map((m) => `${m.node}:${m.iface}`)).toEqual(['lb1:eth1', 'lb2:eth1', 'lb3:eth1', 'rs1:eth0', 'rs2:eth0']);
  });

  it('applies OSPF defaults, per-interface overrides and passive interfaces', () => {
    expect(lab.ospf).toMatchObject({ area: '0.0.0.0', hello: 10, dead: 40, maxPaths: 8 });
    const r1 = node(lab, 'r1');
    expect(r1.interfaces.map((i) => i.ospf)).toEqual([
      { retransmit: 5, cost: 10, priority: 1, hello: 10, dead: 40, network: 'broadcast', passive: true },
      { retransmit: 5, cost: 10, priority: 1, hello: 2, dead: 8, network: 'point-to-point', passive: false },
      { retransmit: 5, cost: 10, priority: 1, hello: 10, dead: 40, network: 'broadcast', passive: false },
      { retransmit: 5, cost: 10, priority: 1, hello: 10, dead: 40, network: 'broadcast', passive: false },
    ]);
    expect(r1.ospf).toEqual({
      routerId: '10.200.0.2',
      networks: ['10.200.0.0/24', '10.201.0.0/30', '10.201.0.4/30', '10.201.0.8/30'],
      installRoutes: true,
      defaultOriginate: false,
    });
    // lb1 runs no OSPF on its internal network; lb2 does, alone, so passively.
    expect(node(lab, 'lb1').interfaces[1]!.ospf).toBeUndefined();
    expect(node(lab, 'lb2').interfaces[1]!.ospf?.passive).toBe(true);
    expect(node(lab, 'lb1').ospf?.networks).toEqual(['10.201.0.0/30', '10.200.1.2/32']);
    expect(node(lab, 'lb2').ospf?.networks).toEqual(['10.201.0.4/30', '10.200.1.0/24', '10.200.1.2/32']);
    expect(node(lab, 'rs1').ospf).toBeUndefined();
  });

  it('defaults the service directors to every director, and real server addresses to the shared segment', () => {
    const web = lab.services[0]!;
    expect(web.directors).toEqual(['lb1', 'lb2', 'lb3']);
    expect(web.realServers).toEqual([
      { node: 'rs1', address: '10.200.1.1', port: 80, weight: 1, directors: ['lb1', 'lb2', 'lb3'] },
      { node: 'rs2', address: '10.200.1.6', port: 80, weight: 1, directors: ['lb1', 'lb2', 'lb3'] },
    ]);
    expect(web.healthCheck).toEqual({ type: 'tcp', path: '/', status: 200, delayLoop: 5, connectTimeout: 2, retry: 1, delayBeforeRetry: 1 });
    expect(web).toMatchObject({ protocol: 'tcp', scheduler: 'rr', forwarding: 'dr', announce: 'ospf', persistenceTimeout: 0, inhibitOnFailure: false });
    expect(web.vrrp).toBeUndefined();
    expect(web.sorryServer).toBeUndefined();
  });

  it('warns about the client that reaches neither a router nor a director', () => {
    expect(warnings.map((w) => `${w.line}:${w.column} ${w.field}`)).toEqual(['43:3 nodes.c2']);
    expect(warnings[0]!.message).toMatch(/c2 shares no segment with a router or a director of service web/);
    // No router on the real servers' segment: gateway auto finds nothing.
    expect(node(lab, 'rs1').routes).toEqual([]);
    expect(node(lab, 'c1').routes).toEqual([{ to: 'default', via: '10.200.0.2' }]);
  });

  it('derives MACs from instance, node and interface', () => {
    expect(node(lab, 'lb2').interfaces[0]!.mac).toBe(interfaceMac('defaults', 'lb2', 'uplink'));
    expect(interfaceMac('a', 'b', 'c')).not.toBe(interfaceMac('a', 'b', 'd'));
  });
});

const MIXED_LAB = `
name: mixed
ospf: { area: 1, hello: 1 }
segments:
  front: { subnet: 10.0.0.0/24 }
  back: { subnet: 10.0.1.0/24 }
  far: { subnet: 10.0.2.0/24 }
nodes:
  r1:
    role: router
    ecmp_hash: l3
    ospf: { router_id: 1.1.1.1, install_routes: false, default_originate: true }
    interfaces:
      - { segment: front, address: 10.0.0.1 }
      - { segment: far, address: 10.0.2.1 }
  lb1:
    role: director
    interfaces:
      - { segment: front, address: 10.0.0.11 }
      - { segment: back, address: 10.0.1.11 }
  lb2:
    role: director
    interfaces:
      - { segment: front, address: 10.0.0.12 }
      - { segment: back, address: 10.0.1.12 }
  rs1:
    role: realserver
    interfaces: [ { segment: back, address: 10.0.1.21 } ]
  rs2:
    role: realserver
    interfaces: [ { segment: far, address: 10.0.2.22 } ]
  any1:
    role: client
    gateway: none
    loopbacks: [ 192.168.0.23 ]
    ospf: { announce: [ 192.168.0.23/32 ] }
    interfaces: [ { segment: front, address: 10.0.0.31 } ]
  c1:
    role: client
    gateway: 10.0.0.1
    routes: [ { to: 172.16.0.0/12, via: 10.0.0.1 } ]
    interfaces: [ { segment: front, address: 10.0.0.41 } ]
services:
  natsvc:
    vip: 10.9.0.1
    port: 80
    forwarding: nat
    directors: [ lb2, lb1 ]
    real_servers: [ { node: rs1, port: 8080 } ]
  tunsvc:
    vip: 10.9.0.2
    port: 443
    forwarding: tun
    sorry_server: { address: 10.0.1.99 }
    real_servers: [ { node: rs1 }, { node: rs2, weight: 3 } ]
  ha:
    vip: 10.0.0.100
    port: 80
    announce: vrrp
    vrrp: { virtual_router_id: 51, priorities: { lb2: 200 } }
    health_check: { type: http, path: /health }
    real_servers: [ { node: rs1 } ]
`;

describe('nat, tun, vrrp and an anycast speaker', () => {
  const { lab, warnings } = loadLabTextWithWarnings(MIXED_LAB, 'mixed.yaml');

  it('loads without warnings and converts an integer area', () => {
    expect(warnings).toEqual([]);
    expect(lab.ospf).toMatchObject({ area: '0.0.0.1', hello: 1, dead: 4 });
  });

  it('puts VIPs on lo: directors for OSPF services, dr/tun real servers, never for nat real servers or VRRP directors', () => {
    expect(node(lab, 'lb1').loopbacks).toEqual(['10.9.0.1/32', '10.9.0.2/32']);
    expect(node(lab, 'rs1').loopbacks).toEqual(['10.9.0.2/32', '10.0.0.100/32']);
    expect(node(lab, 'rs2').loopbacks).toEqual(['10.9.0.2/32']);
    expect(node(lab, 'any1').loopbacks).toEqual(['192.168.0.23/32']);
    expect(node(lab, 'lb1').directs).toEqual(['natsvc', 'tunsvc', 'ha']);
    expect(node(lab, 'rs1').serves).toEqual(['natsvc', 'tunsvc', 'ha']);
  });

  it('routes a nat real server through its first director, others through the router', () => {
    expect(node(lab, 'rs1').routes).toEqual([{ to: 'default', via: '10.0.1.12' }]);
    expect(node(lab, 'rs2').routes).toEqual([{ to: 'default', via: '10.0.2.1' }]);
    expect(node(lab, 'any1').routes).toEqual([]);
    expect(node(lab, 'c1').routes).toEqual([
      { to: 'default', via: '10.0.0.1' },
      { to: '172.16.0.0/12', via: '10.0.0.1' },
    ]);
    expect(node(lab, 'lb1').routes).toEqual([]);
  });

  it('resolves OSPF roles: overrides on the router, announced /32s on directors, an explicit speaker', () => {
    const r1 = node(lab, 'r1');
    expect(r1.ospf).toEqual({ routerId: '1.1.1.1', networks: ['10.0.0.0/24', '10.0.2.0/24'], installRoutes: false, defaultOriginate: true });
    expect(r1.ecmpHash).toBe('l3');
    expect(r1.interfaces.map((i) => i.ospf?.passive)).toEqual([false, true]);
    expect(node(lab, 'lb1').ospf?.networks).toEqual(['10.0.0.0/24', '10.0.1.0/24', '10.9.0.1/32', '10.9.0.2/32']);
    expect(node(lab, 'any1').ospf).toEqual({ routerId: '10.0.0.31', networks: ['10.0.0.0/24', '192.168.0.23/32'], installRoutes: false, defaultOriginate: false });
    expect(node(lab, 'c1').ospf).toBeUndefined();
    expect(node(lab, 'any1').ecmpHash).toBeUndefined();
  });

  it('resolves the services', () => {
    const [nat, tun, ha] = lab.services;
    expect(nat!.directors).toEqual(['lb2', 'lb1']);
    expect(nat!.realServers).toEqual([{ node: 'rs1', address: '10.0.1.21', port: 8080, weight: 1, directors: ['lb2', 'lb1'] }]);
    expect(tun!.realServers).toEqual([
      { node: 'rs1', address: '10.0.1.21', port: 443, weight: 1, directors: ['lb1', 'lb2'] },
      { node: 'rs2', address: '10.0.2.22', port: 443, weight: 3, directors: ['lb1', 'lb2'] },
    ]);
    expect(tun!.sorryServer).toEqual({ address: '10.0.1.99', port: 443 });
    expect(ha!.vrrp).toEqual({ virtualRouterId: 51, advertInt: 1, priorities: { lb1: 150, lb2: 200 } });
    expect(ha!.healthCheck).toMatchObject({ type: 'http', path: '/health', status: 200 });
  });
});

describe('addressing limits', () => {
  it('reports the interface that finds its subnet full', () => {
    const text = [
      'name: full',
      'links:',
      '  tiny: { subnet: 10.1.0.0/31 }',
      'segments:',
      '  small: { subnet: 10.2.0.0/30 }',
      'nodes:',
      '  a: { role: client, interfaces: [ { segment: small }, { link: tiny } ] }',
      '  b: { role: client, interfaces: [ { segment: small }, { link: tiny } ] }',
      '  c: { role: client, interfaces: [ { segment: small } ] }',
    ].join('\n');
    try {
      loadLabText(text, 'full.yaml');
      throw new Error('should have failed');
    } catch (err) {
      expect(err).toBeInstanceOf(LabValidationError);
      const errors = (err as LabValidationError).problems.filter((p) => p.severity === 'error');
      expect(errors.map((p) => `${p.line}:${p.column} ${p.field}`)).toEqual(['9:36 nodes.c.interfaces[0]']);
      expect(errors[0]!.message).toMatch(/no free address left in segment small subnet 10\.2\.0\.0\/30/);
    }
  });

  it('uses both addresses of a /31 link', () => {
    const lab = loadLabText(
      ['name: p2p', 'links:', '  l: { subnet: 10.1.0.0/31 }', 'nodes:', '  a: { role: router, interfaces: [ { link: l } ] }', '  b: { role: router, interfaces: [ { link: l } ] }'].join('\n'),
      'p2p.yaml',
    );
    expect(addressesOf(lab)).toEqual({ a: ['eth0=10.1.0.0/31'], b: ['eth0=10.1.0.1/31'] });
  });
});
