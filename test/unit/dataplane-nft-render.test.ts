// The fallback renderer: content asserts on the catalogue labs, and every variant checked
// by the kernel itself (`nft -c -f`, then applied for real) in a scratch namespace.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/util/exec.js';
import { SCHEDULERS, type ResolvedNode, type ResolvedService } from '../../src/model/types.js';
import { applyNft, applyNftDataplane, batchFailures, type Exec } from '../../src/dataplane/apply.js';
import { parseNftCounters, readNftCounters, realServerCounterName } from '../../src/dataplane/counters.js';
import { poolOf, renderNftDataplane, renderServicePool } from '../../src/dataplane/nft-render.js';
import { MARK_BASE, planDirector, SORRY_SERVER } from '../../src/dataplane/plan.js';
import { fallbackProblems } from '../../src/dataplane/support.js';
import { loadLabFile } from '../../src/model/load.js';
import { lvsDrResolved } from '../fixtures/lvs-dr.resolved.js';
import { ospfEcmpResolved } from '../fixtures/ospf-ecmp.resolved.js';

const NS = `lvtd-u${process.pid}`;
const inNs: Exec = (argv, opts) => run(['ip', 'netns', 'exec', NS, ...argv], opts);

function node(lab: { nodes: ResolvedNode[] }, name: string): ResolvedNode {
  const n = lab.nodes.find((x) => x.name === name);
  if (!n) throw new Error(`no node ${name}`);
  return n;
}

/** A one-segment director with two real servers, the shape of seed 001, varied per test. */
function smallLab(overrides: Partial<ResolvedService> = {}): { lab: { services: ResolvedService[] }; director: ResolvedNode } {
  const director: ResolvedNode = {
    name: 'lb1',
    role: 'director',
    description: '',
    interfaces: [
      {
        name: 'eth0',
        mac: '02:00:00:00:00:01',
        address: '10.0.1.133',
        cidr: '10.0.1.133/24',
        prefixLength: 24,
        subnet: '10.0.1.0/24',
        attachment: { kind: 'segment', segment: 'lan' },
      },
    ],
    loopbacks: ['10.0.1.100/32'],
    routes: [],
    proxyArp: false,
    directs: ['web'],
    serves: [],
  };
  const service: ResolvedService = {
    name: 'web',
    vip: '10.0.1.100',
    port: 80,
    protocol: 'tcp',
    scheduler: 'rr',
    forwarding: 'dr',
    directors: ['lb1'],
    announce: 'none',
    realServers: [
      { node: 'rs1', address: '10.0.1.129', port: 80, weight: 1, directors: ['lb1'] },
      { node: 'rs2', address: '10.0.1.131', port: 80, weight: 3, directors: ['lb1'] },
    ],
    persistenceTimeout: 0,
    healthCheck: { type: 'http', path: '/', status: 200, delayLoop: 1, connectTimeout: 1, retry: 1, delayBeforeRetry: 1 },
    inhibitOnFailure: false,
    ...overrides,
  };
  return { lab: { services: [service] }, director };
}

describe('renderNftDataplane on the catalogue labs', () => {
  it('lvs-dr: wrr 1,1,2,2 in IPVS order, DR by policy routing', () => {
    const dp = renderNftDataplane(lvsDrResolved, node(lvsDrResolved, 'director'));
    const m = (i: number) => `0x${(MARK_BASE + i).toString(16)}`;
    expect(dp.nft).toContain(
      `meta mark set numgen inc mod 6 map { 0 : ${m(3)}, 1 : ${m(4)}, 2 : ${m(1)}, 3 : ${m(2)}, 4 : ${m(3)}, 5 : ${m(4)} } goto svc0_commit`,
    );
    expect(dp.nft).toContain('ip daddr 192.168.30.254 tcp dport 80 notrack');
    expect(dp.nft).toContain('meta mark set ip saddr . tcp sport map @flows0 goto svc0_known');
    expect(dp.nft).toContain(`counter ${realServerCounterName('web', 'rs4', 'conns')} { }`);
    expect(dp.nft.startsWith('# lvslab')).toBe(true);
    expect(dp.nft).toMatch(/^table ip lvslab\ndelete table ip lvslab\ntable ip lvslab \{$/m);
    expect(dp.ipBatch.slice(0, 2)).toEqual(['rule add pref 1000 lookup local', 'rule del pref 0 lookup local']);
    expect(dp.ipBatch).toContain(`route replace default via 192.168.30.113 dev eth0 table ${MARK_BASE + 3}`);
    expect(dp.ipBatch).toContain(`rule add pref 102 fwmark ${m(3)} lookup ${MARK_BASE + 3}`);
    expect(dp.sysctls).toContainEqual(['net.ipv4.ip_forward', '1']);
    expect(dp.sysctls).toContainEqual(['net.ipv4.conf.eth0.send_redirects', '0']);
    expect(dp.notes[0]).toMatch(/no IP_VS.*nftables fallback/);
  });

  it('ospf-ecmp: each director renders its own copy; rr ignores the equal weights', () => {
    const lb1 = renderNftDataplane(ospfEcmpResolved, node(ospfEcmpResolved, 'lb1'));
    const lb2 = renderNftDataplane(ospfEcmpResolved, node(ospfEcmpResolved, 'lb2'));
    expect(lb1.nft).toContain('numgen inc mod 2 map');
    expect(lb1.nft.replace(/director lb1/, 'director lb2')).toBe(lb2.nft);
  });

  it('is deterministic', () => {
    const a = renderNftDataplane(lvsDrResolved, node(lvsDrResolved, 'director'));
    const b = renderNftDataplane(structuredClone(lvsDrResolved), node(lvsDrResolved, 'director'));
    expect(a).toEqual(b);
  });

  it('keepalived-vrrp: a VRRP VIP is forwarded only by the director that holds it (fib daddr type local)', () => {
    const { lab, director } = smallLab({ announce: 'vrrp' });
    const vrrp = renderNftDataplane(lab, director).nft;
    // Both the notrack rule and the dispatch ask the local table; nothing else matches the VIP.
    const matching = vrrp.split('\n').filter((l) => l.includes('ip daddr 10.0.1.100'));
    expect(matching).toHaveLength(2);
    for (const line of matching) expect(line).toContain('ip daddr 10.0.1.100 tcp dport 80 fib daddr type local ');
    // An OSPF- or ARP-announced VIP sits on lo for good: no such guard.
    expect(renderNftDataplane(smallLab({ announce: 'ospf' }).lab, director).nft).not.toContain('fib daddr');
  });

  it('renders nothing for a node that directs no service', () => {
    const dp = renderNftDataplane(lvsDrResolved, node(lvsDrResolved, 'rs1'));
    expect(dp.ipBatch).toEqual([]);
    expect(dp.sysctls).toEqual([]);
  });
});

describe('pools', () => {
  it('removes a failed server, or keeps it at weight 0 with inhibit_on_failure', () => {
    const { lab, director } = smallLab();
    const svc = planDirector(lab, director).services[0]!;
    expect(poolOf(svc, ['rs2']).entries.map((e) => [e.dest.realServer, e.weight])).toEqual([['rs2', 3]]);
    const inhibited = planDirector(smallLab({ inhibitOnFailure: true }).lab, director).services[0]!;
    expect(poolOf(inhibited, ['rs2']).entries.map((e) => [e.dest.realServer, e.weight])).toEqual([
      ['rs1', 0],
      ['rs2', 3],
    ]);
  });

  it('brings in the sorry server when no live weight is left', () => {
    const { lab, director } = smallLab({ sorryServer: { address: '10.0.1.200', port: 80 } });
    const plan = planDirector(lab, director);
    const svc = plan.services[0]!;
    expect(poolOf(svc, ['rs1']).sorryActive).toBe(false);
    const none = poolOf(svc, []);
    expect(none.sorryActive).toBe(true);
    expect(none.entries.map((e) => e.dest.realServer)).toEqual([SORRY_SERVER]);
    expect(renderServicePool(plan, 'web', [])).toContain(`meta mark set 0x${(MARK_BASE + 3).toString(16)} goto svc0_commit`);
  });

  it('re-renders only the scheduling chain', () => {
    const { lab, director } = smallLab({ scheduler: 'wrr' });
    const text = renderServicePool(planDirector(lab, director), 'web', ['rs2']);
    expect(text.split('\n')[0]).toBe('flush chain ip lvslab svc0_new');
    expect(text).not.toMatch(/map flows|counter rs\//);
    expect(text).toContain(`meta mark set 0x${(MARK_BASE + 2).toString(16)} goto svc0_commit`);
    const empty = renderServicePool(planDirector(lab, director), 'web', []);
    expect(empty).not.toContain('goto svc0_commit');
    expect(empty).toContain('meta mark set 0 counter name svc/web/refused');
  });

  it('persistence keeps a client on a server that is still in the table', () => {
    const { lab, director } = smallLab({ persistenceTimeout: 300, inhibitOnFailure: true });
    const plan = planDirector(lab, director);
    const text = renderServicePool(plan, 'web', ['rs2']);
    // rs1 failed but is inhibited (weight 0): IPVS still honours its persistence templates.
    expect(text).toContain(
      `meta mark set ip saddr map @persist0 meta mark { 0x${(MARK_BASE + 1).toString(16)}, 0x${(MARK_BASE + 2).toString(16)} } goto svc0_commit`,
    );
    expect(renderNftDataplane(lab, director).nft).toContain('update @persist0 { ip saddr timeout 300s : meta mark }');
  });
});

describe('forwarding methods', () => {
  it('NAT: conntrack mark and DNAT to the real server port, no policy routing', () => {
    const { lab, director } = smallLab({
      forwarding: 'nat',
      realServers: [
        { node: 'rs1', address: '10.0.1.129', port: 8080, weight: 1, directors: ['lb1'] },
        { node: 'rs2', address: '10.0.1.131', port: 8080, weight: 1, directors: ['lb1'] },
      ],
    });
    const dp = renderNftDataplane(lab, director);
    expect(dp.nft).toContain(
      `meta l4proto tcp dnat ip to ct mark map { 0x${(MARK_BASE + 1).toString(16)} : 10.0.1.129 . 8080, 0x${(MARK_BASE + 2).toString(16)} : 10.0.1.131 . 8080 }`,
    );
    expect(dp.nft).toContain('ct mark set meta mark');
    expect(dp.nft).not.toContain('notrack');
    expect(dp.ipBatch).toEqual([]);
  });

  it('TUN: refused without ipip, ipip devices per real server with it', () => {
    const { lab, director } = smallLab({ forwarding: 'tun' });
    expect(() => renderNftDataplane(lab, director)).toThrow(/TUN forwarding.*ipip/);
    const dp = renderNftDataplane(lab, director, undefined, { tunnels: true });
    expect(dp.ipBatch).toContain('link add lvtun1 type ipip local 10.0.1.133 remote 10.0.1.129');
    expect(dp.ipBatch).toContain(`route replace default dev lvtun1 table ${MARK_BASE + 1}`);
    const full = { ...lab, nodes: [director] };
    expect(fallbackProblems(full, { ipip: false })).toHaveLength(1);
    expect(fallbackProblems(full, { ipip: true })).toEqual([]);
  });

  it('DR refuses a real server off the director\'s segments', () => {
    const { lab, director } = smallLab({ realServers: [{ node: 'rs1', address: '10.9.9.9', port: 80, weight: 1, directors: ['lb1'] }] });
    expect(() => renderNftDataplane(lab, director)).toThrow(/shares no segment/);
    expect(fallbackProblems({ ...lab, nodes: [director] }, { ipip: true })[0]).toMatch(/shares no segment/);
  });
});

describe('counters', () => {
  it('parses nft -j output into per-service and per-real-server rows', () => {
    const json = JSON.stringify({
      nftables: [
        { metainfo: { version: '1.0.6' } },
        { counter: { family: 'ip', name: 'rs/web/rs1/conns', table: 'lvslab', handle: 1, packets: 7, bytes: 420 } },
        { counter: { family: 'ip', name: 'rs/web/rs1/pkts', table: 'lvslab', handle: 2, packets: 42, bytes: 3000 } },
        { counter: { family: 'ip', name: 'rs/web/_sorry/conns', table: 'lvslab', handle: 3, packets: 1, bytes: 60 } },
        { counter: { family: 'ip', name: 'svc/web/conns', table: 'lvslab', handle: 4, packets: 9, bytes: 540 } },
        { counter: { family: 'ip', name: 'svc/web/refused', table: 'lvslab', handle: 5, packets: 1, bytes: 60 } },
        { counter: { family: 'ip', name: 'other', table: 'filter', handle: 6, packets: 1, bytes: 1 } },
      ],
    });
    expect(parseNftCounters(json)).toEqual([
      { service: 'web', realServer: 'rs1', connections: 7, packets: 42, bytes: 3000 },
      { service: 'web', realServer: SORRY_SERVER, connections: 1, packets: 0, bytes: 0 },
      { service: 'web', realServer: null, connections: 9, packets: 0, bytes: 0, refused: 1 },
    ]);
  });

  it('round-trips names outside nft identifier characters', () => {
    const name = realServerCounterName('web', 'rs_1.x', 'pkts');
    expect(name).toMatch(/^[a-zA-Z0-9/_-]+$/);
    const json = JSON.stringify({ nftables: [{ counter: { name, table: 'lvslab', packets: 1, bytes: 2 } }] });
    expect(parseNftCounters(json)[0]).toMatchObject({ realServer: 'rs_1.x', packets: 1 });
  });
});

describe('apply helpers', () => {
  it('maps ip -batch errors back to their lines', () => {
    const lines = ['rule add pref 1000 lookup local', 'rule del pref 0 lookup local', 'route replace default via 1.2.3.4 dev eth9 table 5'];
    const stderr =
      'RTNETLINK answers: File exists\nCommand failed -:1\nRTNETLINK answers: No such file or directory\nCommand failed -:2\nCannot find device "eth9"\nCommand failed -:3\n';
    expect(batchFailures(stderr, lines)).toEqual([
      { line: lines[0], message: 'RTNETLINK answers: File exists' },
      { line: lines[1], message: 'RTNETLINK answers: No such file or directory' },
      { line: lines[2], message: 'Cannot find device "eth9"' },
    ]);
  });
});

// ---------------------------------------------------------------------------
// The kernel's opinion: every variant must load, and re-load, in a namespace.
// ---------------------------------------------------------------------------

describe('in a network namespace', () => {
  beforeAll(async () => {
    await run(['ip', 'netns', 'del', NS]);
    for (const argv of [
      ['ip', 'netns', 'add', NS],
      ['ip', '-n', NS, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0peer'],
      ['ip', '-n', NS, 'addr', 'add', '10.0.1.133/24', 'dev', 'eth0'],
      ['ip', '-n', NS, 'link', 'set', 'eth0', 'up'],
      ['ip', '-n', NS, 'link', 'set', 'eth0peer', 'up'],
      ['ip', '-n', NS, 'link', 'set', 'lo', 'up'],
    ]) {
      const r = await run(argv);
      if (r.code !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
    }
  });

  afterAll(async () => {
    await run(['ip', 'netns', 'del', NS]);
  });

  const variants: Array<[string, Partial<ResolvedService>]> = [];
  for (const scheduler of SCHEDULERS) {
    variants.push([`dr ${scheduler}`, { scheduler }]);
    variants.push([`nat ${scheduler}`, { scheduler, forwarding: 'nat' }]);
  }
  variants.push(['dr udp persistent', { protocol: 'udp', persistenceTimeout: 60 }]);
  variants.push(['nat udp', { protocol: 'udp', forwarding: 'nat' }]);
  variants.push(['dr sorry inhibit persistent', { sorryServer: { address: '10.0.1.200', port: 80 }, inhibitOnFailure: true, persistenceTimeout: 30 }]);
  variants.push(['nat sorry', { forwarding: 'nat', sorryServer: { address: '10.0.1.200', port: 8080 } }]);
  variants.push(['dr vrrp (forwarded only while the VIP is local)', { announce: 'vrrp' }]);

  it.each(variants)('%s: nft -c accepts the ruleset and each pool', async (_name, overrides) => {
    const { lab, director } = smallLab(overrides);
    const dp = renderNftDataplane(lab, director);
    const check = await inNs(['nft', '-c', '-f', '-'], { input: dp.nft });
    expect(check.stderr).toBe('');
    expect(check.code).toBe(0);
    await applyNft(dp.nft, inNs);
    const plan = planDirector(lab, director);
    for (const healthy of [['rs1'], [], ['rs1', 'rs2']]) {
      const r = await inNs(['nft', '-f', '-'], { input: renderServicePool(plan, 'web', healthy) });
      expect(r.stderr).toBe('');
    }
  });

  it('ospf-multisite: each director plans only its own cluster, and nft -c accepts both rulesets', async () => {
    const multisite = await loadLabFile('labs/ospf-multisite.yaml');
    for (const [name, servers] of [['lb1', ['192.168.128.11', '192.168.128.12']], ['lb2', ['192.168.129.11', '192.168.129.12']]] as const) {
      const director = node(multisite, name);
      const plan = planDirector(multisite, director);
      expect(plan.services[0]!.realServers.map((d) => d.address)).toEqual(servers);
      const dp = renderNftDataplane(multisite, director);
      const other = name === 'lb1' ? '192.168.129.' : '192.168.128.';
      expect(dp.nft).not.toContain(other);
      const check = await inNs(['nft', '-c', '-f', '-'], { input: dp.nft });
      expect({ name, stderr: check.stderr, code: check.code }).toEqual({ name, stderr: '', code: 0 });
    }
  });

  it('applies a whole DR dataplane twice (idempotent) and reads zero counters back', async () => {
    const { lab, director } = smallLab({ scheduler: 'wrr' });
    const dp = renderNftDataplane(lab, director);
    await applyNftDataplane(dp, inNs);
    await applyNftDataplane(dp, inNs);
    const rules = await inNs(['ip', 'rule', 'show']);
    expect(rules.stdout).toMatch(/^100:\s+from all fwmark 0x4c560001 lookup 1280704513/m);
    expect(rules.stdout).toMatch(/^1000:\s+from all lookup local/m);
    expect(rules.stdout).not.toMatch(/^0:/m);
    const route = await inNs(['ip', 'route', 'show', 'table', String(MARK_BASE + 2)]);
    expect(route.stdout.trim()).toBe('default via 10.0.1.131 dev eth0');
    const forward = await inNs(['sysctl', '-n', 'net.ipv4.ip_forward']);
    expect(forward.stdout.trim()).toBe('1');
    const rows = await readNftCounters((argv) => inNs(argv));
    expect(rows).toContainEqual({ service: 'web', realServer: 'rs2', connections: 0, packets: 0, bytes: 0 });
    expect(rows).toContainEqual({ service: 'web', realServer: null, connections: 0, packets: 0, bytes: 0, refused: 0 });
  });

  it('reports a real policy-routing failure', async () => {
    await expect(
      applyNftDataplane({ nft: '', sysctls: [], notes: [], ipBatch: ['route replace default via 10.0.1.9 dev eth7 table 7'] }, inNs),
    ).rejects.toThrow(/eth7/);
  });
});
