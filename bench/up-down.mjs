#!/usr/bin/env node
// Benchmark: how long `lvslab up ospf-ecmp` takes until ready, and `lvslab down`, against
// the goals (ready within the OSPF dead interval + 3 s; down under 2 s), on one or more
// runtimes (docker and gns3 need an engine and `lvslab images build`). gns3 runs against
// the GNS3 server LVSLAB_GNS3_URL names, else against the test stand-in (real containers,
// test/support/gns3-standin), started here; the results say which.
//
//   node bench/up-down.mjs [--runs N] [--lab LAB] [--runtime netns,docker,gns3] [--name-prefix P] [--check]
//
// Each run is a fresh instance, named P-<run> (default bench-<run>: on a shared machine give a
// prefix of your own, as `down P-<run>` runs before each run). Figures per run, wall-clock
// around the real CLI:
//   up_wall_ms  from spawning `lvslab up` to its exit (it exits when ready)
//   ready_ms    lvslab's own measure from the start of `up` to ready (in its --json output)
//   down_ms     from spawning `lvslab down` to its exit
// Results go to bench/results/up-down-<timestamp>.json (with host facts and the load average
// before and after) and a table on stdout: median and spread (min-max) per runtime. --check
// exits 1 when the median misses a goal. Run on an otherwise idle machine: OSPF timing shares
// the 2 cores with everything else.
import { spawn, spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { cli, flag, opt, repo, writeResult } from './bench-lib.mjs';

const runs = Number(opt('--runs', '5'));
const lab = opt('--lab', 'ospf-ecmp');
const check = flag('--check');
const runtimes = opt('--runtime', 'netns').split(',');
const namePrefix = opt('--name-prefix', 'bench');

let gns3Server; // { url, what } once a gns3 runtime is benched
const extraEnv = {};

/**
 * Runs the CLI and times it. Asynchronous, never spawnSync: the GNS3 stand-in runs in this
 * process, and a blocked event loop would leave `up` waiting for a server that cannot answer.
 */
function lvslab(argv) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [cli, ...argv], { env: { ...process.env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    child.on('close', (status) => resolve({ status, stdout, stderr, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const loadBefore = loadavg();
let deadInterval;
const byRuntime = {};
let standin;
for (const runtime of runtimes) {
  if (runtime === 'gns3' && !gns3Server) {
    if (process.env.LVSLAB_GNS3_URL) gns3Server = { url: process.env.LVSLAB_GNS3_URL, what: 'the GNS3 server LVSLAB_GNS3_URL names' };
    else {
      const { startGns3Standin } = await import('../test/support/gns3-standin/server.mjs');
      const { loadRecipe } = await import(`${repo}dist/images/recipe.js`);
      standin = await startGns3Standin({ containers: true, images: [(await loadRecipe()).image] });
      gns3Server = { url: standin.url, what: `lvslab's GNS3 ${standin.version} stand-in (test/support/gns3-standin, real containers)` };
    }
    extraEnv.LVSLAB_GNS3_URL = gns3Server.url;
  }
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const name = `${namePrefix}-${i}`;
    await lvslab(['down', name]);
    const up = await lvslab(['up', lab, '--name', name, '--runtime', runtime, '--json']);
    if (up.status !== 0) {
      console.error(`${runtime} run ${i}: up failed (exit ${up.status}):\n${up.stderr}`);
      await lvslab(['down', name]);
      await standin?.close();
      process.exit(1);
    }
    const out = JSON.parse(up.stdout);
    const down = await lvslab(['down', name]);
    if (down.status !== 0) {
      console.error(`${runtime} run ${i}: down failed:\n${down.stderr}`);
      await standin?.close();
      process.exit(1);
    }
    if (deadInterval === undefined) {
      const status = spawnSync(process.execPath, ['-e', `import('${repo}dist/model/load.js').then(async m => { const l = await m.loadLabFile(${JSON.stringify(out.labFile)}); console.log(l.ospf.dead); })`], { encoding: 'utf8' });
      deadInterval = Number(status.stdout.trim());
    }
    samples.push({ run: i, up_wall_ms: Math.round(up.ms), ready_ms: out.readyMs, down_ms: Math.round(down.ms), dataplane: out.dataplane });
    console.error(`${runtime} run ${i}: up ${Math.round(up.ms)} ms (ready ${out.readyMs} ms), down ${Math.round(down.ms)} ms`);
  }
  const upGoalMs = (deadInterval + 3) * 1000;
  const of = (k) => samples.map((s) => s[k]);
  const summary = {
    up_wall_ms_median: median(of('up_wall_ms')),
    up_wall_ms_min: Math.min(...of('up_wall_ms')),
    up_wall_ms_max: Math.max(...of('up_wall_ms')),
    ready_ms_median: median(of('ready_ms')),
    ready_ms_min: Math.min(...of('ready_ms')),
    ready_ms_max: Math.max(...of('ready_ms')),
    down_ms_median: median(of('down_ms')),
    down_ms_min: Math.min(...of('down_ms')),
    down_ms_max: Math.max(...of('down_ms')),
    up_goal_ms: upGoalMs,
    down_goal_ms: 2000,
  };
  const verdict = { up: summary.up_wall_ms_median <= upGoalMs, down: summary.down_ms_median < 2000 };
  byRuntime[runtime] = { samples, summary, verdict, ...(runtime === 'gns3' ? { server: gns3Server.what } : {}) };
}
await standin?.close();
const file = writeResult('up-down', {
  lab,
  runs,
  method: 'wall clock (process.hrtime) around the real CLI, one fresh instance per run, runtimes one after the other; ready_ms is lvslab\'s own start-of-up to ready',
  resolution: 'up_wall_ms and down_ms 1 ms (rounded hrtime); ready_ms 1 ms (Date.now() in lvslab)',
  loadavg: { before: loadBefore, after: loadavg() },
  runtimes: byRuntime,
});

console.log(`lab ${lab}, ${runs} runs per runtime, OSPF dead interval ${deadInterval} s`);
for (const [runtime, { samples, summary, verdict }] of Object.entries(byRuntime)) {
  console.log(`${runtime.padEnd(7)} dataplane ${samples[0]?.dataplane}`);
  console.log(`  up   (spawn to ready): median ${summary.up_wall_ms_median} ms, ${summary.up_wall_ms_min}-${summary.up_wall_ms_max} ms   goal <= ${summary.up_goal_ms} ms: ${verdict.up ? 'met' : 'MISSED'}`);
  console.log(`  ready (lvslab's own):  median ${summary.ready_ms_median} ms, ${summary.ready_ms_min}-${summary.ready_ms_max} ms`);
  console.log(`  down:                  median ${summary.down_ms_median} ms, ${summary.down_ms_min}-${summary.down_ms_max} ms   goal < 2000 ms: ${verdict.down ? 'met' : 'MISSED'}`);
}
console.log(`recorded in ${file}`);
if (check && !Object.values(byRuntime).every((r) => r.verdict.up && r.verdict.down)) process.exit(1);
