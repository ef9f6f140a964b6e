// Seed 004 end to end: one director, DR, wrr over four real servers weighted 1,1,2,2,
// reached through a router with no routing protocol (the director answers ARP for the VIP).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { NetnsRuntime } from '../../src/runtime/netns/netns-runtime.js';
import { loadLabFile } from '../../src/model/load.js';
import { readDirectorConnections } from '../../src/lab/observe.js';
import type { ResolvedLab } from '../../src/model/types.js';
import { counterSettleMs, expectedDataplane, hostSnapshot, leftovers, lvslab, pollCounters, REPO, requestLoop, stableCounters, type HostSnapshot, scaledMs } from './support.js';

const INSTANCE = 'e2e-dr';
const runtime = new NetnsRuntime();
let before: HostSnapshot;
let lab: ResolvedLab;
let dataplane: 'ipvs' | 'nftables';

beforeAll(async () => {
  await lvslab(['down', INSTANCE]);
  before = await hostSnapshot();
  dataplane = await expectedDataplane();
  lab = await loadLabFile(`${REPO}labs/lvs-dr.yaml`, { instance: INSTANCE });
}, scaledMs(60_000));

afterAll(async () => {
  await lvslab(['down', INSTANCE]);
}, scaledMs(60_000));

describe('lvs-dr on netns', () => {
  test('up brings the single-director lab to ready', async () => {
    const r = await lvslab(['up', 'lvs-dr', '--name', INSTANCE, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { phase: string; dataplane: string };
    expect(out).toMatchObject({ phase: 'ready', dataplane });
  }, scaledMs(90_000));

  test('requests from the far side of the router are spread 1:1:2:2 (wrr) and replies bypass the director', async () => {
    const counts0 = await stableCounters(() => readDirectorConnections(runtime, lab, dataplane, 'director'), counterSettleMs(dataplane));
    // 60 consecutive new connections = 10 whole wrr cycles of 1+1+2+2: the split is exact.
    const tally = await requestLoop(INSTANCE, 'client', 'http://192.168.30.254/', 60);
    const counts1 = await pollCounters(
      () => readDirectorConnections(runtime, lab, dataplane, 'director'),
      (now) => now.services.get('web')! - counts0.services.get('web')! >= 60,
    );
    expect(tally.failures).toBe(0);
    expect(tally.hits).toEqual({ rs1: 10, rs2: 10, rs3: 20, rs4: 20 });
    expect(counts1.services.get('web')! - counts0.services.get('web')!).toBe(60);
    // DR: the client's requests crossed the router, the replies came from the VIP on the
    // real servers' lo — the router learned the VIP at the director's MAC only.
    const neigh = await lvslab(['exec', '--name', INSTANCE, 'router', '--', 'ip', '-j', 'neigh', 'show', '192.168.30.254']);
    const entries = JSON.parse(neigh.stdout) as Array<{ lladdr?: string }>;
    const directorMac = lab.nodes.find((n) => n.name === 'director')!.interfaces[0]!.mac;
    expect(entries.map((e) => e.lladdr)).toEqual([directorMac]);
  }, scaledMs(60_000));

  test('real servers hold the VIP on lo and never answer ARP for it', async () => {
    for (const rs of ['rs1', 'rs2', 'rs3', 'rs4']) {
      const addr = await runtime.exec(INSTANCE, rs, ['ip', '-j', 'addr', 'show', 'dev', 'lo']);
      expect(addr.stdout).toContain('192.168.30.254');
      const sysctl = await runtime.exec(INSTANCE, rs, ['sysctl', '-n', 'net.ipv4.conf.all.arp_ignore', 'net.ipv4.conf.all.arp_announce']);
      expect(sysctl.stdout.split('\n').filter(Boolean)).toEqual(['1', '2']);
    }
  }, scaledMs(60_000));

  test('down leaves nothing behind', async () => {
    expect((await lvslab(['down', INSTANCE])).code).toBe(0);
    expect(leftovers(before, await hostSnapshot(), [INSTANCE])).toEqual({});
  }, scaledMs(30_000));
});
