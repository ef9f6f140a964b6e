// Real servers with their own directors (clusters, seed 000): what they resolve to, what a
// mistake in them is told as, and the catalogue's ospf-multisite lab, which must keep the
// seed's addresses.
import { describe, expect, it } from 'vitest';
import { clusterOf, isClustered, realServersOf } from '../../src/model/clusters.js';
import { loadLabFile, loadLabText, loadLabTextWithWarnings } from '../../src/model/load.js';
import { formatProblem, LabValidationError, type Problem } from '../../src/model/problems.js';

/** Two sites behind one router, one director and one real server each; `rs` are the real_servers lines. */
function lab(rs: string): string {
  return `name: clusters
ospf: { hello: 1, dead: 4 }
segments:
  sitea: { subnet: 10.0.1.0/24 }
  siteb: { subnet: 10.0.2.0/24 }
nodes:
  router:
    role: router
    interfaces: [ { segment: sitea, address: 10.0.1.1 }, { segment: siteb, address: 10.0.2.1 } ]
  lb1: { role: director, interfaces: [ { segment: sitea, address: 10.0.1.2 } ] }
  lb2: { role: director, interfaces: [ { segment: siteb, address: 10.0.2.2 } ] }
  rs1: { role: realserver, interfaces: [ { segment: sitea, address: 10.0.1.3 } ] }
  rs2: { role: realserver, interfaces: [ { segment: siteb, address: 10.0.2.3 } ] }
services:
  web:
    vip: 192.0.2.10
    port: 80
    directors: [ lb1, lb2 ]
    real_servers:
${rs}
`;
}

function problemsOf(text: string): Problem[] {
  try {
    loadLabText(text, 'clusters.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(LabValidationError);
    return (err as LabValidationError).problems;
  }
  throw new Error('the lab loaded without errors');
}

const GOOD = '      - { node: rs1, directors: [ lb1 ] }\n      - { node: rs2, directors: [ lb2 ] }';

describe('real servers with their own directors', () => {
  it('resolve to the directors named, each director forwarding to its own cluster only', () => {
    const { lab: resolved, warnings } = loadLabTextWithWarnings(lab(GOOD), 'clusters.yaml');
    expect(warnings).toEqual([]);
    const web = resolved.services[0]!;
    expect(web.realServers).toEqual([
      { node: 'rs1', address: '10.0.1.3', port: 80, weight: 1, directors: ['lb1'] },
      { node: 'rs2', address: '10.0.2.3', port: 80, weight: 1, directors: ['lb2'] },
    ]);
    expect(realServersOf(web, 'lb1').map((r) => r.node)).toEqual(['rs1']);
    expect(realServersOf(web, 'lb2').map((r) => r.node)).toEqual(['rs2']);
    expect([clusterOf(web, 'rs1'), clusterOf(web, 'rs2'), clusterOf(web, 'nobody')]).toEqual(['lb1', 'lb2', undefined]);
    expect(isClustered(web)).toBe(true);
  });

  it('default to every director of the service, in the service\'s order: not a cluster then', () => {
    const text = lab('      - { node: rs1 }').replace('directors: [ lb1, lb2 ]', 'directors: [ lb1 ]');
    const web = loadLabText(text, 'clusters.yaml').services[0]!;
    expect(web.realServers[0]!.directors).toEqual(['lb1']);
    const both = loadLabText(lab('      - { node: rs1, directors: [ lb2, lb1 ] }\n      - { node: rs2, directors: [ lb2 ] }').replace(/segment: siteb, address: 10.0.2.2/, 'segment: siteb, address: 10.0.2.2 }, { segment: sitea, address: 10.0.1.4'), 'clusters.yaml').services[0]!;
    expect(both.realServers[0]!.directors).toEqual(['lb1', 'lb2']); // the service's order, not the list's
    expect(clusterOf(both, 'rs1')).toBeUndefined();
    expect(isClustered(both)).toBe(false);
  });

  it('a director that does not direct the service, or one listed twice, is an error at its place', () => {
    const problems = problemsOf(lab('      - { node: rs1, directors: [ lb1, lb1, rs2 ] }\n      - { node: rs2, directors: [ lb2 ] }'));
    expect(problems.map(formatProblem)).toEqual([
      'clusters.yaml:20:40: error: services.web.real_servers[0].directors[1]: director lb1 is listed twice for real server rs1 (accepted: each director once)',
      'clusters.yaml:20:45: error: services.web.real_servers[0].directors[2]: rs2 is not a director of service web (accepted: lb1, lb2)',
    ]);
  });

  it('a director left with no real server is an error: it would announce a VIP it cannot serve', () => {
    const problems = problemsOf(lab('      - { node: rs1, directors: [ lb1 ] }'));
    expect(problems.map((p) => `${p.field}: ${p.message}`)).toContain(
      'services.web.real_servers: director lb2 of service web forwards to none of its real servers (every real server\'s directors list leaves it out)',
    );
  });

  it('direct routing across sites is still refused, for the directors named only', () => {
    const problems = problemsOf(lab('      - { node: rs1, directors: [ lb1, lb2 ] }\n      - { node: rs2, directors: [ lb2 ] }'));
    expect(problems.map((p) => `${p.field}: ${p.message}`)).toEqual([
      'services.web.real_servers[0].node: director lb2 shares no segment with real server rs1, which forwarding dr needs',
    ]);
    // Without the lists every director must reach every real server: both pairs across sites fail.
    expect(problemsOf(lab('      - { node: rs1 }\n      - { node: rs2 }'))).toHaveLength(2);
  });

  it('an empty list or a list of non-names is refused by the schema', () => {
    // Only the schema's own error: no follow-on error about a list it already refused.
    const empty = problemsOf(lab('      - { node: rs1, directors: [] }\n      - { node: rs2, directors: [ lb2 ] }')).map((p) => `${p.field}: ${p.message}`);
    expect(empty).toHaveLength(1);
    expect(empty[0]).toMatch(/^services\.web\.real_servers\[0\]\.directors: /);
    const notList = problemsOf(lab('      - { node: rs1, directors: lb1 }\n      - { node: rs2, directors: [ lb2 ] }')).map((p) => `${p.field}: ${p.message}`);
    expect(notList).toEqual(['services.web.real_servers[0].directors: wrong type: expected a list, got "lb1"']);
  });
});

describe('the catalogue lab ospf-multisite', () => {
  it("has the seed's router addresses, one director per site at .200 and a TEST-NET VIP", async () => {
    const resolved = await loadLabFile('labs/ospf-multisite.yaml');
    const router = resolved.nodes.find((n) => n.name === 'router')!;
    expect(router.interfaces.map((i) => [i.name, i.cidr])).toEqual([
      ['eth0', '192.168.128.90/24'],
      ['eth1', '192.168.129.90/24'],
      ['eth2', '192.168.130.90/24'],
    ]);
    expect(router.interfaces.map((i) => [i.ospf?.hello, i.ospf?.dead])).toEqual([[1, 4], [1, 4], [1, 4]]);
    const web = resolved.services[0]!;
    expect(web.vip).toBe('192.0.2.1');
    expect(web.directors.map((d) => resolved.nodes.find((n) => n.name === d)!.interfaces[0]!.address)).toEqual(['192.168.128.200', '192.168.129.200']);
    expect(realServersOf(web, 'lb1').map((r) => r.address)).toEqual(['192.168.128.11', '192.168.128.12']);
    expect(realServersOf(web, 'lb2').map((r) => r.address)).toEqual(['192.168.129.11', '192.168.129.12']);
    expect(resolved.nodes.filter((n) => n.role === 'client').map((n) => n.interfaces[0]!.subnet)).toEqual(['192.168.130.0/24', '192.168.130.0/24', '192.168.130.0/24']);
  });
});
