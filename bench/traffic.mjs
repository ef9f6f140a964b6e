#!/usr/bin/env node
// Benchmark: the sustained new-connection rate one traffic generator achieves, with a
// record per request, on this machine (goal: >= 1,000 connections/s on 2 cores).
//
//   node bench/traffic.mjs [--rates 500,1000,...] [--seconds S] [--attempts N] [--generator FILE] [--check]
//
// Two throwaway namespaces (lvtt-bench-<pid>-c / -s) on one veth pair; nginx in the server
// namespace (1 worker, like a lab's real server; no access log), the compiled generator
// (dist/traffic/generator.js: run `npm run build` first, or point --generator at another
// build) in the client namespace. For each rate of the ladder, one run of S seconds:
//   achieved   requests started per second (the generator's summary)
//   ok_ratio   ok records / requests started
//   lateness   how late requests started against their absolute schedule (p99, max)
//   latency    connect to complete answer, from the records (p50, p99)
//   cpu        the generator's CPU time / run time (1.0 = one core)
// A rate is sustained when the generator started >= 99 % of the planned requests with
// nothing skipped, every request got a record, >= 99.9 % were ok, and it kept pace (mean
// lateness <= 10 ms). It is also precise when the schedule held tightly (lateness p99 <=
// 10 ms and max <= 100 ms). The machine is shared (2 cores): a busy neighbour (a build, a
// VM) delays the generator's timers, so each rate gets up to N attempts (default 3) until
// one is precise; every attempt is recorded with the load average before it. The results
// are the highest rate sustained (and the highest precise) with every lower rate so too.
// Results go to bench/results/traffic-<timestamp>.json. --check exits 1 when the
// sustained rate is below 1,000/s. Run on an otherwise idle machine.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { flag, opt, repo, writeResult } from './bench-lib.mjs';

const rates = opt('--rates', '500,1000,1500,2000,2500,3000,4000,5000').split(',').map(Number);
const seconds = Number(opt('--seconds', '5'));
const attempts = Number(opt('--attempts', '3'));
const generator = opt('--generator', `${repo}dist/traffic/generator.js`);
const check = flag('--check');
const GOAL = 1000;

if (!existsSync(generator)) {
  console.error(`${generator} is missing: run \`npm run build\` first (or pass --generator FILE)`);
  process.exit(2);
}
const { readRequestRecords, readGeneratorSummary } = await import(pathToFileURL(join(dirname(generator), 'records.js')).href);

const CLIENT_NS = `lvtt-bench-${process.pid}-c`;
const SERVER_NS = `lvtt-bench-${process.pid}-s`;
const SERVER = '10.77.78.2';
const PORT = 8080;
const work = mkdtempSync(join(tmpdir(), 'lvtt-bench-'));
spawnSync('chmod', ['755', work]);

function must(argv) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const nginxConf = join(work, 'nginx.conf');
function setUp() {
  for (const ns of [CLIENT_NS, SERVER_NS]) {
    spawnSync('ip', ['netns', 'del', ns]);
    must(['ip', 'netns', 'add', ns]);
    must(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
  }
  must(['ip', 'link', 'add', 'tv0', 'netns', CLIENT_NS, 'type', 'veth', 'peer', 'name', 'tv0', 'netns', SERVER_NS]);
  for (const [ns, addr] of [[CLIENT_NS, '10.77.78.1'], [SERVER_NS, SERVER]]) {
    must(['ip', '-n', ns, 'addr', 'add', `${addr}/24`, 'dev', 'tv0']);
    must(['ip', '-n', ns, 'link', 'set', 'tv0', 'up']);
  }
  writeFileSync(
    nginxConf,
    [
      'worker_processes 1;',
      'user root;',
      `pid ${work}/nginx.pid;`,
      `error_log ${work}/nginx-error.log;`,
      'events { worker_connections 16384; }',
      'worker_rlimit_nofile 20000;',
      'http {',
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${work};`),
      '  access_log off;',
      `  server { listen ${SERVER}:${PORT} backlog=4096; add_header X-Real-Server srvA always; location / { return 200 "served-by srvA\\n"; } }`,
      '}',
      '',
    ].join('\n'),
  );
  must(['ip', 'netns', 'exec', SERVER_NS, 'nginx', '-c', nginxConf]);
}

function tearDown() {
  spawnSync('ip', ['netns', 'exec', SERVER_NS, 'nginx', '-c', nginxConf, '-s', 'stop']);
  for (const ns of [CLIENT_NS, SERVER_NS]) {
    // Whatever is left inside was started here: stop it by pid before the namespace goes.
    const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '';
    for (const pid of pids.split(/\s+/).filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {}
    }
    spawnSync('ip', ['netns', 'del', ns]);
  }
  rmSync(work, { recursive: true, force: true });
}

function runGenerator(rate) {
  const base = join(work, `rate-${rate}`);
  const config = {
    version: 1,
    client: 'bench',
    host: SERVER,
    port: PORT,
    path: '/',
    rate,
    durationMs: seconds * 1000,
    timeoutMs: 1000,
    startAt: Date.now() + 1000,
    requestsPath: `${base}.requests.ndjson`,
    longLivedPath: `${base}.long-lived.ndjson`,
    summaryPath: `${base}.summary.json`,
  };
  writeFileSync(`${base}.json`, JSON.stringify(config));
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', CLIENT_NS, process.execPath, generator, '--config', `${base}.json`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (out += b));
    child.on('exit', (code) => (code === 0 ? resolve(config) : reject(new Error(`generator exit ${code}:\n${out}`))));
  });
}

const quantile = (sorted, q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] : null);
const round = (x, d = 2) => (x === null ? null : Math.round(x * 10 ** d) / 10 ** d);

async function step(rate) {
  const load1 = round(loadavg()[0]);
  const config = await runGenerator(rate);
  const summary = readGeneratorSummary(config.summaryPath);
  const records = await readRequestRecords(config.requestsPath);
  const latencies = records.map((r) => r.latencyMs).sort((a, b) => a - b);
  const ok = records.filter((r) => r.outcome === 'ok').length;
  const r = summary.requests;
  const sample = {
    rate,
    load1_before: load1,
    planned: r.planned,
    started: r.started,
    skipped: r.skipped,
    recorded: records.length,
    byOutcome: r.byOutcome,
    achieved: summary.achievedRate,
    ok_ratio: round(r.started ? ok / r.started : 0, 5),
    lateness_p99_ms: summary.lateness.p99Ms,
    lateness_max_ms: summary.lateness.maxMs,
    latency_p50_ms: round(quantile(latencies, 0.5)),
    latency_p99_ms: round(quantile(latencies, 0.99)),
    cpu: round((summary.cpu.userMs + summary.cpu.systemMs) / (summary.finishedAt - summary.readyAt), 3),
    peak_in_flight: summary.peakInFlight,
  };
  sample.lateness_mean_ms = summary.lateness.meanMs;
  sample.sustained =
    r.started >= 0.99 * r.planned &&
    r.skipped === 0 &&
    records.length === r.started &&
    sample.ok_ratio >= 0.999 &&
    sample.lateness_mean_ms <= 10;
  sample.precise = sample.sustained && sample.lateness_p99_ms <= 10 && sample.lateness_max_ms <= 100;
  rmSync(config.requestsPath, { force: true }); // a 5000/s step writes megabytes
  return sample;
}

const samples = [];
let interrupted = false;
process.on('SIGINT', () => (interrupted = true));
try {
  setUp();
  let failuresInARow = 0;
  for (const rate of rates) {
    if (interrupted) break;
    let s;
    for (let a = 1; a <= attempts && !interrupted; a++) {
      s = { ...(await step(rate)), attempt: a };
      samples.push(s);
      console.error(
        `rate ${rate}/s (attempt ${a}, load ${s.load1_before}): achieved ${s.achieved}/s, ok ${(s.ok_ratio * 100).toFixed(2)} %, ` +
          `lateness mean ${s.lateness_mean_ms} p99 ${s.lateness_p99_ms} max ${s.lateness_max_ms} ms, ` +
          `latency p50 ${s.latency_p50_ms} p99 ${s.latency_p99_ms} ms, cpu ${s.cpu}: ${s.precise ? 'precise' : s.sustained ? 'sustained' : 'NOT sustained'}`,
      );
      if (s.precise) break;
    }
    if (!s) break;
    failuresInARow = samples.some((x) => x.rate === rate && x.sustained) ? 0 : failuresInARow + 1;
    if (failuresInARow >= 2) break;
  }
} finally {
  tearDown();
}

/** Highest rate of the ladder where some attempt had `key`, and every lower rate too. */
function highest(key) {
  let best = 0;
  for (const rate of rates) {
    if (!samples.some((s) => s.rate === rate && s[key])) break;
    best = rate;
  }
  return best;
}
const sustainedRate = highest('sustained');
const preciseRate = highest('precise');
const file = writeResult('traffic', {
  method:
    `one generator process in a client netns, nginx (1 worker) in a server netns on a veth pair; ${seconds} s per rate, ` +
    `best of up to ${attempts} attempts; ` +
    'a new TCP connection and one HTTP/1.0 request per tick, one NDJSON record each; sustained = >= 99 % started, none skipped, ' +
    'every request recorded, >= 99.9 % ok, mean lateness <= 10 ms; precise = sustained and lateness p99 <= 10 ms, max <= 100 ms',
  seconds,
  attempts,
  samples,
  summary: { sustained_rate: sustainedRate, precise_rate: preciseRate, goal: GOAL },
  verdict: { goal_met: sustainedRate >= GOAL },
});

console.log(`sustained new-connection rate, one client with per-request records: ${sustainedRate}/s   goal >= ${GOAL}/s: ${sustainedRate >= GOAL ? 'met' : 'MISSED'}`);
console.log(`with the schedule held tightly (lateness p99 <= 10 ms, max <= 100 ms): ${preciseRate}/s`);
console.log(`recorded in ${file}`);
if (check && sustainedRate < GOAL) process.exit(1);
