// Seed 000 end to end, with real FRR, nginx and the director dataplane: `lvslab up
// ospf-multisite` is ready once the router's route to the VIP has the two sites' directors
// (192.168.128.200, 192.168.129.200) as next hops; both clusters serve, each director only
// its own real servers; multisite-failover (the router's port to cluster 2 goes silent)
// passes, and what it reports per client and per cluster agrees with the raw request
// records; multisite-link-cut (the same port loses carrier) is noticed at once; `down` leaves
// the host as it was. On netns, and on --runtime docker where an engine and the node image
// are there (dockerSuiteGate).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Phase, RequestRecord, RunResults } from '../../src/experiment/types.js';
import { readDirectorConnections } from '../../src/lab/observe.js';
import { loadLabFile } from '../../src/model/load.js';
import type { ResolvedLab } from '../../src/model/types.js';
import type { Runtime, RuntimeKind } from '../../src/runtime/runtime.js';
import { runtimeOfKind } from '../../src/runtime/select.js';
import {
  addTallies,
  cliExec,
  counterSettleMs,
  dockerSuiteGate,
  expectedDataplane,
  hostSnapshot,
  inFlightAt,
  leftovers,
  lvslab,
  pollCounters,
  rateForThisCpu,
  REPO,
  requestLoop,
  scaledMs,
  SLOWDOWN,
  stableCounters,
  type HostSnapshot,
} from './support.js';

const VIP = '192.0.2.1';
const VIP_URL = `http://${VIP}/`;
const SITE1 = '192.168.128.200';
const SITE2 = '192.168.129.200';
const CLUSTERS: Record<string, string[]> = { lb1: ['rs1', 'rs2'], lb2: ['rs3', 'rs4'] };
const runsDir = process.env.LVSLAB_E2E_RUNS ?? '/tmp';

const gate = await dockerSuiteGate('ospf-multisite on docker');
const RUNTIMES: Array<{ kind: RuntimeKind; instance: string }> = [
  { kind: 'netns', instance: 'multisite-e2e' },
  ...(gate.skip ? [] : [{ kind: 'docker' as const, instance: 'multisite-e2e-dk' }]),
];

describe.each(RUNTIMES)('ospf-multisite on $kind', ({ kind, instance }) => {
  let before: HostSnapshot;
  let lab: ResolvedLab;
  let runtime: Runtime;
  let dataplane: 'ipvs' | 'nftables';
  /** The lab's hello and dead interval (s): every OSPF bound below is derived from them. */
  let hello: number;
  let dead: number;
  const exec = (node: string, argv: string[]) => lvslab(['exec', '--name', instance, node, '--', ...argv]);
  const counters = () => Promise.all(['lb1', 'lb2'].map((d) => readDirectorConnections(runtime, lab, dataplane, d)));

  beforeAll(async () => {
    if (kind === 'docker' && gate.missing) throw new Error(`LVSLAB_DOCKER_TESTS=require but ${gate.missing}`);
    await lvslab(['down', instance]); // a previous run killed half-way must not break this one
    before = await hostSnapshot();
    dataplane = await expectedDataplane();
    runtime = await runtimeOfKind(kind);
    lab = await loadLabFile(`${REPO}labs/ospf-multisite.yaml`, { instance });
    const routerEth1 = lab.nodes.find((n) => n.name === 'router')!.interfaces[1]!.ospf!;
    hello = routerEth1.hello;
    dead = routerEth1.dead;
  }, scaledMs(60_000));

  afterAll(async () => {
    await lvslab(['down', instance]);
  }, scaledMs(60_000));

  test("up is ready with the router's VIP route over both sites, as in the seed's show ip route", async () => {
    const r = await lvslab(['up', 'ospf-multisite', '--name', instance, '--runtime', kind, '--json', '--timeout', '60']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { phase: string; dataplane: string; vipRoutes: Array<{ router: string; vip: string; nextHops: string[] }> };
    expect(out.phase).toBe('ready');
    expect(out.dataplane).toBe(dataplane);
    expect(out.vipRoutes.map((v) => [v.router, v.vip, [...v.nextHops].sort()])).toEqual([['router', VIP, [SITE1, SITE2]]]);
    // The kernel's own view: one next hop per site, each out of the router's port to it.
    const route = await exec('router', ['ip', '-o', 'route', 'show', `${VIP}/32`]);
    expect(route.stdout).toMatch(new RegExp(`nexthop via ${SITE1.replaceAll('.', '\\.')} dev eth0 `));
    expect(route.stdout).toMatch(new RegExp(`nexthop via ${SITE2.replaceAll('.', '\\.')} dev eth1 `));
    // ospfd: both directors Full, each on its own interface (the seed's two adjacencies).
    const nbr = await exec('router', ['vtysh', '-c', 'show ip ospf neighbor json']);
    const neighbours = JSON.parse(nbr.stdout) as { neighbors: Record<string, Array<{ nbrState?: string; state?: string; ifaceName?: string }>> };
    const states = Object.entries(neighbours.neighbors).map(([id, [n]]) => [id, (n!.nbrState ?? n!.state ?? '').split('/')[0], (n!.ifaceName ?? '').split(':')[0]]);
    expect(states.sort()).toEqual([
      [SITE1, 'Full', 'eth0'],
      [SITE2, 'Full', 'eth1'],
    ]);
  }, scaledMs(90_000));

  test('both clusters serve every client, and each director forwards to its own real servers only', async () => {
    const c0 = await stableCounters(counters, counterSettleMs(dataplane));
    let tally = await requestLoop(instance, 'client1', VIP_URL, 40, cliExec(instance, 'client1'));
    for (const client of ['client2', 'client3']) tally = addTallies(tally, await requestLoop(instance, client, VIP_URL, 40, cliExec(instance, client)));
    expect(tally.failures).toBe(0);
    // 120 new connections hashed on ports over two next hops: one site alone would be a 2^-119 chance.
    expect(Object.keys(tally.hits).sort()).toEqual(['rs1', 'rs2', 'rs3', 'rs4']);
    const total = (c: Awaited<ReturnType<typeof counters>>) => c[0]!.services.get('web')! + c[1]!.services.get('web')!;
    const c1 = await pollCounters(counters, (now) => total(now) - total(c0) >= 120);
    expect(total(c1) - total(c0)).toBe(120);
    for (const [i, director] of ['lb1', 'lb2'].entries()) {
      // The director's per-real-server counters name its cluster only...
      expect([...c1[i]!.realServers.get('web')!.keys()].sort()).toEqual(CLUSTERS[director]);
      // ...and what it forwarded is what its cluster's servers answered.
      const forwarded = c1[i]!.services.get('web')! - c0[i]!.services.get('web')!;
      expect(forwarded, director).toBe(CLUSTERS[director]!.reduce((s, rs) => s + (tally.hits[rs] ?? 0), 0));
    }
  }, scaledMs(60_000));

  test('multisite-failover passes: the dead timer drops cluster 2, cluster 1 serves alone, then both again; the per-client figures match the raw records', async () => {
    const dir = join(runsDir, `lvslab-e2e-${instance}-failover`);
    const r = await lvslab(['run', experimentForThisCpu('multisite-failover', ['outage_s', 'ospf_detection_s', 'worst_client_success_ratio']), '--name', instance, '--out', dir], { timeoutMs: 240_000 });
    expect(r.code, `${r.stdout.slice(-3000)}\n${r.stderr.slice(-2000)}`).toBe(0);
    const res = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as RunResults;
    expect(res.lab).toMatchObject({ name: 'ospf-multisite', runtime: kind, dataplane });
    expect(res.assertions.length).toBeGreaterThan(0);
    expect(res.assertions.filter((a) => !a.passed)).toEqual([]);
    const [failure, restore] = res.timeline;
    expect(failure).toMatchObject({ action: 'silent-failure', node: 'router', interface: 'eth1', ok: true });
    expect(restore).toMatchObject({ action: 'silent-restore', node: 'router', interface: 'eth1', ok: true });
    const stepS = (failure!.doneAt - failure!.startedAt) / 1000;
    const f = (name: keyof RunResults['figures']) => res.figures[name].value;

    // The router's ospfd logs cluster 2's director lost on its dead timer (FRR's words for the
    // seed's "FULL to DOWN, Neighbor Down: Dead timer expired"): dead after the last hello it
    // got, which came at most one hello before the drop was in place (inside the step's
    // command); 1 s more for a hello sent late or a timer firing late on a busy machine.
    const lost = res.logs.find((l) => l.node === 'router' && l.daemon === 'ospfd' && l.t >= failure!.startedAt && /Nbr 192\.168\.129\.200\b.*Full -> (Down|Deleted) \(InactivityTimer\)/.test(l.text));
    expect(lost, 'the router logged 192.168.129.200 Full -> Down/Deleted (InactivityTimer)').toBeDefined();
    const detection = f('ospf_detection_s')!;
    expect(detection).toBeCloseTo((lost!.t - failure!.startedAt) / 1000, 3);
    expect(detection).toBeGreaterThan(dead - hello - 1);
    expect(detection).toBeLessThanOrEqual(dead + stepS + 1 * SLOWDOWN);
    expect(f('route_withdrawal_s')!).toBeGreaterThanOrEqual(detection);
    expect(f('route_withdrawal_s')! - detection).toBeLessThanOrEqual(0.3 * SLOWDOWN);
    expect([f('nexthops.before'), f('nexthops.during'), f('nexthops.after')]).toEqual([2, 1, 2]);

    // The raw records, read here: the application-level result, recomputed and compared.
    const requests = readFileSync(join(dir, res.requestsFile), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as RequestRecord);
    expect(requests.length).toBe(f('requests_total'));
    // The phases cover the traffic window only: a request the generator started just after its end is in none.
    const phaseOf = (t: number): Phase | undefined =>
      t < res.trafficStart || t > res.trafficEnd ? undefined : t < failure!.startedAt ? 'before' : t < restore!.startedAt ? 'during' : 'after';
    const clusterOf = (server: string | undefined) => Object.entries(CLUSTERS).find(([, rs]) => server !== undefined && rs.includes(server))?.[0];
    const clients = [...new Set(requests.map((q) => q.client))].sort();
    expect(clients).toEqual(['client1', 'client2', 'client3']);
    expect(res.hits.clusters).toEqual({ rs1: 'lb1', rs2: 'lb1', rs3: 'lb2', rs4: 'lb2' });
    const ratios: number[] = [];
    for (const client of clients) {
      const mine = requests.filter((q) => q.client === client);
      const reported = res.hits.perClient![client]!;
      const ok = mine.filter((q) => q.outcome === 'ok');
      expect(reported.total).toMatchObject({ requests: mine.length, ok: ok.length });
      ratios.push(ok.length / mine.length);
      for (const phase of ['before', 'during', 'after'] as const) {
        const inPhase = mine.filter((q) => phaseOf(q.t) === phase);
        const okIn = inPhase.filter((q) => q.outcome === 'ok');
        const perCluster = { lb1: okIn.filter((q) => clusterOf(q.server) === 'lb1').length, lb2: okIn.filter((q) => clusterOf(q.server) === 'lb2').length };
        expect(reported.perPhase[phase], `${client} ${phase}`).toMatchObject({ requests: inPhase.length, ok: okIn.length, perCluster });
      }
      // Both sites served the client before the failure and after the restore.
      expect(reported.perPhase.before.perCluster!.lb2, `${client} before`).toBeGreaterThan(0);
      expect(reported.perPhase.after.perCluster!.lb2, `${client} after`).toBeGreaterThan(0);
      // Once the route had lost cluster 2 and until the restore, cluster 1 alone answered it.
      const withdrawnAt = failure!.startedAt + f('route_withdrawal_s')! * 1000;
      const alone = mine.filter((q) => q.t > withdrawnAt && q.t < restore!.startedAt);
      expect(alone.length).toBeGreaterThan(0);
      expect(alone.filter((q) => q.outcome === 'ok' && clusterOf(q.server) !== 'lb1').map((q) => q.server)).toEqual([]);
    }
    expect(f('worst_client_success_ratio')).toBeCloseTo(Math.min(...ratios), 9);
    // Every failed request was in flight at one of the two route changes. At the failure,
    // flows hashed to cluster 2 were lost from the drop until the route left it (a request
    // started up to one timeout before the drop included). At the restore, a connection that
    // opened on cluster 1 while the route had one next hop and was still open when cluster 2
    // came back: the multipath hash sends its later packets to lb2, which knows nothing of it.
    const failedS = f('outage_s')!;
    expect(failedS).toBeLessThanOrEqual(dead + stepS + 1 * SLOWDOWN);
    const vipEvents = res.routeEvents.filter((e) => e.prefix === `${VIP}/32` && e.node === 'router');
    const back = vipEvents.find((e) => e.t >= restore!.startedAt && e.nextHops.includes(SITE1) && e.nextHops.includes(SITE2));
    expect(back, 'the route gets both sites back').toBeDefined();
    expect(f('route_restoration_s')).toBeCloseTo((back!.t - restore!.startedAt) / 1000, 6);
    const atFailure = (q: RequestRecord) => q.t >= failure!.startedAt - 1000 && q.t <= failure!.startedAt + (failedS + 1) * 1000;
    const failedElsewhere = requests.filter((q) => q.outcome !== 'ok' && !atFailure(q) && !inFlightAt(q, restore!.startedAt, back!.t));
    expect(failedElsewhere, 'failed requests in flight at neither route change').toEqual([]);
    // Cluster 2 was never unhealthy (its segment was whole): the restore refuses nothing.
    expect(f('failed_refused')).toBe(0);
  }, scaledMs(300_000));

  test('multisite-link-cut passes: the router sees its port go down and drops cluster 2 at once', async () => {
    const dir = join(runsDir, `lvslab-e2e-${instance}-link-cut`);
    const r = await lvslab(['run', experimentForThisCpu('multisite-link-cut', ['outage_s', 'route_withdrawal_s', 'ospf_detection_s', 'worst_client_success_ratio']), '--name', instance, '--out', dir], { timeoutMs: 240_000 });
    expect(r.code, `${r.stdout.slice(-3000)}\n${r.stderr.slice(-2000)}`).toBe(0);
    const res = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as RunResults;
    expect(res.assertions.filter((a) => !a.passed)).toEqual([]);
    const [failure] = res.timeline;
    expect(failure).toMatchObject({ action: 'link-down', node: 'router', interface: 'eth1', ok: true });
    const stepS = (failure!.doneAt - failure!.startedAt) / 1000;
    // No timer to wait for: ospfd hears of the interface going down from zebra; the bound is
    // the step itself plus processing (widened by the slowdown), far below the dead interval.
    const detection = res.figures.ospf_detection_s.value!;
    expect(detection).toBeLessThanOrEqual(stepS + 0.5 * SLOWDOWN);
    expect(detection).toBeLessThan(dead - hello - 1);
    expect(res.figures.route_withdrawal_s.value!).toBeLessThanOrEqual(stepS + 0.5 * SLOWDOWN);
    expect([res.figures['nexthops.during'].value, res.figures['nexthops.after'].value]).toEqual([1, 2]);
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
 * An experiment as shipped, or under a slowdown (the VM) a copy at rateForThisCpu without
 * the fixed host bounds named: the tests above assert the same bounds plus what the step
 * took on this machine.
 */
function experimentForThisCpu(name: string, hostBounds: string[]): string {
  if (SLOWDOWN <= 1) return name;
  let text = readFileSync(`${REPO}experiments/${name}.yaml`, 'utf8');
  if (!text.includes('rate: 200')) throw new Error(`${name}.yaml no longer has 'rate: 200': update experimentForThisCpu`);
  text = text.replace('rate: 200', `rate: ${rateForThisCpu(200)}`).replace(new RegExp(`^ {2}- (${hostBounds.join('|')}) [<>]=? .*\\n`, 'gm'), '');
  const file = join(runsDir, `${name}-light.yaml`);
  writeFileSync(file, text);
  return file;
}
