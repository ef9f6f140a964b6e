import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { normalisePrefix, parseIpMonitorNeigh, parseIpMonitorRoute } from '../../src/logs/ip-monitor.js';

const captured = (name: string) => readFileSync(new URL(`../fixtures/runs/captured/${name}`, import.meta.url), 'utf8');
const utc = (h: number, m: number, s: number, us: number) => Date.UTC(2026, 10, 21, h, m, s) + us / 1000;

describe('parseIpMonitorRoute', () => {
  it('reads the captured `ip -ts monitor route` events: single path, multipath over continuation lines, deletion', () => {
    const events = parseIpMonitorRoute(captured('router-ip-monitor-route.txt'), { node: 'router', timeZone: 'utc', present: ['10.0.1.100/32'] });
    expect(events.map((e) => [e.kind, e.prefix, e.nextHops])).toEqual([
      ['change', '10.0.1.100/32', ['10.0.1.133']],
      ['change', '10.0.1.100/32', ['10.0.1.133', '10.0.1.135']],
      ['change', '10.0.1.100/32', ['10.0.1.135']],
      ['del', '10.0.1.100/32', []],
      ['add', '10.0.1.100/32', ['10.0.1.135']],
      ['change', '10.0.1.100/32', ['10.0.1.133', '10.0.1.135']],
    ]);
    expect(events[0]!.t).toBeCloseTo(utc(11, 16, 31, 477988), 3);
    expect(events[3]!.t).toBeCloseTo(utc(11, 16, 47, 793202), 3);
    expect(events.every((e) => e.node === 'router')).toBe(true);
    expect(events[1]!.raw.split('\n')).toHaveLength(3);
  });

  it('reads the -d variant of the same events the same way (route type, table, nh_info lines)', () => {
    const plain = parseIpMonitorRoute(captured('router-ip-monitor-route.txt'), { node: 'router', timeZone: 'utc' });
    const detailed = parseIpMonitorRoute(captured('router-ip-monitor-route-details.txt'), { node: 'router', timeZone: 'utc' });
    expect(detailed.map((e) => [e.kind, e.prefix, e.nextHops])).toEqual(plain.map((e) => [e.kind, e.prefix, e.nextHops]));
    expect(detailed).toHaveLength(6);
    // The two monitors ran side by side: each change seen by both within a millisecond.
    detailed.forEach((e, i) => expect(Math.abs(e.t - plain[i]!.t)).toBeLessThan(1));
  });

  it('tells add from change per prefix, and starts from the prefixes given as present', () => {
    const text = [
      '[2026-11-21T10:00:01.000000] 10.0.1.100 via 10.0.1.133 dev eth0 proto ospf metric 20',
      '[2026-11-21T10:00:02.000000] 10.0.1.100 via 10.0.1.135 dev eth0 proto ospf metric 20',
      '[2026-11-21T10:00:03.000000] 10.9.9.0/24 via 10.0.1.135 dev eth0 proto ospf metric 20',
    ].join('\n');
    expect(parseIpMonitorRoute(text, { node: 'r', timeZone: 'utc' }).map((e) => e.kind)).toEqual(['add', 'change', 'add']);
    expect(parseIpMonitorRoute(text, { node: 'r', timeZone: 'utc', present: ['10.9.9.0/24'] }).map((e) => e.kind)).toEqual(['add', 'change', 'change']);
  });

  it('leaves out other tables, non-unicast routes and dead next hops; reads default and dev-only routes', () => {
    const text = [
      '[2026-11-21T10:00:01.000001] local 10.0.1.136 dev eth0 table local proto kernel scope host src 10.0.1.136',
      '[2026-11-21T10:00:01.000002] Deleted broadcast 10.0.1.255 dev eth0 table local proto kernel scope link src 10.0.1.136',
      '[2026-11-21T10:00:01.000003] 10.0.1.100 via 10.0.1.133 dev eth0 table 100 proto static',
      '[2026-11-21T10:00:01.000004] 10.0.1.100 nhid 10 proto ospf metric 20',
      '\tnexthop via 10.0.1.133 dev eth0 weight 1 dead linkdown',
      '\tnexthop via 10.0.1.135 dev eth0 weight 1',
      '[2026-11-21T10:00:01.000005] default via 10.0.0.1 dev eth1 proto static',
      '[2026-11-21T10:00:01.000006] 10.0.1.0/24 dev eth0 proto kernel scope link src 10.0.1.136',
      'Error: some message from ip that is not an event',
      '[2026-11-21T10:00:01.000007] unicast 10.0.2.0/24 via inet 10.0.1.1 dev eth0 table main proto static',
    ].join('\n');
    const events = parseIpMonitorRoute(text, { node: 'r', timeZone: 'utc' });
    expect(events.map((e) => [e.prefix, e.nextHops])).toEqual([
      ['10.0.1.100/32', ['10.0.1.135']],
      ['0.0.0.0/0', ['10.0.0.1']],
      ['10.0.1.0/24', ['dev eth0']],
      ['10.0.2.0/24', ['10.0.1.1']],
    ]);
    // Epoch ms as a double keeps ~0.25 µs at today's dates: microseconds survive.
    expect(events[0]!.t - Date.UTC(2026, 10, 21, 10, 0, 1)).toBeCloseTo(0.004, 3);
  });

  it('reads local time by default', () => {
    const [e] = parseIpMonitorRoute('[2026-11-21T10:00:01.250000] 10.0.1.100 via 10.0.1.133 dev eth0\n', { node: 'r' });
    expect(e!.t).toBe(new Date(2026, 10, 21, 10, 0, 1, 250).getTime());
  });

  it('normalises destinations', () => {
    expect(normalisePrefix('10.0.1.100')).toBe('10.0.1.100/32');
    expect(normalisePrefix('default')).toBe('0.0.0.0/0');
    expect(normalisePrefix('10.0.0.0/8')).toBe('10.0.0.0/8');
    expect(normalisePrefix('fe80::1')).toBe('fe80::1/128');
    expect(normalisePrefix('nonsense')).toBeUndefined();
  });
});

describe('parseIpMonitorNeigh', () => {
  it('reads the captured `ip -ts monitor neigh` of a vrrp-failover run: the VIP at lb1, then lb2, then lb1 again', () => {
    const events = parseIpMonitorNeigh(captured('router-ip-monitor-neigh.txt'), { node: 'router', timeZone: 'utc' });
    const vip = events.filter((e) => e.address === '10.0.1.100');
    expect(vip.map((e) => [e.lladdr, e.state])).toEqual([
      ['02:c5:8d:a1:41:0f', ['REACHABLE']],
      ['02:7f:04:1e:30:c4', ['STALE']],
      ['02:7f:04:1e:30:c4', ['REACHABLE']],
      ['02:c5:8d:a1:41:0f', ['STALE']],
      ['02:c5:8d:a1:41:0f', ['REACHABLE']],
    ]);
    expect(vip[1]!.t).toBe(Date.UTC(2026, 11, 2, 15, 44, 17) + 109.649);
    expect(events.map((e) => e.address)).toEqual(['10.0.1.134', '10.0.1.100', '10.0.1.132', '10.0.1.100', '10.0.1.100', '10.0.1.100', '10.0.1.100']);
    expect(events.every((e) => e.node === 'router' && e.dev === 'eth0' && !e.deleted)).toBe(true);
  });

  it('reads unresolved and deleted entries, and leaves IPv6 and foreign lines out', () => {
    // Captured from two namespaces on a veth pair: a ping to an absent address, `ip neigh del`, an IPv6 ping.
    const text = [
      '[2026-12-02T15:55:06.296002] 10.9.0.2 dev vc0 lladdr 82:72:99:75:17:80 REACHABLE ',
      '[2026-12-02T15:55:09.374535] 10.9.0.77 dev vc0 FAILED ',
      '[2026-12-02T15:55:10.816553] 10.9.0.2 dev vc0 FAILED ',
      '[2026-12-02T15:55:10.816636] Deleted 10.9.0.2 dev vc0 FAILED ',
      '[2026-12-02T15:55:10.823626] fe80::8072:99ff:fe75:1780 dev vc0 lladdr 82:72:99:75:17:80 STALE ',
      'Dump terminated',
    ].join('\n');
    const events = parseIpMonitorNeigh(text, { node: 'r', timeZone: 'utc' });
    expect(events.map((e) => ({ address: e.address, lladdr: e.lladdr, state: e.state, deleted: e.deleted }))).toEqual([
      { address: '10.9.0.2', lladdr: '82:72:99:75:17:80', state: ['REACHABLE'], deleted: false },
      { address: '10.9.0.77', lladdr: undefined, state: ['FAILED'], deleted: false },
      { address: '10.9.0.2', lladdr: undefined, state: ['FAILED'], deleted: false },
      { address: '10.9.0.2', lladdr: undefined, state: ['FAILED'], deleted: true },
    ]);
  });
});
