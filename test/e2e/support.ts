// Helpers for the end-to-end suite: run the built CLI exactly as a user would, look at the
// host the way an auditor would (what exists before and after), and send bounded request
// loops from inside a lab's client namespaces.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { run, type RunResult } from '../../src/util/exec.js';
import { detectIpvs } from '../../src/dataplane/detect.js';
import { pollUntil, readUntilStable } from '../../src/util/poll.js';
import { nodeNamespace } from '../../src/runtime/netns/names.js';
import { engine, engineAvailable } from '../../src/docker/engine.js';
import { instanceFilter } from '../../src/runtime/docker/names.js';
import { loadRecipe } from '../../src/images/recipe.js';
import { imageSize } from '../../src/images/build.js';
import type { RequestRecord } from '../../src/experiment/types.js';
import { runSlowdown } from '../support/calibration.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));

/**
 * How many times slower this run's machine is than the host the suites' budgets were set
 * on: 1 on the host itself, measured at the start of an IPVS VM run (test/support/calibration.ts).
 * Budgets that only processing speed sets (how long a command may take, a poll's deadline)
 * grow by it; bounds that protocol timers set (the dead interval, keepalived's timing) do not.
 */
export const SLOWDOWN = runSlowdown();

/** A host time budget widened by this machine's measured slowdown. */
export function scaledMs(hostMs: number): number {
  return Math.round(hostMs * SLOWDOWN);
}

/**
 * A request rate of the host's for this run's machine. The built-in experiments' rates use
 * under 5 % of one host core (the generator sustains 5,000 new connections/s per core,
 * bench/traffic.mjs); divided by half the measured slowdown they use under 10 % of a core of
 * the VM, so the emulated clients' own timeouts stay out of the failure's figures (at a
 * quarter, with one host core busy, distribution's clients fell behind their schedule).
 */
export function rateForThisCpu(hostRate: number): number {
  return SLOWDOWN <= 1 ? hostRate : Math.min(hostRate, Math.max(10, Math.round((hostRate * 2) / SLOWDOWN)));
}

const CLI = `${REPO}dist/cli/main.js`;

/** Runs `lvslab ARGS...` (the built CLI; `npm test` builds first), with extra environment if given. */
export function lvslab(args: string[], opts: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<RunResult> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  return run([process.execPath, CLI, ...args], { timeoutMs: scaledMs(opts.timeoutMs ?? 120_000), ...(opts.env ? { env: { ...process.env, ...opts.env } } : {}) });
}

/** The dataplane this host must run: LVSLAB_EXPECT_DATAPLANE (the VM suite sets ipvs), else what the kernel offers. */
export async function expectedDataplane(): Promise<'ipvs' | 'nftables'> {
  const forced = process.env.LVSLAB_EXPECT_DATAPLANE;
  if (forced === 'ipvs' || forced === 'nftables') return forced;
  return (await detectIpvs()).available ? 'ipvs' : 'nftables';
}

/**
 * Everything on the host a lab could leave behind: lvslab namespaces, host-namespace
 * links, routes and rules, processes started for a lab (their command lines name
 * /run/lvslab), and files in the directories lvslab and FRR write to.
 */
export interface HostSnapshot {
  namespaces: string[];
  /** Containers and networks carrying lvslab's instance label (when an engine runs). */
  dockerObjects: string[];
  hostLinks: string[];
  hostRoutes: string[];
  hostRules: string[];
  labProcesses: string[];
  files: string[];
}

export async function hostSnapshot(): Promise<HostSnapshot> {
  const namespaces = existsSync('/run/netns') ? readdirSync('/run/netns').filter((n) => n.startsWith('lvslab.')).sort() : [];
  const links = JSON.parse((await run(['ip', '-j', 'link', 'show'])).stdout || '[]') as Array<{ ifname: string }>;
  // A route line carries its link's carrier state ("linkdown"): a bridge that was there
  // before, and lost its last port meanwhile (another program's container stopping), would
  // otherwise show its unchanged routes as new ones (seen in CI: fe80::/64 and ff00::/8 of a
  // br- bridge present in both snapshots).
  const routes = (await run(['ip', 'route', 'show', 'table', 'all'])).stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => l.replace(/ linkdown\b/g, ''))
    .sort();
  const rules = (await run(['ip', 'rule', 'show'])).stdout.split('\n').filter(Boolean).sort();
  return {
    namespaces,
    dockerObjects: await dockerObjects(),
    hostLinks: links.map((l) => l.ifname).sort(),
    hostRoutes: routes,
    hostRules: rules,
    labProcesses: labProcesses(),
    files: [...listTree('/run/lvslab'), ...listTree('/run/frr'), ...listTree('/var/tmp/frr')].sort(),
  };
}

async function dockerObjects(): Promise<string[]> {
  const docker = engine();
  if (!(await engineAvailable(docker))) return [];
  const filters = instanceFilter();
  const containers = await docker.listContainers({ all: true, filters });
  const networks = await docker.listNetworks({ filters });
  return [...containers.map((c) => `container ${c.Names[0]}`), ...networks.map((n) => `network /${n.Name}`)].sort();
}

function labProcesses(): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      if (cmd.includes('/run/lvslab/')) out.push(`${pid} ${cmd}`);
    } catch {
      // exited while we looked
    }
  }
  return out.sort();
}

function listTree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = `${d}/${e.name}`;
      out.push(p);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

/**
 * Whether a request was open across a route change: started no later than the change and
 * still waiting at `from` (the step that caused it). Such a connection may be reset or lost
 * when the multipath hash moves its later packets to a next hop that never saw it.
 */
export function inFlightAt(r: Pick<RequestRecord, 't' | 'latencyMs'>, from: number, routeChange: number): boolean {
  return r.t <= routeChange && r.t + r.latencyMs >= from;
}

/**
 * What appeared on the host between two snapshots (anything in `after` that was not in
 * `before`). Things that disappeared are ignored: other programs on a developer's machine
 * may clean up their own files meanwhile; a lab can only leave things behind.
 */
export function leftovers(before: HostSnapshot, after: HostSnapshot, instances: string[], foreignLinks: ReadonlySet<string> = new Set()): Partial<HostSnapshot> {
  // Objects of other lvslab instances (a developer's own lab running meanwhile) are not ours
  // to judge; everything else on the host is.
  // Host links another instance's Docker networks made (foreignDockerLinks), and their routes.
  const foreignLink = (x: string) => foreignLinks.has(x) || [...foreignLinks].some((l) => x.includes(` dev ${l} `));
  const otherInstance = (x: string) => {
    if (foreignLink(x)) return true;
    // A class record belongs to the class's instances (ws-CLASS-STUDENT).
    const cls = /\/run\/lvslab\/_workshops\/([a-z0-9-]+)/.exec(x)?.[1];
    if (cls !== undefined) return !instances.some((i) => i.startsWith(`ws-${cls}-`));
    const m = /lvslab\.([a-z0-9-]+)\.|\/run\/lvslab\/([a-z0-9-]+)/.exec(x);
    const inst = m?.[1] ?? m?.[2];
    return inst !== undefined && !instances.includes(inst);
  };
  const out: Partial<HostSnapshot> = {};
  for (const key of Object.keys(after) as Array<keyof HostSnapshot>) {
    const had = new Set(before[key]);
    const fresh = after[key].filter((x) => !had.has(x) && !otherInstance(x));
    if (fresh.length > 0) out[key] = fresh;
  }
  return out;
}

/**
 * Host links that belong to other lvslab instances' Docker networks: each network's bridge
 * (br-<first 12 of its id>) and the veths enslaved to it. Their names carry no instance
 * name, so `leftovers` cannot tell them from a lab's own without this (another engineer's
 * Docker lab coming up during a netns suite's run).
 */
export async function foreignDockerLinks(instances: string[]): Promise<Set<string>> {
  const docker = engine();
  if (!(await engineAvailable(docker))) return new Set();
  const bridges = new Set(
    (await docker.listNetworks({ filters: instanceFilter() }))
      .filter((n) => !instances.includes(n.Labels?.['io.lvslab.instance'] ?? ''))
      .map((n) => `br-${n.Id.slice(0, 12)}`),
  );
  const links = JSON.parse((await run(['ip', '-j', 'link', 'show'])).stdout || '[]') as Array<{ ifname: string; master?: string }>;
  return new Set(links.filter((l) => bridges.has(l.ifname) || (l.master !== undefined && bridges.has(l.master))).map((l) => l.ifname));
}

/**
 * Reads director counters until `done` holds. Kernel IPVS publishes its statistics
 * (`ipvsadm --stats`) from an estimator that runs about every 2 s, so a reading taken right
 * after the requests can lag; the fallback's nft counters are immediate.
 */
export async function pollCounters<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 6000): Promise<T> {
  const r = await pollUntil(async () => {
    const value = await read();
    return { done: done(value), value };
  }, { timeoutMs, intervalMs: 250 });
  return r.value as T;
}

/**
 * A baseline reading of counters that is not stale: read until the value has not changed
 * for longer than one IPVS estimator period (immediate on the nft fallback, whose
 * counters are exact at once — pass settleMs 0 there).
 */
export async function stableCounters<T>(read: () => Promise<T>, settleMs: number): Promise<T> {
  if (settleMs === 0) return read();
  return (await readUntilStable(read, settleMs, { timeoutMs: settleMs * 4 + 2000, intervalMs: 300 })).value as T;
}

/** How long an IPVS counter reading can lag (its estimator runs about every 2 s). */
export function counterSettleMs(dataplane: 'ipvs' | 'nftables'): number {
  return dataplane === 'ipvs' ? 4500 : 0;
}

export interface RequestTally {
  /** real server name (from the X-Real-Server response header) -> hits */
  hits: Record<string, number>;
  failures: number;
  total: number;
}

/**
 * Sends `count` HTTP requests from a client node to url, each on a new TCP connection
 * (Connection: close), in one curl process: bounded in count and time (1 s per request).
 */
export async function requestLoop(instance: string, client: string, url: string, count: number, exec: NodeExec = netnsExec(instance, client)): Promise<RequestTally> {
  // One line per request: "<http code>|<X-Real-Server header>"; bodies are discarded.
  const args = ['-s', '--max-time', '1', '-H', 'Connection: close', '-w', '%{http_code}|%header{x-real-server}\\n'];
  for (let i = 0; i < count; i++) args.push('-o', '/dev/null', url); // -o binds to one URL each
  // curl keeps going after a failed transfer and prints one line per URL either way.
  const r = await exec(['curl', ...args], count * 1500 + 5000);
  const tally: RequestTally = { hits: {}, failures: 0, total: count };
  const lines = r.stdout.split('\n').filter((l) => l.includes('|'));
  for (const line of lines) {
    const [code, server] = line.split('|');
    if (code === '200' && server) tally.hits[server] = (tally.hits[server] ?? 0) + 1;
    else tally.failures++;
  }
  tally.failures += Math.max(0, count - lines.length);
  return tally;
}

/** Runs a command inside one lab node. */
export type NodeExec = (argv: string[], timeoutMs: number) => Promise<RunResult>;

export function netnsExec(instance: string, node: string): NodeExec {
  return (argv, timeoutMs) => run(['ip', 'netns', 'exec', nodeNamespace(instance, node), ...argv], { timeoutMs });
}

/** Through `lvslab exec`, as a user would: works on every runtime. */
export function cliExec(instance: string, node: string): NodeExec {
  return (argv, timeoutMs) => lvslab(['exec', '--name', instance, node, '--', ...argv], { timeoutMs });
}

export function addTallies(a: RequestTally, b: RequestTally): RequestTally {
  const hits = { ...a.hits };
  for (const [k, v] of Object.entries(b.hits)) hits[k] = (hits[k] ?? 0) + v;
  return { hits, failures: a.failures + b.failures, total: a.total + b.total };
}

/**
 * Whether a suite that needs a Docker engine and the node image runs here. scripts/test.sh
 * sets LVSLAB_DOCKER_TESTS=require: there a missing engine or image fails the suite
 * (`missing` is thrown in its beforeAll); elsewhere (the IPVS VM has no Docker) it is skipped
 * with a visible warning.
 */
export async function dockerSuiteGate(suite: string): Promise<{ skip: boolean; missing?: string }> {
  const required = process.env.LVSLAB_DOCKER_TESTS === 'require';
  const engineUp = await engineAvailable();
  const recipe = await loadRecipe();
  const imageBuilt = engineUp && (await imageSize(engine(), recipe.image)) !== undefined;
  const missing = !engineUp ? 'no Docker engine answers' : !imageBuilt ? `${recipe.image} is not built (lvslab images build)` : undefined;
  if (missing && !required) console.warn(`${suite} skipped: ${missing}`);
  return { skip: missing !== undefined && !required, missing };
}

