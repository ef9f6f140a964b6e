// Does a class fit on this host? The cost of one student's lab comes from a measurement
// (bench/workshop.mjs, its result under bench/results/workshop-*.json), never from a guess;
// the host's side from /proc (MemAvailable, pid_max, the processes running) and its CPU
// count. A lab the benchmark did not measure is estimated from the measured lab's cost per
// node, and the estimate says so.
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

export const BENCH_RESULTS_DIR = fileURLToPath(new URL('../../bench/results/', import.meta.url));

/** What bench/workshop.mjs measured for one student's lab (see its header for the methods). */
export interface MeasuredInstanceCost {
  lab: string;
  nodes: number;
  /** Sum of VmRSS of the instance's processes, median over the class, KiB. */
  rssKiB: number;
  /** Drop of the host's MemAvailable per instance (kernel objects included), KiB. */
  memAvailableDropKiB: number;
  processes: number;
  /** CPU time its processes use per second of wall time while idle (1 = one core). */
  idleCpuCores: number;
}

export interface BenchmarkCosts {
  file: string;
  at: string;
  perInstance: MeasuredInstanceCost[];
}

export interface HostCapacity {
  memAvailableKiB: number;
  cpuCount: number;
  pidMax: number;
  processesRunning: number;
}

/** Fractions of the host a class may take: the rest is for the host, the students' commands and traffic. */
export const HEADROOM = { memory: 0.8, cpu: 0.5, pids: 0.5 } as const;

export interface CapacityEstimate {
  students: number;
  /** How the per-instance cost was obtained ("measured on ospf-ecmp …" or "estimated from …"). */
  basis: string;
  perInstance: { memoryKiB: number; processes: number; idleCpuCores: number };
  needs: { memoryKiB: number; processes: number; idleCpuCores: number };
  host: HostCapacity;
  /** The largest class of this lab that fits, and the first resource that limits it. */
  largestClass: number;
  limitedBy: string;
  /** Each resource that does not fit, in words with the numbers. */
  shortfalls: string[];
}

/** The newest workshop benchmark result, or undefined when none was recorded. */
export function latestBenchmark(dir: string = BENCH_RESULTS_DIR): BenchmarkCosts | undefined {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => /^workshop-.*\.json$/.test(f)).sort();
  } catch {
    return undefined;
  }
  for (const f of files.reverse()) {
    try {
      const r = JSON.parse(readFileSync(`${dir}${f}`, 'utf8')) as { at?: string; perInstance?: MeasuredInstanceCost };
      if (r.perInstance && typeof r.perInstance.rssKiB === 'number') return { file: `${dir}${f}`, at: String(r.at), perInstance: [r.perInstance] };
    } catch {
      // an unreadable result is skipped: the next newest one serves
    }
  }
  return undefined;
}

export function readHostCapacity(): HostCapacity {
  const meminfo = readFileSync('/proc/meminfo', 'utf8');
  const memAvailableKiB = Number(/^MemAvailable:\s+(\d+) kB/m.exec(meminfo)?.[1] ?? 0);
  const pidMax = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8').trim());
  const processesRunning = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).length;
  return { memAvailableKiB, cpuCount: cpus().length, pidMax, processesRunning };
}

const mib = (kib: number): string => `${(kib / 1024).toFixed(0)} MiB`;

/** The estimate for a class of `students` instances of a lab of `nodes` nodes (pure). */
export function estimateCapacity(lab: { name: string; nodes: number }, students: number, bench: BenchmarkCosts, host: HostCapacity): CapacityEstimate {
  const same = bench.perInstance.find((p) => p.lab === lab.name);
  const ref = same ?? bench.perInstance[0]!;
  const scale = same ? 1 : lab.nodes / ref.nodes;
  const basis = same
    ? `measured on ${ref.lab} by bench/workshop.mjs (${bench.at})`
    : `estimated from ${ref.lab}'s measured cost per node (${ref.nodes} nodes; this lab has ${lab.nodes}), bench/workshop.mjs ${bench.at}`;
  const per = {
    memoryKiB: Math.ceil(Math.max(ref.rssKiB, ref.memAvailableDropKiB) * scale),
    processes: Math.ceil(ref.processes * scale),
    idleCpuCores: ref.idleCpuCores * scale,
  };
  const needs = { memoryKiB: per.memoryKiB * students, processes: per.processes * students, idleCpuCores: per.idleCpuCores * students };
  const memBudget = host.memAvailableKiB * HEADROOM.memory;
  const pidBudget = host.pidMax * HEADROOM.pids - host.processesRunning;
  const cpuBudget = host.cpuCount * HEADROOM.cpu;
  const fits = [
    { what: 'memory', n: Math.floor(memBudget / Math.max(1, per.memoryKiB)) },
    { what: 'processes', n: Math.floor(pidBudget / Math.max(1, per.processes)) },
    { what: 'CPU', n: per.idleCpuCores > 0 ? Math.floor(cpuBudget / per.idleCpuCores) : Number.MAX_SAFE_INTEGER },
  ].sort((a, b) => a.n - b.n);
  const shortfalls: string[] = [];
  if (needs.memoryKiB > memBudget) shortfalls.push(`memory: ${students} × ${mib(per.memoryKiB)} = ${mib(needs.memoryKiB)} needed, ${mib(memBudget)} usable (${HEADROOM.memory * 100} % of MemAvailable ${mib(host.memAvailableKiB)})`);
  if (needs.processes > pidBudget) shortfalls.push(`processes: ${students} × ${per.processes} = ${needs.processes} needed, ${Math.floor(pidBudget)} usable (${HEADROOM.pids * 100} % of pid_max ${host.pidMax}, ${host.processesRunning} running)`);
  if (needs.idleCpuCores > cpuBudget) shortfalls.push(`CPU: ${students} × ${per.idleCpuCores.toFixed(3)} cores while idle = ${needs.idleCpuCores.toFixed(2)} cores needed, ${cpuBudget} usable (${HEADROOM.cpu * 100} % of ${host.cpuCount} CPUs)`);
  return { students, basis, perInstance: per, needs, host, largestClass: Math.max(0, fits[0]!.n), limitedBy: fits[0]!.what, shortfalls };
}

export function formatEstimate(e: CapacityEstimate): string {
  return [
    `class of ${e.students}: ${mib(e.needs.memoryKiB)} memory, ${e.needs.processes} processes, ${e.needs.idleCpuCores.toFixed(2)} CPU cores while idle`,
    `  per student: ${mib(e.perInstance.memoryKiB)}, ${e.perInstance.processes} processes, ${e.perInstance.idleCpuCores.toFixed(3)} cores (${e.basis})`,
    `  host: MemAvailable ${mib(e.host.memAvailableKiB)}, ${e.host.cpuCount} CPUs, pid_max ${e.host.pidMax} (${e.host.processesRunning} processes running)`,
    `  largest class this host holds now: ${e.largestClass} (limited by ${e.limitedBy})`,
  ].join('\n');
}
