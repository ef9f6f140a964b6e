// Seed 001 end to end, with real FRR, nginx and the director dataplane (kernel IPVS +
// keepalived where the kernel has it — the VM suite — else the nftables fallback):
// `lvslab up ospf-ecmp` builds it, the router holds a two-next-hop route, both clients are
// served by both real servers through both directors, a stopped real server is taken out
// by the health checks, and `down` leaves the host exactly as it was.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { NetnsRuntime } from '../../src/runtime/netns/netns-runtime.js';
import { loadLabFile } from '../../src/model/load.js';
import { readDirectorConnections } from '../../src/lab/observe.js';
import { pollUntil } from '../../src/util/poll.js';
import type { ResolvedLab } from '../../src/model/types.js';
import { addTallies, counterSettleMs, expectedDataplane, hostSnapshot, leftovers, lvslab, pollCounters, REPO, requestLoop, stableCounters, type HostSnapshot, scaledMs } from './support.js';

const INSTANCE = 'e2e-ospf';
const VIP_URL = 'http://10.0.1.100/';
const runtime = new NetnsRuntime();

let before: HostSnapshot;
let lab: ResolvedLab;
let dataplane: 'ipvs' | 'nftables';

beforeAll(async () => {
  await lvslab(['down', INSTANCE]); // a previous run killed half-way must not break this one
  before = await hostSnapshot();
  dataplane = await expectedDataplane();
  lab = await loadLabFile(`${REPO}labs/ospf-ecmp.yaml`, { instance: INSTANCE });
}, scaledMs(60_000));

afterAll(async () => {
  await lvslab(['down', INSTANCE]);
}, scaledMs(60_000));

describe('ospf-ecmp on netns', () => {
  test('up builds the lab and reports it ready with the expected dataplane', async () => {
    const r = await lvslab(['up', 'ospf-ecmp', '--name', INSTANCE, '--json', '--timeout', '60']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { phase: string; dataplane: string; readyMs: number; vipRoutes: Array<{ router: string; vip: string; nextHops: string[] }> };
    expect(out.phase).toBe('ready');
    expect(out.dataplane).toBe(dataplane);
    expect(out.readyMs).toBeGreaterThan(0);
    if (dataplane === 'nftables') expect(r.stderr).toMatch(/NOTICE: .*\n.*nftables fallback, not kernel IPVS/);
    expect(out.vipRoutes.map((r) => ({ router: r.router, vip: r.vip, nextHops: [...r.nextHops].sort() }))).toEqual([
      { router: 'router', vip: '10.0.1.100', nextHops: ['10.0.1.133', '10.0.1.135'] },
    ]);
  }, scaledMs(90_000));

  test("the router's kernel route to the VIP has one next hop per director", async () => {
    const r = await lvslab(['exec', '--name', INSTANCE, 'router', '--', 'ip', '-j', 'route', 'show', 'exact', '10.0.1.100/32']);
    expect(r.code).toBe(0);
    const [route] = JSON.parse(r.stdout) as Array<{ protocol: string; nexthops: Array<{ gateway: string }> }>;
    expect(route!.protocol).toBe('ospf');
    expect(route!.nexthops.map((h) => h.gateway).sort()).toEqual(['10.0.1.133', '10.0.1.135']);
    const neigh = await lvslab(['exec', '--name', INSTANCE, 'router', '--', 'vtysh', '-c', 'show ip ospf neighbor']);
    expect(neigh.stdout.match(/Full\/DROther/g)).toHaveLength(2);
  });

  test('directors keep OSPF routes out of their kernels (seed 001 route-map)', async () => {
    for (const lb of ['lb1', 'lb2']) {
      const r = await lvslab(['exec', '--name', INSTANCE, lb, '--', 'ip', '-j', 'route', 'show', 'proto', 'ospf']);
      expect(JSON.parse(r.stdout || '[]')).toEqual([]);
    }
  });

  test('both clients are answered by both real servers, through both directors', async () => {
    const counts0 = await stableCounters(() => Promise.all(['lb1', 'lb2'].map((d) => readDirectorConnections(runtime, lab, dataplane, d))), counterSettleMs(dataplane));
    const [c1, c2] = await Promise.all([requestLoop(INSTANCE, 'client1', VIP_URL, 40), requestLoop(INSTANCE, 'client2', VIP_URL, 40)]);
    const sent = 80;
    const counts1 = await pollCounters(
      () => Promise.all(['lb1', 'lb2'].map((d) => readDirectorConnections(runtime, lab, dataplane, d))),
      (now) => now.reduce((sum, c, i) => sum + c.services.get('web')! - counts0[i]!.services.get('web')!, 0) >= sent,
    );
    for (const c of [c1, c2]) {
      expect(c.failures).toBe(0);
      expect(Object.keys(c.hits).sort()).toEqual(['rs1', 'rs2']);
    }
    // In DR mode replies bypass the directors: only their counters show who forwarded what.
    const perDirector = counts1.map((c, i) => c.services.get('web')! - counts0[i]!.services.get('web')!);
    expect(perDirector.every((n) => n > 0), `connections per director ${perDirector}`).toBe(true);
    expect(perDirector.reduce((a, b) => a + b, 0)).toBe(sent);
    // ...and the real servers' shares seen by the directors equal what the clients saw.
    const total = addTallies(c1, c2);
    for (const rs of ['rs1', 'rs2']) {
      const scheduled = counts1.reduce((sum, c, i) => sum + c.realServers.get('web')!.get(rs)! - counts0[i]!.realServers.get('web')!.get(rs)!, 0);
      expect(scheduled, rs).toBe(total.hits[rs]);
    }
  }, scaledMs(60_000));

  test('a stopped real server is removed by the health checks, traffic goes to the other, and it comes back', async () => {
    const rs1 = runtime.nodePaths(INSTANCE, 'rs1');
    const nginx = ['nginx', '-e', `${rs1.log}/nginx-error.log`, '-c', `${rs1.conf}/nginx.conf`];
    expect((await lvslab(['exec', '--name', INSTANCE, 'rs1', '--', ...nginx, '-s', 'stop'])).code).toBe(0);

    // keepalived semantics: delay_loop 5, connect_timeout 2, retry 1, delay_before_retry 1
    // => removal within about 5 + 1 + 2 s on every director.
    const removed = await pollUntil(
      async () => {
        const r = await lvslab(['status', INSTANCE, '--json']);
        const [d] = JSON.parse(r.stdout) as Array<{ checks: Array<{ name: string; ok: boolean }> }>;
        const health = d!.checks.filter((c) => c.name.startsWith('health '));
        return { done: health.length === 2 && health.every((c) => !c.ok), value: health };
      },
      { timeoutMs: scaledMs(20_000), intervalMs: 250 },
    );
    expect(removed.ok, JSON.stringify(removed.value)).toBe(true);

    const after = addTallies(await requestLoop(INSTANCE, 'client1', VIP_URL, 20), await requestLoop(INSTANCE, 'client2', VIP_URL, 20));
    // Nothing answers from the stopped server. Kernel IPVS keeps it at weight 0
    // (inhibit_on_failure), and a client port reused while its old connection entry lives
    // follows that entry to the dead server, which refuses it: a few refusals are IPVS's
    // behaviour (README, "Things the measurements showed"). The fallback reschedules them.
    expect(after.hits).toEqual({ rs2: 40 - after.failures });
    if (dataplane === 'nftables') expect(after.failures).toBe(0);
    else expect(after.failures).toBeLessThanOrEqual(4);

    expect((await lvslab(['exec', '--name', INSTANCE, 'rs1', '--', ...nginx])).code).toBe(0);
    const back = await pollUntil(
      async () => {
        const r = await lvslab(['status', INSTANCE, '--json']);
        const [d] = JSON.parse(r.stdout) as Array<{ checks: Array<{ name: string; ok: boolean }> }>;
        return { done: d!.checks.every((c) => c.ok), value: d!.checks };
      },
      { timeoutMs: scaledMs(20_000), intervalMs: 250 },
    );
    expect(back.ok, JSON.stringify(back.value)).toBe(true);
    const again = await requestLoop(INSTANCE, 'client1', VIP_URL, 20);
    expect(Object.keys(again.hits).sort()).toEqual(['rs1', 'rs2']);
  }, scaledMs(90_000));

  test('down removes everything and leaves the host as it was', async () => {
    const started = Date.now();
    const r = await lvslab(['down', INSTANCE]);
    expect(r.code, r.stderr).toBe(0);
    // On the host down takes 0.3-1.1 s (bench/up-down.mjs); 10 s is the budget, widened by the VM's slowdown.
    expect(Date.now() - started).toBeLessThan(scaledMs(10_000));
    expect(leftovers(before, await hostSnapshot(), [INSTANCE])).toEqual({});
    // idempotent
    const again = await lvslab(['down', INSTANCE]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/nothing to remove/);
  }, scaledMs(30_000));
});
