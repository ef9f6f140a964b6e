// announce: anycast in the lab format (seed 003): a service without directors whose real
// servers run OSPF and announce its VIP themselves. What it resolves to, what a mistake in
// it is told as (file, line, column, field, what is accepted), and the catalogue's two
// anycast labs, which must differ only in the seed's timers.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadLabFile, loadLabText, loadLabTextWithWarnings } from '../../src/model/load.js';
import { formatProblem, LabValidationError, type Problem } from '../../src/model/problems.js';
import { expectedNextHops, expectedOspfPeers } from '../../src/lab/readiness.js';

/** Seed 003 cut down: a router, two anycast servers on one segment; `service` is appended. */
function lab(service: string, extraNodes = ''): string {
  return `name: anycast-model
ospf: { hello: 1, dead: 4 }
segments:
  servers: { subnet: 192.168.0.0/24 }
nodes:
  router:
    role: router
    interfaces: [ { segment: servers, address: 192.168.0.111 } ]
  web1:
    role: realserver
    interfaces: [ { segment: servers, address: 192.168.0.14 } ]
  web2:
    role: realserver
    interfaces: [ { segment: servers, address: 192.168.0.15 } ]
${extraNodes}services:
  web:
    vip: 192.168.0.23
    port: 80
    announce: anycast
${service}`;
}

const SERVERS = '    real_servers: [ { node: web1 }, { node: web2 } ]\n';

function problemsOf(text: string): Problem[] {
  try {
    loadLabText(text, 'anycast.yaml');
  } catch (err) {
    if (err instanceof LabValidationError) return err.problems;
    throw err;
  }
  return [];
}

describe('announce: anycast', () => {
  it('makes every real server an OSPF speaker that holds the VIP on lo and announces it; no director is needed', () => {
    const resolved = loadLabText(lab(SERVERS), 'anycast.yaml');
    const service = resolved.services[0]!;
    expect(service.directors).toEqual([]);
    for (const name of ['web1', 'web2']) {
      const node = resolved.nodes.find((n) => n.name === name)!;
      expect(node.loopbacks).toEqual(['192.168.0.23/32']);
      expect(node.ospf?.networks).toEqual(['192.168.0.0/24', '192.168.0.23/32']);
      expect(node.ospf?.installRoutes).toBe(false);
    }
    const router = resolved.nodes.find((n) => n.name === 'router')!;
    // Readiness waits for both servers as neighbours and as next hops: nothing named "director".
    expect(expectedOspfPeers(resolved, router).map((n) => n.name)).toEqual(['web1', 'web2']);
    expect(expectedNextHops(resolved, service)).toBe(2);
  });

  it('refuses directors, a real server port other than the service port, and a lab where no server can announce', () => {
    const extra = '  lb1:\n    role: director\n    interfaces: [ { segment: servers, address: 192.168.0.2 } ]\n';
    const problems = problemsOf(lab('    directors: [lb1]\n    real_servers: [ { node: web1, port: 8080 }, { node: web2 } ]\n', extra));
    expect(problems.map(formatProblem)).toEqual([
      "anycast.yaml:23:5: error: services.web.directors: announce: anycast has no directors: its real servers announce the VIP themselves (seed 003), so lb1 would have nothing to do (accepted: no directors key (or an empty list); or announce: ospf to have directors announce it)",
      'anycast.yaml:24:41: error: services.web.real_servers[0].port: port 8080 differs from the service port 80: with announce: anycast the clients connect to the VIP\'s port on the server itself, nothing translates it (accepted: 80, or no port key)',
    ]);
    const offline = problemsOf(lab(SERVERS).replace('    role: router\n', '    role: router\n    ospf: false\n'));
    expect(offline.map((p) => `${p.line}:${p.column} ${p.field}: ${p.message}`)).toEqual([
      '8:11 nodes.router.ospf: router router has OSPF off, but service web is announced over OSPF and no other router runs it',
      '20:15 services.web.announce: no real server announces VIP 192.168.0.23 over OSPF: no router in the lab runs OSPF',
    ]);
  });

  it('warns, naming the key, about director settings that do nothing without a director', () => {
    const { warnings } = loadLabTextWithWarnings(lab(`    scheduler: wrr\n    health_check: { type: tcp }\n    real_servers: [ { node: web1, weight: 2 }, { node: web2 } ]\n`), 'anycast.yaml');
    expect(warnings.map((w) => `${w.line}:${w.column} ${w.field}`)).toEqual(['20:5 services.web.scheduler', '21:5 services.web.health_check', '22:35 services.web.real_servers[0].weight']);
    expect(warnings[0]!.message).toMatch(/ignored with announce: anycast: no director schedules/);
  });

  it('warns about a real server that cannot announce (ospf: false), and still resolves with the other one', () => {
    const text = lab(SERVERS).replace("    interfaces: [ { segment: servers, address: 192.168.0.15 } ]\n", "    ospf: false\n    interfaces: [ { segment: servers, address: 192.168.0.15 } ]\n");
    const { lab: resolved, warnings } = loadLabTextWithWarnings(text, 'anycast.yaml');
    expect(warnings.map((w) => `${w.field}: ${w.message}`)).toEqual([
      'services.web.real_servers[1].node: real server web2 cannot announce VIP 192.168.0.23 (no OSPF next to a router that runs OSPF); only web1 will',
    ]);
    expect(expectedNextHops(resolved, resolved.services[0]!)).toBe(1);
  });
});

describe('the catalogue labs ospf-anycast and ospf-anycast-seed-timers', () => {
  it("differ only in name, description and the seed router's Cisco timers (hello 10 s, dead 40 s)", () => {
    const fast = parse(readFileSync('labs/ospf-anycast.yaml', 'utf8')) as Record<string, unknown> & { ospf: Record<string, unknown> };
    const seed = parse(readFileSync('labs/ospf-anycast-seed-timers.yaml', 'utf8')) as typeof fast;
    expect(seed.name).toBe('ospf-anycast-seed-timers');
    expect([fast.ospf.hello, fast.ospf.dead, seed.ospf.hello, seed.ospf.dead]).toEqual([1, 4, 10, 40]);
    const strip = (doc: typeof fast) => ({ ...doc, name: undefined, description: undefined, ospf: { ...doc.ospf, hello: undefined, dead: undefined } });
    expect(strip(seed)).toEqual(strip(fast));
  });

  it("use the seed's addresses: router 192.168.2.222 and 192.168.0.111 with cost 2, servers .14 and .15, service 192.168.0.23", async () => {
    const resolved = await loadLabFile('labs/ospf-anycast.yaml');
    const router = resolved.nodes.find((n) => n.name === 'router')!;
    expect(router.interfaces.map((i) => [i.cidr, i.ospf?.cost])).toEqual([['192.168.2.222/24', 2], ['192.168.0.111/24', 2]]);
    expect(resolved.nodes.filter((n) => n.role === 'realserver').map((n) => n.interfaces[0]!.address)).toEqual(['192.168.0.14', '192.168.0.15']);
    expect(resolved.services.map((s) => [s.vip, s.announce, s.directors.length])).toEqual([['192.168.0.23', 'anycast', 0]]);
  });
});
