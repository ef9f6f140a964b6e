// Seed 003 end to end, with real FRR on the servers themselves, nginx and kernel networking,
// and no director: `lvslab up ospf-anycast` is ready with the router's route to the service
// address via both servers, both servers answer, `anycast-address-down` (the address taken
// off one server's lo) withdraws the route and loses at most the LSA's way to the router,
// `anycast-service-failure` (nginx killed) keeps the route and fails the dead server's share
// of the flows for the rest of the run, each figure checked against the raw records, and
// `down` leaves the host as it was. On netns, and on --runtime docker where an engine and the
// node image are here.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RequestRecord, RunResults } from '../../src/experiment/types.js';
import type { RuntimeKind } from '../../src/runtime/runtime.js';
import {
  addTallies,
  cliExec,
  dockerSuiteGate,
  hostSnapshot,
  inFlightAt,
  leftovers,
  lvslab,
  rateForThisCpu,
  REPO,
  requestLoop,
  scaledMs,
  SLOWDOWN,
  type HostSnapshot,
} from './support.js';

const SERVICE = '192.168.0.23';
const URL_ = `http://${SERVICE}/`;
const WEB1 = '192.168.0.14';
const WEB2 = '192.168.0.15';
// labs/ospf-anycast.yaml: LSA interval 50 ms, SPF delay 0 / hold 50 ms, retransmit 1 s. A
// withdrawal or re-announcement is one LSA flooded at once; one lost LS Update costs one
// retransmit interval. The bound below is that interval plus the step's own command time.
const RETRANSMIT_S = 1;
const runsDir = process.env.LVSLAB_E2E_RUNS ?? '/tmp';

const gate = await dockerSuiteGate('ospf-anycast on docker');
const RUNTIMES: Array<{ kind: RuntimeKind; instance: string }> = [
  { kind: 'netns', instance: 'anycast-e2e' },
  ...(gate.skip ? [] : [{ kind: 'docker' as const, instance: 'anycast-e2e-dk' }]),
];

function records(dir: string): RequestRecord[] {
  return readFileSync(join(dir, 'requests.ndjson'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as RequestRecord);
}

describe.each(RUNTIMES)('ospf-anycast on $kind', ({ kind, instance }) => {
  let before: HostSnapshot;
  const exec = (node: string, argv: string[]) => lvslab(['exec', '--name', instance, node, '--', ...argv]);
  const run = async (experiment: string, label: string): Promise<{ res: RunResults; dir: string; out: string }> => {
    const dir = join(runsDir, `lvslab-e2e-${instance}-${label}`);
    const r = await lvslab(['run', experimentForThisCpu(experiment), '--name', instance, '--out', dir], { timeoutMs: 240_000 });
    const out = `${r.stdout.slice(-3000)}\n${r.stderr.slice(-2000)}`;
    expect(r.code, out).toBe(0);
    return { res: JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as RunResults, dir, out };
  };

  beforeAll(async () => {
    if (kind === 'docker' && gate.missing) throw new Error(`LVSLAB_DOCKER_TESTS=require but ${gate.missing}`);
    await lvslab(['down', instance]); // a previous run killed half-way must not break this one
    before = await hostSnapshot();
  }, scaledMs(60_000));

  afterAll(async () => {
    await lvslab(['down', instance]);
  }, scaledMs(60_000));

  test('up is ready with the route to the service address via both servers, and no director', async () => {
    const r = await lvslab(['up', 'ospf-anycast', '--name', instance, '--runtime', kind, '--json', '--timeout', '60']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { phase: string; nodes: Array<{ role: string }>; vipRoutes: Array<{ router: string; vip: string; nextHops: string[] }>; checks?: Array<{ name: string; ok: boolean }> };
    expect(out.phase).toBe('ready');
    expect(out.nodes.filter((n) => n.role === 'director')).toEqual([]);
    expect(out.vipRoutes).toEqual([expect.objectContaining({ router: 'router', vip: SERVICE })]);
    expect([...out.vipRoutes[0]!.nextHops].sort()).toEqual([WEB1, WEB2]);
    // The route is OSPF's, learned from the servers' own announcements, and each server holds
    // the address on lo and no route to it from the other (zebra keeps OSPF routes out).
    expect((await exec('router', ['vtysh', '-c', `show ip route ${SERVICE}/32`])).stdout).toMatch(/Known via "ospf"/);
    for (const server of ['web1', 'web2']) {
      expect((await exec(server, ['ip', '-o', '-4', 'addr', 'show', 'dev', 'lo'])).stdout).toContain(`inet ${SERVICE}/32`);
      expect((await exec(server, ['ip', 'route', 'show', 'proto', 'ospf'])).stdout.trim()).toBe('');
    }
  }, scaledMs(90_000));

  test('both servers serve: new connections from both clients are answered by web1 and web2', async () => {
    const tally = addTallies(await requestLoop(instance, 'client1', URL_, 40, cliExec(instance, 'client1')), await requestLoop(instance, 'client2', URL_, 40, cliExec(instance, 'client2')));
    expect(tally.failures).toBe(0);
    expect(Object.keys(tally.hits).sort()).toEqual(['web1', 'web2']);
    // Each new connection is a fresh source port, hashed on its own: 80 fair coin flips
    // leave both sides at least 20 with probability 1 - 2e-6.
    expect(Math.min(tally.hits.web1!, tally.hits.web2!)).toBeGreaterThanOrEqual(20);
  }, scaledMs(60_000));

  test('anycast-address-down passes: the route loses web1 within one retransmit interval, and the service stays reachable', async () => {
    const { res, dir } = await run('anycast-address-down', 'address-down');
    expect(res.lab).toMatchObject({ name: 'ospf-anycast', runtime: kind });
    expect(res.assertions.length).toBeGreaterThan(0);
    expect(res.assertions.filter((a) => !a.passed)).toEqual([]);
    const [down, up] = res.timeline;
    expect(down).toMatchObject({ action: 'address-down', node: 'web1', address: `${SERVICE}/32`, ok: true });
    expect(up).toMatchObject({ action: 'address-up', node: 'web1', address: `${SERVICE}/32`, ok: true });

    // The route events themselves: after the removal the router's route names web2 alone,
    // after the restore both again; route_withdrawal_s is that first event's time.
    const vipEvents = res.routeEvents.filter((e) => e.prefix === `${SERVICE}/32` && e.node === 'router');
    const withdrawn = vipEvents.find((e) => e.t >= down!.startedAt && e.t < up!.startedAt && !e.nextHops.includes(WEB1));
    expect(withdrawn?.nextHops).toEqual([WEB2]);
    expect(res.figures.route_withdrawal_s.value).toBeCloseTo((withdrawn!.t - down!.startedAt) / 1000, 6);
    const downStepS = (down!.doneAt - down!.startedAt) / 1000;
    expect(res.figures.route_withdrawal_s.value!).toBeLessThanOrEqual(RETRANSMIT_S + downStepS);
    const back = vipEvents.find((e) => e.t >= up!.startedAt && e.nextHops.includes(WEB1) && e.nextHops.includes(WEB2));
    expect(back, 'the route gets both next hops back').toBeDefined();
    expect(res.figures.route_restoration_s.value).toBeCloseTo((back!.t - up!.startedAt) / 1000, 6);

    // The raw records: every failed request was in flight at one of the two route changes,
    // and web2 answered meanwhile. At the withdrawal, a flow hashed to web1 was lost until the
    // route left web1 (its SYN times out after 500 ms). At the restore, a connection that
    // opened on web2 while the route had one next hop and was still open when web1 came
    // back: the multipath hash sends its later packets to web1, which answers with a reset.
    const reqs = records(dir);
    expect(reqs).toHaveLength(res.figures.requests_total.value!);
    const failed = reqs.filter((r) => r.outcome !== 'ok').sort((a, b) => a.t - b.t);
    expect(failed).toHaveLength(res.figures.requests_failed.value!);
    const atWithdrawal = failed.filter((r) => inFlightAt(r, down!.startedAt, withdrawn!.t));
    const atRestore = failed.filter((r) => inFlightAt(r, up!.startedAt, back!.t));
    expect(failed.filter((r) => !atWithdrawal.includes(r) && !atRestore.includes(r))).toEqual([]);
    const whileDown = reqs.filter((r) => r.t > withdrawn!.t && r.t < up!.startedAt);
    expect(whileDown.length).toBeGreaterThan(0);
    expect(new Set(whileDown.map((r) => r.server))).toEqual(new Set(['web2']));
    // outage_s is the longest stretch of failures that started in [removal, restore); the
    // restore's stretch (a connection opened just before the address-up step) may fall
    // there too. restore_outage_s is the stretch from the restore step on. Each group lies
    // within one request timeout + one route change, so it is one stretch (RECOVERY_MS).
    const spanS = (rs: RequestRecord[]) => (rs.length === 0 ? 0 : (rs[rs.length - 1]!.t - rs[0]!.t) / 1000);
    const outageWindow = failed.filter((r) => r.t >= down!.startedAt && r.t < up!.startedAt);
    const withdrawalStretch = outageWindow.filter((r) => atWithdrawal.includes(r));
    const restoreStretch = outageWindow.filter((r) => !atWithdrawal.includes(r));
    expect(res.figures.outage_s.value).toBeCloseTo(Math.max(spanS(withdrawalStretch), spanS(restoreStretch)), 3);
    expect(res.figures.restore_outage_s.value).toBeCloseTo(spanS(failed.filter((r) => r.t >= up!.startedAt)), 3);
  }, scaledMs(300_000));

  test('anycast-service-failure passes: the dead server keeps its route and its share of the flows fails to the end', async () => {
    const { res, dir } = await run('anycast-service-failure', 'service-failure');
    expect(res.assertions.length).toBeGreaterThan(0);
    expect(res.assertions.filter((a) => !a.passed)).toEqual([]);
    const [kill, restart] = res.timeline;
    expect(kill).toMatchObject({ action: 'kill', node: 'web1', daemon: 'nginx', ok: true });
    expect(restart).toMatchObject({ action: 'start', node: 'web1', daemon: 'nginx', ok: true });

    // "Route stays", from the router's own table: every snapshot lists both servers, and the
    // route monitor saw no change of the service's route after the kill.
    for (const s of res.snapshots) expect([...(s.routers.router?.vipNextHops[SERVICE] ?? [])].sort(), s.phase).toEqual([WEB1, WEB2]);
    expect(res.routeEvents.filter((e) => e.prefix === `${SERVICE}/32` && e.t >= kill!.startedAt)).toEqual([]);
    // The restart at the end of the traffic serves again (the lab is left as it was).
    expect((await exec('client1', ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '2', `http://${WEB1}/`])).stdout).toBe('200');
    expect(res.figures.hc_removal_s.value).toBeNull(); // nothing checks an anycast server

    // The failing share from the raw records: every request started after the kill's command
    // returned that failed was refused (web1's kernel owns the address, nothing listens),
    // and web2 answered every other one.
    const reqs = records(dir);
    const after = reqs.filter((r) => r.t >= kill!.doneAt && r.t < restart!.startedAt);
    const failed = after.filter((r) => r.outcome !== 'ok');
    expect(res.figures.failed_share_after_failure.value).toBeCloseTo(failed.length / after.length, 9);
    expect(new Set(failed.map((r) => r.outcome))).toEqual(new Set(['refused']));
    expect(new Set(after.filter((r) => r.outcome === 'ok').map((r) => r.server))).toEqual(new Set(['web2']));
    // Before the kill both served, about half each (the same hash: Binomial(n, 1/2)).
    const perPhase = res.hits.perPhase.before.perRealServer;
    const beforeTotal = (perPhase.web1 ?? 0) + (perPhase.web2 ?? 0);
    expect(beforeTotal).toBe(reqs.filter((r) => r.t < kill!.startedAt && r.outcome === 'ok').length);
    expect((perPhase.web1 ?? 0) / beforeTotal).toBeGreaterThan(0.42);
    expect((perPhase.web1 ?? 0) / beforeTotal).toBeLessThan(0.58);
  }, scaledMs(300_000));

  test('down removes everything and leaves the host as it was', async () => {
    const r = await lvslab(['down', instance]);
    expect(r.code, r.stderr).toBe(0);
    expect(leftovers(before, await hostSnapshot(), [instance])).toEqual({});
    const again = await lvslab(['down', instance]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/nothing to remove/);
  }, scaledMs(60_000));
});

/**
 * The experiment as shipped, or under a slowdown (the VM) a copy at rateForThisCpu: its
 * bounds come from the hash and the LSA timers, not from the rate, so they stay.
 */
function experimentForThisCpu(name: string): string {
  if (SLOWDOWN <= 1) return name;
  const text = readFileSync(`${REPO}experiments/${name}.yaml`, 'utf8');
  if (!text.includes('rate: 200')) throw new Error(`${name}.yaml no longer has 'rate: 200': update experimentForThisCpu`);
  const file = join(runsDir, `${name}-light.yaml`);
  writeFileSync(file, text.replace('rate: 200', `rate: ${rateForThisCpu(200)}`));
  return file;
}
