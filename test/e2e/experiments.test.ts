// Experiments end to end through the CLI: `lvslab run` brings the lab up, measures, writes
// the run directory and takes the lab down. The figures are recomputed here, independently,
// from the raw request records they came from, and the clients' hit counts are checked
// against the directors' counters and the real servers' nginx access logs.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import type { RequestRecord, RunResults } from '../../src/experiment/types.js';
import { expectedDataplane, hostSnapshot, leftovers, lvslab, rateForThisCpu, REPO, SLOWDOWN, type HostSnapshot, scaledMs } from './support.js';

const emulated = process.env.LVSLAB_UNDER_EMULATION === '1';
let before: HostSnapshot;
let dataplane: 'ipvs' | 'nftables';
// LVSLAB_E2E_RUNS keeps the run directories for a post-mortem (test.sh points it into
// .test-results, which the VM shares with the host); otherwise they go to a temporary directory.
const runsDir = process.env.LVSLAB_E2E_RUNS;
if (runsDir) mkdirSync(runsDir, { recursive: true });
const out = mkdtempSync(runsDir ? join(runsDir, 'experiments-') : join(tmpdir(), 'lvslab-exp-'));

beforeAll(async () => {
  await lvslab(['down', 'ospf-ecmp']);
  before = await hostSnapshot();
  dataplane = await expectedDataplane();
}, scaledMs(60_000));

function records(dir: string): RequestRecord[] {
  return readFileSync(join(dir, 'requests.ndjson'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as RequestRecord);
}

/**
 * A request timeout for this run's machine, where no request is silently dropped (a killed
 * server refuses at once): the host's, times the slowdown, at most 10 s. Where a director
 * fails silently the timeout stays as it is: it sits below TCP's 1 s SYN retransmission on
 * purpose, so a request sent to the dead director fails instead of succeeding late.
 */
function timeoutForThisCpu(hostMs: number): number {
  return Math.min(10_000, Math.round(hostMs * SLOWDOWN));
}

/**
 * The built-in experiment, or under a slowdown a copy of it at rateForThisCpu, with
 * timeoutForThisCpu unless it fails a director silently.
 */
function forThisCpu(name: string, opts: { silentFailure: boolean }): string {
  if (SLOWDOWN <= 1) return name;
  const file = join(out, `${name}-light.yaml`);
  let text = readFileSync(`${REPO}experiments/${name}.yaml`, 'utf8');
  if (!text.includes('rate: 200') || !text.includes('timeout_ms: 500')) throw new Error(`${name}.yaml no longer has 'rate: 200' and 'timeout_ms: 500': update forThisCpu`);
  text = text.replace('rate: 200', `rate: ${rateForThisCpu(200)}`);
  if (!opts.silentFailure) text = text.replace('timeout_ms: 500', `timeout_ms: ${timeoutForThisCpu(500)}`);
  // The file's fixed 'outage_s <= 5' is the host's bound (dead interval + 1 s); here the test
  // asserts the same bound plus what the failure step itself took on this machine.
  text = text.replace(/^ {2}- outage_s <= 5.*\n/m, '');
  writeFileSync(file, text);
  return file;
}

/** A short experiment on lvs-dr, at this machine's rate and timeout. */
function shortExperiment(name: string, hostRate: number, expect: string[]): string {
  const file = join(out, `${name}.yaml`);
  const traffic = `{ rate: ${rateForThisCpu(hostRate)}, timeout_ms: ${timeoutForThisCpu(1000)} }`;
  writeFileSync(file, [`name: ${name}`, 'lab: lvs-dr', 'duration: 3', `traffic: [ ${traffic} ]`, 'expect:', ...expect.map((e) => `  - ${e}`), ''].join('\n'));
  return file;
}

function results(dir: string): RunResults {
  return JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as RunResults;
}

describe('experiments', () => {
  test('distribution: client hits, director counters and nginx logs agree exactly', async () => {
    const dir = join(out, 'distribution');
    // 2 clients x 500/s x 10 s on the host; fewer under a slowdown (rateForThisCpu).
    let experiment = 'distribution';
    let expected = 10_000;
    if (SLOWDOWN > 1) {
      const rate = rateForThisCpu(500);
      expected = 2 * rate * 10;
      experiment = join(out, 'distribution-light.yaml');
      writeFileSync(
        experiment,
        readFileSync(`${REPO}experiments/distribution.yaml`, 'utf8')
          .replace('rate: 500', `rate: ${rate}`)
          .replace('timeout_ms: 1000', `timeout_ms: ${timeoutForThisCpu(1000)}`)
          .replace('requests_total == 10000', `requests_total == ${expected}`),
      );
    }
    const r = await lvslab(['run', experiment, '--out', dir], { timeoutMs: 240_000 });
    expect(r.code, r.stderr).toBe(0);
    const res = results(dir);
    expect(res.lab.dataplane).toBe(dataplane);
    const recs = records(dir);
    expect(recs).toHaveLength(expected);
    expect(res.figures.requests_total.value).toBe(recs.length);
    expect(recs.every((x) => x.outcome === 'ok')).toBe(true);

    // Client side, recomputed from the raw records.
    const clientHits: Record<string, number> = {};
    for (const x of recs) clientHits[x.server!] = (clientHits[x.server!] ?? 0) + 1;
    expect(res.hits.perRealServer).toEqual(clientHits);
    expect(Object.keys(clientHits).sort()).toEqual(['rs1', 'rs2']);
    // Director side: counter deltas from the first to the last snapshot, per real server.
    const start = res.snapshots.find((s) => s.phase === 'start')!;
    const after = res.snapshots.find((s) => s.phase === 'after')!;
    const counted: Record<string, number> = {};
    for (const [director, d] of Object.entries(after.directors)) {
      for (const [rs, n] of Object.entries(d.realServers['web']!)) counted[rs] = (counted[rs] ?? 0) + n - start.directors[director]!.realServers['web']![rs]!;
    }
    if (res.lab.dataplane === 'nftables') {
      expect(counted).toEqual(clientHits);
    } else {
      // Kernel IPVS counts new connection *entries*: a client port reused while its previous
      // entry still lives (FIN/CLOSE state) rides that entry and is not counted again, though
      // it is a new TCP connection to the client and to nginx. Counters are a lower bound.
      for (const rs of Object.keys(clientHits)) {
        expect(counted[rs]!).toBeLessThanOrEqual(clientHits[rs]!);
        expect(counted[rs]!).toBeGreaterThanOrEqual(clientHits[rs]! * 0.9);
      }
    }
    // Both directors carried traffic (ECMP on the router's L4 hash).
    for (const n of Object.values(res.hits.perDirector)) expect(n).toBeGreaterThan(expected / 10);
    // Real-server side: the nginx access logs' lines from the clients inside the window.
    const nginxHits: Record<string, number> = {};
    // Each nginx line is matched to a request by the client's address and source port (the
    // records carry it), not by time: the clients' and nginx's clocks may differ slightly,
    // and readiness probes from the same clients may precede the run by a second.
    const clientAddress: Record<string, string> = { client1: '10.0.1.132', client2: '10.0.1.134' };
    const sent = new Set(recs.map((x) => `${clientAddress[x.client]}:${x.localPort}`));
    for (const l of res.logs.filter((x) => x.daemon === 'nginx')) {
      const from = /^\S+ (\d+\.\d+\.\d+\.\d+:\d+) /.exec(l.text)?.[1];
      if (from && sent.has(from)) nginxHits[l.node] = (nginxHits[l.node] ?? 0) + 1;
    }
    expect(nginxHits).toEqual(clientHits);
    if (res.lab.dataplane === 'nftables') expect(res.crossCheck.agree, res.crossCheck.note).toBe(true);
    for (const f of ['report.md', 'report.html', 'junit.xml', 'manifest.json']) expect(existsSync(join(dir, f)), f).toBe(true);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { labSha256: string; seed: number; dataplane: string };
    expect(manifest).toMatchObject({ seed: 1, dataplane });
    expect(manifest.labSha256).toMatch(/^[0-9a-f]{64}$/);
  }, scaledMs(300_000));

  test('failover-test: the outage is bounded by the dead interval, and its figures match the raw records', async () => {
    const dir = join(out, 'failover');
    const r = await lvslab(['run', forThisCpu('failover-test', { silentFailure: true }), '--out', dir], { timeoutMs: 300_000 });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/outage_s\s+\d/);
    expect(r.stdout).toMatch(/ospf_detection_s\s+\d/);
    expect(r.stdout).toMatch(/route_withdrawal_s\s+\d/);
    const res = results(dir);
    const recs = records(dir).sort((a, b) => a.t - b.t);

    // Recompute outage_s from the raw records: between the failure step and the restore step,
    // the failures fall into stretches, each ended by a second of clean service (at least 10
    // ok requests and no failure); the outage is the longest stretch, and the failures after
    // it are failed_after_recovery.
    const [failure, restore] = res.timeline;
    expect(failure!.action).toBe('silent-failure');
    const inWindow = recs.filter((x) => x.t >= failure!.startedAt && x.t < restore!.startedAt);
    const failed = inWindow.filter((x) => x.outcome !== 'ok');
    expect(failed.length).toBeGreaterThan(0);
    const stretches: Array<{ start: RequestRecord; end: RequestRecord }> = [];
    let oks = 0;
    for (const x of inWindow.filter((y) => y.t >= failed[0]!.t)) {
      if (x.outcome === 'ok') oks++;
      else {
        const open = stretches[stretches.length - 1];
        if (open && !(oks >= 10 && x.t - open.end.t >= 1000)) open.end = x;
        else stretches.push({ start: x, end: x });
        oks = 0;
      }
    }
    const longest = stretches.reduce((a, b) => (b.end.t - b.start.t > a.end.t - a.start.t ? b : a));
    const end = longest.end;
    const outage = (end.t - longest.start.t) / 1000;
    expect(res.figures.outage_s.value).toBeCloseTo(outage, 6);
    expect(res.figures.failed_after_recovery.value).toBe(failed.filter((x) => x.t > end.t).length);
    // Bounds from the protocol: the router declares lb2 dead `dead` s after the last hello it
    // heard, which came at most `hello` s before the failure; the failure takes effect when its
    // command returns (the step's stated resolution: ~0.02 s on the host, 1-2 s under CPU
    // emulation); 1 s more for SPF, the route install and the timers firing late.
    const { hello, dead } = { hello: 1, dead: 4 }; // labs/ospf-ecmp.yaml
    const stepS = (failure!.doneAt - failure!.startedAt) / 1000;
    expect(outage).toBeLessThanOrEqual(dead + stepS + 1);
    expect(outage).toBeGreaterThan(dead - hello - 1); // only the dead timer notices a silent failure
    expect(res.figures.requests_failed.value).toBe(recs.filter((x) => x.outcome !== 'ok').length);
    expect(res.figures.success_ratio.value).toBeCloseTo(recs.filter((x) => x.outcome === 'ok').length / recs.length, 9);

    // OSPF noticed through its dead timer (4 s), and the route followed.
    expect(res.figures.ospf_detection_s.value!).toBeGreaterThan(dead - hello - 0.5);
    expect(res.figures.ospf_detection_s.value!).toBeLessThanOrEqual(dead + stepS + 1);
    expect(res.figures.route_withdrawal_s.value!).toBeGreaterThanOrEqual(res.figures.ospf_detection_s.value! - 0.1);
    for (const name of Object.keys(res.figures)) {
      const f = res.figures[name as keyof typeof res.figures];
      expect(f.method.length, `${name} states its method`).toBeGreaterThan(20);
    }
    expect(res.assertions.every((a) => a.passed)).toBe(true);
    const junit = readFileSync(join(dir, 'junit.xml'), 'utf8');
    expect(junit.match(/<testcase /g)).toHaveLength(res.assertions.length);

    // Per-phase director counts are differences of counter readings at the phase
    // boundaries: measured, they add up to the director's total; otherwise null with a
    // reason (never a 0 standing in for "unknown").
    const phases = ['before', 'during', 'after'] as const;
    expect(Object.keys(res.hits.perDirector).sort()).toEqual(['lb1', 'lb2']);
    for (const d of Object.keys(res.hits.perDirector)) {
      const counts = phases.map((p) => res.hits.perPhase[p].perDirector[d]);
      if (res.hits.perDirector[d] !== null && counts.every((n) => typeof n === 'number')) {
        expect(counts.reduce((a, b) => a! + b!, 0), `${d}: ${counts.join(' + ')}`).toBe(res.hits.perDirector[d]);
      } else {
        for (const [i, p] of phases.entries()) if (counts[i] === null) expect(res.hits.perPhase[p].directors?.notMeasured[d], `${d} ${p}`).toBeTruthy();
      }
    }
    for (const p of phases) expect(res.hits.perPhase[p].directors?.method.length, p).toBeGreaterThan(20);
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).toMatch(/\| \*\*whole run\*\* \|/);
  }, scaledMs(360_000));

  // Under CPU emulation a 500 ms request timeout measures the emulator, not the network:
  // the sub-second bound is asserted on real CPUs (the netns suite) only.
  test.skipIf(emulated)('link-cut-p2p: carrier loss on a point-to-point uplink is noticed at once (seed 002 lab)', async () => {
    const dir = join(out, 'link-cut-p2p');
    const r = await lvslab(['run', 'link-cut-p2p', '--out', dir], { timeoutMs: 300_000 });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const res = results(dir);
    expect(res.figures.outage_s.value!).toBeLessThanOrEqual(1);
    expect(res.figures.ospf_detection_s.value!).toBeLessThan(0.5);
    expect(res.figures['nexthops.during'].value).toBe(2);
    expect(res.figures['nexthops.after'].value).toBe(3);
  }, scaledMs(360_000));

  test('realserver-failure: the health checks take the dead server out within their timing', async () => {
    const dir = join(out, 'realserver-failure');
    const r = await lvslab(['run', forThisCpu('realserver-failure', { silentFailure: false }), '--out', dir], { timeoutMs: 300_000 });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const res = results(dir);
    // delay_loop 5 + connect_timeout 2 + retry 1 x delay_before_retry 1: at most ~8 s, at least the first check
    expect(res.figures.hc_removal_s.value!).toBeGreaterThan(0);
    expect(res.figures.hc_removal_s.value!).toBeLessThanOrEqual(10);
    // from one second after the last director's removal until nginx comes back at 25 s
    const recs = records(dir);
    const removedAt = res.timeline[0]!.startedAt + res.figures.hc_removal_s.value! * 1000 + 1000;
    const between = recs.filter((x) => x.t > removedAt && x.t < res.timeline[1]!.startedAt);
    // At least half the requests the two clients were due to start in that window.
    expect(between.length).toBeGreaterThan((0.5 * 2 * rateForThisCpu(200) * (res.timeline[1]!.startedAt - removedAt)) / 1000);
    // The dead server answers nothing after its removal.
    expect(between.filter((x) => x.server === 'rs1')).toEqual([]);
    // Removal cuts the failures from about half the requests (everything scheduled to the
    // dead server) to a residue: a refused connect() frees its client port, the next
    // connect may reuse it and follow the director's still-live entry for that flow to the
    // dead server (kernel IPVS keeps the entry too). Measured: 47 % -> 1.2 %.
    // Detection runs from the kill's effect (its command returned) to the removal. When a
    // check happened to fall right after the kill, that is a fraction of a second (seen under
    // emulation: the kill's command took 1.6 s, the removal came 0.3 s after it) and holds
    // too few requests for a share: then only the removal's effect is asserted.
    const detecting = recs.filter((x) => x.t >= res.timeline[0]!.doneAt && x.t < removedAt - 1000);
    const share = (xs: typeof recs, bad: (x: (typeof recs)[number]) => boolean) => xs.filter(bad).length / Math.max(1, xs.length);
    // The dead server refuses (its kernel resets): refusals are what reached it.
    const reachedDead = (x: (typeof recs)[number]) => x.outcome === 'refused' || x.outcome === 'reset';
    const detectionMeasured = detecting.length >= 20;
    if (detectionMeasured) expect(share(detecting, reachedDead)).toBeGreaterThan(0.2);
    // The residue depends on how often a port comes back while its old entry lives: under CPU
    // emulation (the IPVS VM) everything is ~10x slower and it was seen at 5.1 %.
    expect(share(between, reachedDead)).toBeLessThan(emulated ? 0.1 : 0.05);
    if (detectionMeasured) expect(share(between, reachedDead)).toBeLessThan(share(detecting, reachedDead) / 4);
    // On real CPUs nothing else fails; under emulation requests also time out on their own.
    if (!emulated) expect(share(between, (x) => x.outcome !== 'ok')).toBeLessThan(0.05);
  }, scaledMs(360_000));

  // Exit codes, junit and --repeat's aggregation are lvslab's own logic, the same over any
  // dataplane: they run on real CPUs only, where they cost seconds instead of minutes.
  test.skipIf(emulated)('a failing assertion makes run exit 1 and shows in junit.xml', async () => {
    const dir = join(out, 'strict');
    const file = shortExperiment('strict', 50, ['requests_total == 1', 'success_ratio >= 0.99']);
    const r = await lvslab(['run', file, '--out', dir], { timeoutMs: 120_000 });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL\s+requests_total == 1/);
    expect(r.stdout).toMatch(/PASS\s+success_ratio >= 0.99/);
    expect(readFileSync(join(dir, 'junit.xml'), 'utf8')).toMatch(/<failure/);
  }, scaledMs(180_000));

  test.skipIf(emulated)('--repeat aggregates every figure, and report re-renders and compares runs', async () => {
    const dir = join(out, 'repeat');
    const file = shortExperiment('short', 100, ['success_ratio >= 0.99']);
    const r = await lvslab(['run', file, '--repeat', '2', '--out', dir, '--json'], { timeoutMs: 180_000 });
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as { runs: unknown[]; aggregate: Record<string, { n: number; median: number; min: number; max: number }> };
    expect(summary.runs).toHaveLength(2);
    const total = summary.aggregate['requests_total']!;
    expect(total.n).toBe(2);
    const perRun = [1, 2].map((k) => results(join(dir, `run-${k}`)).figures.requests_total.value!);
    expect(total.min).toBe(Math.min(...perRun));
    expect(total.max).toBe(Math.max(...perRun));
    for (const f of ['results.json', 'report.md', 'report.html', 'junit.xml']) expect(existsSync(join(dir, f)), f).toBe(true);

    const again = await lvslab(['report', join(dir, 'run-1')]);
    expect(again.code, again.stderr).toBe(0);
    const cmpDir = join(out, 'compare');
    const cmp = await lvslab(['report', '--compare', join(dir, 'run-1'), join(dir, 'run-2'), '--out', cmpDir]);
    expect(cmp.code, cmp.stderr).toBe(0);
    expect(readFileSync(join(cmpDir, 'compare.md'), 'utf8')).toMatch(/requests_total/);
    const notRun = await lvslab(['report', out]);
    expect(notRun.code).toBe(2);
    expect(notRun.stderr).toMatch(/not an experiment run directory/);
  }, scaledMs(240_000));

  test('run leaves nothing behind', async () => {
    expect(leftovers(before, await hostSnapshot(), ['ospf-ecmp', 'lvs-dr'])).toEqual({});
  });
});
