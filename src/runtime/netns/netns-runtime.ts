// The default runtime: each node is a network namespace on this host, links are veth
// pairs, and every L2 segment is a Linux bridge inside a namespace of the lab's own
// (`lvslab.<instance>._fabric`), so the host's firewall (e.g. Docker's FORWARD DROP with
// br_netfilter) never sees lab frames and the host namespace gets no interface at all.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, open, readFile, writeFile, chown, readdir, readlink, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { NodePaths, ResolvedLab } from '../../model/types.js';
import { run, runOk, type RunOptions, type RunResult } from '../../util/exec.js';
import { userIds } from '../../util/users.js';
import { LVSLAB_DIST } from '../../util/lvslab-dist.js';
import { removeInstanceDir } from '../../util/host-paths.js';
import { pollUntil } from '../../util/poll.js';
import { LvslabError } from '../../util/errors.js';
import type { CreatePlan, DaemonSpec, DestroyOptions, DestroyReport, NodeInspection, Runtime } from '../runtime.js';
import {
  derivedMac,
  fabricNamespace,
  fabricPortName,
  instanceDir,
  instanceOfNamespace,
  NETNS_PREFIX,
  nodeNamespace,
  RUN_ROOT,
} from './names.js';

export class NetnsRuntime implements Runtime {
  readonly kind = 'netns';
  readonly nodeFilesOnHost = true;

  // Everything netns needs is a host requirement (its registry entry, definition.ts), checked by `up`.
  async preflight(): Promise<void> {}

  nodePaths(instance: string, node: string): NodePaths {
    const base = `${instanceDir(instance)}/nodes/${node}`;
    return {
      base,
      conf: `${base}/conf`,
      run: `${base}/run`,
      log: `${base}/log`,
      frrVtyDir: `${base}/run/frr`,
      lvslab: { node: process.execPath, dist: LVSLAB_DIST },
    };
  }

  async create(lab: ResolvedLab, plan: CreatePlan): Promise<void> {
    const inst = lab.instance;
    const fabric = fabricNamespace(inst);
    // One `ip -batch` in the host namespace creates every namespace and every veth pair:
    // with `netns` on both ends the kernel creates each device directly inside its target
    // namespace, so no lab interface ever exists in the host namespace, even briefly.
    const hostBatch: string[] = [`netns add ${fabric}`];
    for (const node of lab.nodes) hostBatch.push(`netns add ${nodeNamespace(inst, node.name)}`);
    const fabricBatch: string[] = ['link set lo up'];
    lab.segments.forEach((seg, si) => {
      fabricBatch.push(`link add ${seg.name} type bridge stp_state 0 forward_delay 0 mcast_snooping 0`);
      fabricBatch.push(`link set ${seg.name} address ${derivedMac(`${inst}/bridge/${seg.name}`)} up`);
      seg.members.forEach((m, mi) => {
        const iface = ifaceOf(lab, m.node, m.iface);
        const port = fabricPortName(si, mi);
        hostBatch.push(
          `link add ${m.iface} netns ${nodeNamespace(inst, m.node)} address ${iface.mac} type veth ` +
            `peer name ${port} netns ${fabric} address ${derivedMac(`${inst}/port/${port}`)}`,
        );
        fabricBatch.push(`link set ${port} master ${seg.name}`, `link set ${port} up`);
      });
    });
    for (const link of lab.links) {
      const [a, b] = link.ends;
      hostBatch.push(
        `link add ${a.iface} netns ${nodeNamespace(inst, a.node)} address ${ifaceOf(lab, a.node, a.iface).mac} type veth ` +
          `peer name ${b.iface} netns ${nodeNamespace(inst, b.node)} address ${ifaceOf(lab, b.node, b.iface).mac}`,
      );
    }
    plan.onProgress?.(`creating ${lab.nodes.length} namespaces, ${lab.segments.length} segments, ${lab.links.length} links`);
    await ipBatch([], hostBatch);
    await ipBatch(['-n', fabric], fabricBatch);

    // Nodes are configured in parallel; each reports back as soon as its own network is up.
    await Promise.all(
      lab.nodes.map(async (node) => {
        const ns = nodeNamespace(inst, node.name);
        const sysctls = plan.sysctls(node.name);
        if (sysctls.length > 0) {
          await runOk(['ip', 'netns', 'exec', ns, 'sysctl', '-q', '-w', ...sysctls.map(([k, v]) => `${k}=${v}`)]);
        }
        await ipBatch(['-n', ns], plan.networkLines(node.name));
        await plan.onNodeNetworkReady?.(node.name);
      }),
    );
  }

  exec(instance: string, node: string, argv: readonly string[], opts?: RunOptions): Promise<RunResult> {
    return run(['ip', 'netns', 'exec', nodeNamespace(instance, node), ...argv], opts);
  }

  execInteractive(instance: string, node: string, argv: readonly string[]): Promise<number> {
    return new Promise((resolve) => {
      const child = spawn('ip', ['netns', 'exec', nodeNamespace(instance, node), ...argv], { stdio: 'inherit' });
      child.on('error', () => resolve(127));
      child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    });
  }

  // The netns runtime shares the host's filesystem: a node's paths are host paths.
  async writeFile(_instance: string, _node: string, path: string, content: string, opts: { owner?: string; mode?: number } = {}): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content, { mode: opts.mode ?? 0o644 });
    if (opts.owner) await chownTo(path, opts.owner);
  }

  async readFile(_instance: string, _node: string, path: string): Promise<string | undefined> {
    try {
      return await readFile(path, 'utf8');
    } catch {
      return undefined;
    }
  }

  async makeDirs(_instance: string, _node: string, dirs: ReadonlyArray<{ path: string; owner?: string }>): Promise<void> {
    for (const d of dirs) {
      await mkdir(d.path, { recursive: true });
      if (d.owner) await chownTo(d.path, d.owner);
    }
  }

  async startDaemon(instance: string, node: string, spec: DaemonSpec): Promise<void> {
    const ns = nodeNamespace(instance, node);
    const argv = withPrivateDirs(spec.privateDirs ?? [], spec.argv);
    if (spec.selfDaemonizing) {
      // The program forks into the background itself; the foreground part exits once it
      // has parsed its config, so a non-zero exit here is a real start failure.
      const r = await run(['ip', 'netns', 'exec', ns, ...argv], { timeoutMs: 15_000 });
      if (r.code !== 0) {
        throw new LvslabError(`${spec.name} did not start on ${node} (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`);
      }
      return;
    }
    // `ip netns exec` enters the namespace and execs the program, so the child's pid is the
    // daemon's. It is detached from lvslab (its own session, no pipes) and survives us.
    const logPath = spec.logFile ?? '/dev/null';
    await mkdir(dirname(logPath), { recursive: true });
    const log = await open(logPath, 'a');
    try {
      const child = spawn('ip', ['netns', 'exec', ns, ...argv], {
        detached: true,
        stdio: ['ignore', log.fd, log.fd],
      });
      const pid = await new Promise<number>((resolve, reject) => {
        child.once('error', reject);
        child.once('spawn', () => resolve(child.pid!));
      });
      child.unref();
      await writeFile(spec.pidFile, `${pid}\n`);
    } finally {
      await log.close();
    }
  }

  // A veth pair shares its carrier: the peer of a link goes NO-CARRIER with this end.
  async setCarrier(instance: string, node: string, iface: string, up: boolean): Promise<void> {
    await runOk(['ip', '-n', nodeNamespace(instance, node), 'link', 'set', 'dev', iface, up ? 'up' : 'down']);
  }

  async listInstances(): Promise<string[]> {
    const found = new Set<string>();
    for (const ns of await listNamespaces()) {
      const inst = instanceOfNamespace(ns);
      if (inst) found.add(inst);
    }
    try {
      for (const d of await readdir(RUN_ROOT)) found.add(d);
    } catch {
      // no instance directory at all
    }
    return [...found].sort();
  }

  async inspect(instance: string): Promise<NodeInspection[]> {
    const prefix = `${NETNS_PREFIX}${instance}.`;
    const out: NodeInspection[] = [];
    for (const ns of await listNamespaces()) {
      if (!ns.startsWith(prefix)) continue;
      const processes = [];
      for (const pid of await namespacePids(ns)) {
        const command = await readFile(`/proc/${pid}/comm`, 'utf8').then((s) => s.trim(), () => '?');
        processes.push({ pid, command });
      }
      out.push({ name: ns.slice(prefix.length), handle: ns, running: true, processes });
    }
    return out;
  }

  async destroy(instance: string, opts: DestroyOptions = {}): Promise<DestroyReport> {
    const prefix = `${NETNS_PREFIX}${instance}.`;
    const namespaces = (await listNamespaces()).filter((ns) => ns.startsWith(prefix));
    // Every process living in the lab's namespaces (FRR, nginx, keepalived, the health
    // checker, traffic generators — and anything a user started with `lvslab exec`) is found
    // by its network namespace, in rounds: a daemon that forks into the background, or a
    // start that a killed `up` left in flight, can enter a namespace after a round's scan.
    // Deleting the namespaces stops new arrivals by name; whatever entered before is still
    // found by the namespace's inode, which outlives the name while a process holds it.
    const inodes = await namespaceInodes(namespaces);
    const killed = new Set<number>();
    let deleted = namespaces.length === 0;
    const deadline = Date.now() + SWEEP_DEADLINE_MS;
    for (;;) {
      const pids = await processesInNamespaces(inodes);
      pids.forEach((p) => killed.add(p));
      if (pids.length > 0) await terminate(pids);
      if (!deleted) {
        // Deleting a namespace destroys its interfaces, veth peers and bridges with it.
        await ipBatch([], namespaces.map((ns) => `netns del ${ns}`), { tolerant: true });
        deleted = true;
        continue;
      }
      if (pids.length === 0) break;
      if (Date.now() > deadline) {
        throw new LvslabError(`down ${instance}: processes ${pids.join(', ')} are still in the lab's namespaces after ${SWEEP_DEADLINE_MS / 1000} s; run down again`);
      }
    }
    return {
      instance,
      killedProcesses: killed.size,
      removedNodes: namespaces.map((ns) => ns.slice(prefix.length)),
      // Only now, with every process and namespace gone: the record is how a later down finds leftovers.
      removedPaths: opts.keepInstanceDir ? [] : await removeInstanceDir(instance),
    };
  }
}

/**
 * Nodes share the host's filesystem here: directories a daemon writes outside its node's
 * paths get node-private copies bound over them, inside the private mount namespace that
 * `ip netns exec` creates for each process. The script text depends only on how many
 * directories there are; paths and argv travel as positional parameters, never as text.
 */
function withPrivateDirs(dirs: ReadonlyArray<{ over: string; source: string }>, argv: readonly string[]): string[] {
  if (dirs.length === 0) return [...argv];
  const mounts = dirs.map((_, i) => `mount --bind "$${2 * i + 1}" "$${2 * i + 2}"`).join(' && ');
  const script = `${mounts} && shift ${2 * dirs.length} && exec "$@"`;
  return ['sh', '-c', script, 'lvslab-private-dirs', ...dirs.flatMap((d) => [d.source, d.over]), ...argv];
}

function ifaceOf(lab: ResolvedLab, node: string, iface: string) {
  const i = lab.nodes.find((n) => n.name === node)?.interfaces.find((x) => x.name === iface);
  if (!i) throw new Error(`internal: ${node}:${iface} is not in the resolved lab`);
  return i;
}

async function ipBatch(globalArgs: string[], lines: string[], opts: { tolerant?: boolean } = {}): Promise<void> {
  if (lines.length === 0) return;
  const argv = ['ip', ...globalArgs, ...(opts.tolerant ? ['-force'] : []), '-batch', '-'];
  const r = await run(argv, { input: lines.join('\n') + '\n' });
  if (r.code !== 0 && !opts.tolerant) {
    throw new LvslabError(`ip ${globalArgs.join(' ')} -batch failed: ${r.stderr.trim()}`);
  }
}

async function listNamespaces(): Promise<string[]> {
  // /run/netns holds one bind-mount file per named namespace; reading it is faster and
  // more robust than parsing `ip netns list`.
  try {
    return (await readdir('/run/netns')).sort();
  } catch {
    return [];
  }
}

async function namespacePids(ns: string): Promise<number[]> {
  const r = await run(['ip', 'netns', 'pids', ns]);
  return r.stdout
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)
    .filter((p) => Number.isInteger(p) && p > 1 && p !== process.pid);
}

/** How long down keeps sweeping a lab's namespaces for processes before it gives up. */
const SWEEP_DEADLINE_MS = 30_000;

/** What /proc/PID/ns/net links to for a process in each of these named namespaces. */
async function namespaceInodes(namespaces: string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (const ns of namespaces) {
    try {
      out.add(`net:[${(await stat(`/run/netns/${ns}`)).ino}]`);
    } catch {
      // deleted meanwhile (another down)
    }
  }
  return out;
}

/** Every live process whose network namespace is one of `inodes` (one scan of /proc). */
async function processesInNamespaces(inodes: Set<string>): Promise<number[]> {
  if (inodes.size === 0) return [];
  const out: number[] = [];
  for (const entry of await readdir('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) continue;
    try {
      // A zombie's links are unreadable: it holds no namespace any more and counts as gone.
      if (inodes.has(await readlink(`/proc/${pid}/ns/net`))) out.push(pid);
    } catch {
      // exited while we looked, or a zombie
    }
  }
  return out;
}

/** SIGTERM, a second to exit cleanly, then SIGKILL for the rest. */
async function terminate(pids: number[]): Promise<void> {
  signalAll(pids, 'SIGTERM');
  const gone = await pollUntil(async () => ({ done: pids.every((p) => !alive(p)), value: null }), { timeoutMs: 1000, intervalMs: 20 });
  if (gone.ok) return;
  signalAll(pids.filter(alive), 'SIGKILL');
  await pollUntil(async () => ({ done: pids.every((p) => !alive(p)), value: null }), { timeoutMs: 2000, intervalMs: 20 });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie still answers signal 0; treat it as gone (its namespace reference is released).
    return !isZombie(pid);
  } catch {
    return false;
  }
}

function isZombie(pid: number): boolean {
  try {
    // Synchronous: alive() is used inside predicates, and /proc reads are cheap.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return /\) Z /.test(stat);
  } catch {
    return false;
  }
}

function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const p of pids) {
    try {
      process.kill(p, signal);
    } catch {
      // already gone
    }
  }
}

async function chownTo(path: string, user: string): Promise<void> {
  const { uid, gid } = await userIds(user);
  await chown(path, uid, gid);
}
