#!/usr/bin/env node
// Investigation: do requests keep failing after the router's route to the VIP has lost the
// failed director, and is that the dataplane (kernel IPVS vs the nftables fallback) or the
// machine? Runs failover-test at a given request rate, alternating the dataplanes, and for
// each run reads the raw records: when the route changed (ip monitor on the router), how many
// requests failed after it, and when the last one did.
//
//   node bench/failover-tail.mjs [--runs N] [--rate R] [--dataplane ipvs,nftables] [--out DIR]
//   scripts/vm-run.sh node bench/failover-tail.mjs ...     the same inside the IPVS VM
//
// A request counts as "after the route change" when it *started* later than the change plus
// its own timeout (500 ms): one that started earlier may have been sent to the dead director.
// Results: bench/results/failover-tail-<timestamp>.json and a table on stdout.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, opt, repo, writeResult } from './bench-lib.mjs';

const runs = Number(opt('--runs', '2'));
const rate = Number(opt('--rate', '200'));
const dataplanes = opt('--dataplane', 'ipvs,nftables').split(',');
const work = opt('--out', mkdtempSync(join(tmpdir(), 'failover-tail-')));
mkdirSync(work, { recursive: true });

const experiment = join(work, 'failover-tail.yaml');
const text = readFileSync(`${repo}experiments/failover-test.yaml`, 'utf8');
if (!text.includes('rate: 200')) throw new Error("failover-test.yaml no longer has 'rate: 200'");
writeFileSync(experiment, text.replace('rate: 200', `rate: ${rate}`));

const TIMEOUT_MS = 500;
const samples = [];
for (let i = 0; i < runs; i++) {
  for (const dataplane of dataplanes) {
    const dir = join(work, `${dataplane}-${i + 1}`);
    const r = spawnSync(process.execPath, [cli, 'run', experiment, '--dataplane', dataplane, '--out', dir, '--name', 'tail'], { encoding: 'utf8' });
    spawnSync(process.execPath, [cli, 'down', 'tail']);
    let res;
    try {
      res = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    } catch {
      console.error(`${dataplane} run ${i + 1}: no results (exit ${r.status}):\n${r.stderr}`);
      continue;
    }
    const recs = readFileSync(join(dir, 'requests.ndjson'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const [failure, restore] = res.timeline;
    const withdrawal = res.figures.route_withdrawal_s.value;
    const changedAt = withdrawal === null ? undefined : failure.startedAt + withdrawal * 1000;
    const window = recs.filter((x) => x.t >= failure.startedAt && x.t < restore.startedAt);
    const failed = window.filter((x) => x.outcome !== 'ok');
    const after = changedAt === undefined ? [] : window.filter((x) => x.t > changedAt + TIMEOUT_MS);
    const failedAfter = after.filter((x) => x.outcome !== 'ok');
    const byOutcome = {};
    for (const x of failedAfter) byOutcome[x.outcome] = (byOutcome[x.outcome] ?? 0) + 1;
    const lastFailure = failed.length ? failed[failed.length - 1].t : undefined;
    samples.push({
      dataplane: res.lab.dataplane,
      run: i + 1,
      outage_s: res.figures.outage_s.value,
      ospf_detection_s: res.figures.ospf_detection_s.value,
      route_withdrawal_s: withdrawal,
      failed_in_window: failed.length,
      requests_after_change: after.length,
      failed_after_change: failedAfter.length,
      failed_after_change_by_outcome: byOutcome,
      last_failure_after_change_s: changedAt !== undefined && lastFailure !== undefined ? (lastFailure - changedAt) / 1000 : null,
      dir,
    });
    const s = samples[samples.length - 1];
    console.log(`${s.dataplane.padEnd(8)} run ${s.run}: outage ${s.outage_s?.toFixed(2)} s, route change at +${withdrawal?.toFixed(2)} s, ` +
      `after it ${s.failed_after_change}/${s.requests_after_change} failed ${JSON.stringify(byOutcome)}, last failure ${s.last_failure_after_change_s?.toFixed(2)} s after the change`);
  }
}
const file = writeResult('failover-tail', { rate, method: 'failover-test at --rate per client; "after the change" = requests started later than the route change (ip -ts monitor route) plus their 500 ms timeout', samples });
console.log(`written to ${file}`);
