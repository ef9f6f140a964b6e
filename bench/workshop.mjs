#!/usr/bin/env node
// Benchmark: what one student's lab costs, measured on a whole class, for the capacity check
// of `lvslab workshop up` (src/workshop/capacity.ts reads the newest result).
//
//   node bench/workshop.mjs [--students N] [--lab LAB] [--class NAME] [--parallel P] [--idle-s S]
//
// Brings up a class of N (default 3) through the real CLI (`workshop up --force`: the
// benchmark is what the check is made from), then measures, per student instance:
//   processes            processes in the instance's network namespaces (`ip netns pids`),
//                        nginx workers and healthd included; median over the class
//   rssKiB               sum of their VmRSS (/proc/PID/status), median over the class
//                        (shared pages counted in each process: an upper bound)
//   memAvailableDropKiB  MemAvailable before up minus after ready, divided by N (kernel
//                        objects included: namespaces, veths, nftables; noisy on a busy host,
//                        whose other users allocate meanwhile)
//   idleCpuCores         utime+stime of those processes over --idle-s seconds (default 10)
//                        of an idle lab, per second of wall time (resolution 1 tick = 10 ms
//                        over the window), median over the class
// and for the class: time from spawning `workshop up` to its exit (every lab ready),
// each lab's own ready time, how many answer through their VIP (one curl from a client
// node, 2 s limit), the largest class the host holds by these figures, and `workshop down`'s time.
// Results go to bench/results/workshop-<timestamp>.json with the load average before and after.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { cli, opt, repo, writeResult } from './bench-lib.mjs';

const students = Number(opt('--students', '3'));
const lab = opt('--lab', 'ospf-ecmp');
const className = opt('--class', 'wsbench');
const parallel = opt('--parallel', undefined);
const idleS = Number(opt('--idle-s', '10'));
const CLK_TCK = 100; // Linux USER_HZ, what /proc/PID/stat counts in

function lvslab(argv) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [cli, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => {
      stderr += b;
      process.stderr.write(b);
    });
    child.on('close', (status) => resolve({ status, stdout, stderr, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? null : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const memAvailableKiB = () => Number(/^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))[1]);

function pidsOf(instance) {
  const namespaces = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(' ')[0]).filter((n) => n.startsWith(`lvslab.${instance}.`));
  const pids = new Set();
  for (const ns of namespaces) for (const p of spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean)) pids.add(Number(p));
  return [...pids];
}
function rssKiB(pid) {
  try {
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}
function cpuTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime, stime
  } catch {
    return 0;
  }
}

const loadBefore = loadavg();
await lvslab(['workshop', 'down', '--class', className]);
const memBefore = memAvailableKiB();
const up = await lvslab(['workshop', 'up', lab, '--students', String(students), '--class', className, '--force', '--json', ...(parallel ? ['--parallel', parallel] : [])]);
let record;
try {
  record = JSON.parse(up.stdout);
} catch {
  console.error(`workshop up printed no class record (exit ${up.status})`);
  process.exit(1);
}
const memAfter = memAvailableKiB();
const ready = record.students.filter((s) => s.status === 'ready');

const perStudent = ready.map((s) => {
  const pids = pidsOf(s.instance);
  return { instance: s.instance, pids, processes: pids.length, rssKiB: pids.reduce((n, p) => n + rssKiB(p), 0) };
});
const ticks0 = perStudent.map((s) => s.pids.reduce((n, p) => n + cpuTicks(p), 0));
const t0 = Date.now();
// The idle window: the labs run their timers (OSPF hellos, health checks) and nothing else.
await new Promise((r) => setTimeout(r, idleS * 1000));
const wallS = (Date.now() - t0) / 1000;
perStudent.forEach((s, i) => {
  s.idleCpuCores = (s.pids.reduce((n, p) => n + cpuTicks(p), 0) - ticks0[i]) / CLK_TCK / wallS;
});

let answering = 0;
for (const s of ready) {
  const state = JSON.parse(readFileSync(`/run/lvslab/${s.instance}/instance.json`, 'utf8'));
  const client = state.lab.nodes.find((n) => n.role === 'client');
  const svc = state.lab.services[0];
  const r = spawnSync('ip', ['netns', 'exec', `lvslab.${s.instance}.${client.name}`, 'curl', '-s', '-m', '2', '-o', '/dev/null', '-w', '%{http_code}', `http://${svc.vip}:${svc.port}/`], { encoding: 'utf8' });
  if (r.stdout === '200') answering++;
}
const nodes = JSON.parse(readFileSync(`/run/lvslab/${ready[0]?.instance}/instance.json`, 'utf8')).lab.nodes.length;

const perInstance = {
  lab,
  nodes,
  rssKiB: median(perStudent.map((s) => s.rssKiB)),
  memAvailableDropKiB: Math.max(0, Math.round((memBefore - memAfter) / Math.max(1, ready.length))),
  processes: median(perStudent.map((s) => s.processes)),
  idleCpuCores: Number(median(perStudent.map((s) => s.idleCpuCores)).toFixed(4)),
};
const { estimateCapacity, readHostCapacity } = await import(`${repo}dist/workshop/capacity.js`);
const estimate = estimateCapacity({ name: lab, nodes }, students, { file: '(this run)', at: 'now', perInstance: [perInstance] }, { ...readHostCapacity(), memAvailableKiB: memBefore });

const down = await lvslab(['workshop', 'down', '--class', className, '--json']);
const file = writeResult('workshop', {
  method: 'see the header of bench/workshop.mjs',
  lab,
  students,
  parallel: parallel ? Number(parallel) : 'CPU count',
  classUpWallMs: Math.round(up.ms),
  studentsReady: ready.length,
  studentsAnsweringThroughVip: answering,
  readyMs: { median: median(ready.map((s) => s.readyMs)), max: Math.max(...ready.map((s) => s.readyMs)) },
  perInstance,
  perStudent: perStudent.map(({ pids, ...rest }) => rest),
  idleWindowS: Number(wallS.toFixed(2)),
  memAvailableBeforeKiB: memBefore,
  largestClass: estimate.largestClass,
  largestClassLimitedBy: estimate.limitedBy,
  downWallMs: Math.round(down.ms),
  downExit: down.status,
  loadBefore,
  loadAfter: loadavg(),
});
console.log(JSON.stringify({ file, classUpWallMs: Math.round(up.ms), ready: `${ready.length}/${students}`, answering, perInstance, largestClass: estimate.largestClass, limitedBy: estimate.limitedBy, downMs: Math.round(down.ms) }, null, 2));
