// Announce only what can be served, end to end, with real FRR, nginx and the director
// dataplane (the nftables fallback's health daemon here; keepalived's quorum scripts on
// kernel IPVS, where the same test runs in the VM): `lvslab up ospf-ecmp-guarded` is ready
// with both directors announcing the VIP; a director whose real servers all fail their
// checks withdraws it within one check interval, through the running ospfd (no restart),
// while the clients keep being served by the other; it announces again once one passes; and
// failover-guarded shows no refused request after the restore. Then `down` leaves the host
// as it was.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RunResults } from '../../src/experiment/types.js';
import { loadLabFile } from '../../src/model/load.js';
import type { ResolvedHealthCheck, ResolvedLab } from '../../src/model/types.js';
import { runtimeOfKind } from '../../src/runtime/select.js';
import type { Runtime } from '../../src/runtime/runtime.js';
import { pollUntil } from '../../src/util/poll.js';
import { cliExec, expectedDataplane, hostSnapshot, leftovers, lvslab, rateForThisCpu, REPO, requestLoop, scaledMs, SLOWDOWN, type HostSnapshot } from './support.js';

const VIP = '10.0.1.100';
const LB1 = '10.0.1.133';
const LB2 = '10.0.1.135';
const instance = 'multisite-guard-e2e';
const runsDir = process.env.LVSLAB_E2E_RUNS ?? '/tmp';
/** The nft table this test adds on the real servers to fail lb2's health checks (and nothing else). */
const BLOCK_TABLE = 'lvslab_e2e_block_lb2';

describe('ospf-ecmp-guarded on netns', () => {
  let before: HostSnapshot;
  let lab: ResolvedLab;
  let runtime: Runtime;
  let hc: ResolvedHealthCheck;
  const exec = (node: string, argv: string[]) => lvslab(['exec', '--name', instance, node, '--', ...argv]);
  const vipHops = async (): Promise<string[]> => {
    const r = await exec('router', ['ip', '-j', 'route', 'show', `${VIP}/32`]);
    const routes = JSON.parse(r.stdout || '[]') as Array<{ gateway?: string; nexthops?: Array<{ gateway: string }> }>;
    return routes.flatMap((x) => (x.nexthops ? x.nexthops.map((h) => h.gateway) : x.gateway ? [x.gateway] : [])).sort();
  };
  const ospfdPid = async (node: string) => (await exec(node, ['cat', `${runtime.nodePaths(instance, node).frrVtyDir}/ospfd.pid`])).stdout.trim();
  const announcesVip = async (node: string) => /^ network 10\.0\.1\.100\/32 area/m.test((await exec(node, ['vtysh', '--vty_socket', runtime.nodePaths(instance, node).frrVtyDir, '-c', 'show running-config'])).stdout);
  /**
   * Longest a director takes to find its last real server down, from the moment the checks
   * start failing: the next check is due within delay_loop, then `retry` more attempts
   * delay_before_retry apart, each up to connect_timeout; plus 1 s for the announcement
   * change, the LSA and SPF on a busy machine.
   */
  const withdrawWithinMs = () => (hc.delayLoop + hc.connectTimeout + hc.retry * (hc.delayBeforeRetry + hc.connectTimeout) + 1) * 1000;
  /** Longest until a passing check re-admits a real server: the next check (delay_loop) plus its connect time, plus 1 s. */
  const announceWithinMs = () => (hc.delayLoop + hc.connectTimeout + 1) * 1000;

  beforeAll(async () => {
    await lvslab(['down', instance]); // a previous run killed half-way must not break this one
    before = await hostSnapshot();
    runtime = await runtimeOfKind('netns');
    lab = await loadLabFile(`${REPO}labs/ospf-ecmp-guarded.yaml`, { instance });
    hc = lab.services[0]!.healthCheck;
  }, scaledMs(60_000));

  afterAll(async () => {
    await lvslab(['down', instance]);
  }, scaledMs(60_000));

  test('up is ready with both directors announcing the VIP, each added to its running ospfd by its checks', async () => {
    const r = await lvslab(['up', 'ospf-ecmp-guarded', '--name', instance, '--runtime', 'netns', '--json', '--timeout', '60']);
    expect(r.code, r.stderr).toBe(0);
    const up = JSON.parse(r.stdout) as { phase: string; dataplane: string; vipRoutes: Array<{ nextHops: string[] }> };
    expect(up.phase).toBe('ready');
    expect(up.dataplane).toBe(await expectedDataplane());
    expect(up.vipRoutes.map((v) => [...v.nextHops].sort())).toEqual([[LB1, LB2]]);
    // The file ospfd started from has no VIP network; the running config has it (added live).
    for (const lb of ['lb1', 'lb2']) {
      const file = (await exec(lb, ['cat', `${runtime.nodePaths(instance, lb).conf}/frr.conf`])).stdout;
      expect(file, lb).not.toMatch(/^ network 10\.0\.1\.100\/32 area/m);
      expect(await announcesVip(lb), lb).toBe(true);
    }
  }, scaledMs(90_000));

  test("a director whose real servers all fail its checks withdraws the VIP within one check interval, live, and the other serves on", async () => {
    const pid = await ospfdPid('lb2');
    expect(pid).toMatch(/^\d+$/);
    // Only lb2's checks fail: the real servers refuse connections from lb2's own address,
    // which only its health checks use (client traffic arrives with the clients' addresses).
    for (const rs of ['rs1', 'rs2']) {
      const r = await exec(rs, ['nft', `add table ip ${BLOCK_TABLE}; add chain ip ${BLOCK_TABLE} in { type filter hook input priority 0; policy accept; }; add rule ip ${BLOCK_TABLE} in ip saddr ${LB2} tcp dport 80 reject with tcp reset`]);
      expect(r.code, r.stderr).toBe(0);
    }
    const t0 = Date.now();
    const lost = await pollUntil(async () => { const h = await vipHops(); return { done: h.length === 1, value: h }; }, { timeoutMs: scaledMs(withdrawWithinMs()) });
    expect(lost, 'the router route lost lb2 within one check interval').toMatchObject({ ok: true, value: [LB1] });
    expect(Date.now() - t0).toBeLessThanOrEqual(scaledMs(withdrawWithinMs()) + 1000); // + the last poll's own reads
    expect(await announcesVip('lb2')).toBe(false);
    expect(await announcesVip('lb1')).toBe(true);
    // status says so too, from the same running configs.
    const status = await lvslab(['status', instance, '--json']);
    expect(status.code, status.stderr).toBe(0);
    const [described] = JSON.parse(status.stdout) as Array<{ guardedAnnouncements?: Array<{ director: string; vip: string; announced?: boolean }> }>;
    expect(described?.guardedAnnouncements?.map((g) => [g.director, g.vip, g.announced])).toEqual([
      ['lb1', VIP, true],
      ['lb2', VIP, false],
    ]);
    expect(await ospfdPid('lb2')).toBe(pid); // changed through the vty, not by restarting ospfd
    // The clients lose nothing: lb1 carries every new connection.
    const tally = await requestLoop(instance, 'client1', `http://${VIP}/`, 40, cliExec(instance, 'client1'));
    expect(tally.failures).toBe(0);

    // One real server passing lb2's checks again is enough to announce.
    expect((await exec('rs1', ['nft', 'delete', 'table', 'ip', BLOCK_TABLE])).code).toBe(0);
    const t1 = Date.now();
    const back = await pollUntil(async () => { const h = await vipHops(); return { done: h.length === 2, value: h }; }, { timeoutMs: scaledMs(announceWithinMs()) });
    expect(back, 'the router route got lb2 back once one real server passed').toMatchObject({ ok: true, value: [LB1, LB2] });
    expect(Date.now() - t1).toBeLessThanOrEqual(scaledMs(announceWithinMs()) + 1000);
    expect(await announcesVip('lb2')).toBe(true);
    expect(await ospfdPid('lb2')).toBe(pid);
    expect((await exec('rs2', ['nft', 'delete', 'table', 'ip', BLOCK_TABLE])).code).toBe(0);
  }, scaledMs(120_000));

  test('failover-guarded passes: the restored director announces only once its checks pass, so nothing is refused', async () => {
    const dir = join(runsDir, `lvslab-e2e-${instance}-failover`);
    const r = await lvslab(['run', experimentForThisCpu(), '--name', instance, '--out', dir], { timeoutMs: 240_000 });
    expect(r.code, `${r.stdout.slice(-3000)}\n${r.stderr.slice(-2000)}`).toBe(0);
    const res = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as RunResults;
    expect(res.assertions.filter((a) => !a.passed)).toEqual([]);
    expect(res.figures.failed_refused.value).toBe(0);
    const [, restore] = res.timeline;
    expect(restore).toMatchObject({ action: 'silent-restore', node: 'lb2', ok: true });
    // The route got lb2 back only after lb2 itself announced (its checker's line: the health
    // daemon's "announcing", or keepalived's "Gained quorum" on ipvs).
    const announced = res.logs.find((l) => l.node === 'lb2' && l.t >= restore!.startedAt && /announcing 10\.0\.1\.100\/32|Gained quorum/.test(l.text));
    expect(announced, 'lb2 logged the announcement after the restore').toBeDefined();
    const back = res.routeEvents.find((e) => e.node === 'router' && e.prefix === `${VIP}/32` && e.t >= restore!.startedAt && e.nextHops.includes(LB2));
    expect(back, 'the router route got lb2 back').toBeDefined();
    // keepalived's console log has whole seconds: its line may read up to 1 s early.
    expect(back!.t).toBeGreaterThanOrEqual(announced!.t - (announced!.daemon === 'keepalived' ? 1000 : 0));
  }, scaledMs(300_000));

  test('down removes everything and leaves the host as it was', async () => {
    const r = await lvslab(['down', instance]);
    expect(r.code, r.stderr).toBe(0);
    expect(leftovers(before, await hostSnapshot(), [instance])).toEqual({});
  }, scaledMs(60_000));
});

/**
 * failover-guarded, or under a slowdown (the IPVS VM) a copy at rateForThisCpu without the
 * bounds that the emulated CPU stretches: the outage (its 500 ms timeouts fire on a starved
 * client, README) and the route's return (keepalived's checks run late). What the guard is
 * for stays asserted: no request refused.
 */
function experimentForThisCpu(): string {
  if (SLOWDOWN <= 1) return 'failover-guarded';
  let text = readFileSync(`${REPO}experiments/failover-guarded.yaml`, 'utf8');
  if (!text.includes('rate: 200')) throw new Error("failover-guarded.yaml no longer has 'rate: 200': update experimentForThisCpu");
  text = text.replace('rate: 200', `rate: ${rateForThisCpu(200)}`).replace(/^ {2}- (outage_s|route_restoration_s) <= .*\n/gm, '').replace(/^ {2}- restore_outage_s == 0.*\n/m, '');
  const file = join(runsDir, 'failover-guarded-light.yaml');
  writeFileSync(file, text);
  return file;
}
