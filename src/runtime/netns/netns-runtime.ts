// The default runtime: each node is a network namespace on the lab host (this machine, or
// one reached over SSH: every command and file goes through its LabHost), links are veth
// pairs, and every L2 segment is a Linux bridge inside a namespace of the lab's own
// (`lvslab.<instance>._fabric`), so the host's firewall (e.g. Docker's FORWARD DROP with
// br_netfilter) never sees lab frames and the host namespace gets no interface at all.
import type { NodePaths, ResolvedLab } from '../../model/types.js';
import type { RunOptions, RunResult } from '../../util/exec.js';
import { LVSLAB_DIST, LVSLAB_PACKAGE_DIR, distBelow } from '../../util/lvslab-dist.js';
import { removeInstanceDir } from '../../util/host-paths.js';
import { pollUntil } from '../../util/poll.js';
import { LvslabError } from '../../util/errors.js';
import { isValidInstanceName } from '../../model/names.js';
import { runOkOn, type LabHost } from '../../host/host.js';
import { localHost } from '../../host/local.js';
import { packLvslab } from '../../host/lvslab-package.js';
import { removeInstanceFilesOn } from '../../host/instance-files.js';
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

  /** `host`: where the namespaces are, this machine or one reached over SSH (--host). */
  constructor(readonly host: LabHost = localHost) {}

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
      // A remote host runs its own Node.js (doctor checks it) and the copy of lvslab's
      // programs that create() puts in the instance directory.
      lvslab: this.host.remote ? { node: 'node', dist: distBelow(remoteLvslabDir(instance)) } : { node: process.execPath, dist: LVSLAB_DIST },
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
    if (this.host.remote) {
      plan.onProgress?.(`copying lvslab's programs to ${this.host.label}`);
      await this.host.makeDirs([{ path: remoteLvslabDir(inst) }]);
      await runOkOn(this.host, ['tar', '-x', '-C', remoteLvslabDir(inst)], { input: await packLvslab(), timeoutMs: 120_000 });
    }
    plan.onProgress?.(`creating ${lab.nodes.length} namespaces, ${lab.segments.length} segments, ${lab.links.length} links`);
    await this.ipBatch([], hostBatch);
    await this.ipBatch(['-n', fabric], fabricBatch);

    // Nodes are configured in parallel; each reports back as soon as its own network is up.
    await Promise.all(
      lab.nodes.map(async (node) => {
        const ns = nodeNamespace(inst, node.name);
        const sysctls = plan.sysctls(node.name);
        if (sysctls.length > 0) {
          await runOkOn(this.host, ['ip', 'netns', 'exec', ns, 'sysctl', '-q', '-w', ...sysctls.map(([k, v]) => `${k}=${v}`)]);
        }
        await this.ipBatch(['-n', ns], plan.networkLines(node.name));
        await plan.onNodeNetworkReady?.(node.name);
      }),
    );
  }

  exec(instance: string, node: string, argv: readonly string[], opts?: RunOptions): Promise<RunResult> {
    return this.host.run(['ip', 'netns', 'exec', nodeNamespace(instance, node), ...argv], opts);
  }

  execInteractive(instance: string, node: string, argv: readonly string[]): Promise<number> {
    return this.host.runInteractive(['ip', 'netns', 'exec', nodeNamespace(instance, node), ...argv]);
  }

  // Nodes share the host's filesystem: a node's paths are the host's paths.
  async writeFile(_instance: string, _node: string, path: string, content: string, opts: { owner?: string; mode?: number } = {}): Promise<void> {
    await this.host.writeFile(path, content, opts);
  }

  async readFile(_instance: string, _node: string, path: string): Promise<string | undefined> {
    return (await this.host.readFile(path))?.toString('utf8');
  }

  async makeDirs(_instance: string, _node: string, dirs: ReadonlyArray<{ path: string; owner?: string }>): Promise<void> {
    await this.host.makeDirs(dirs);
  }

  async startDaemon(instance: string, node: string, spec: DaemonSpec): Promise<void> {
    const argv = ['ip', 'netns', 'exec', nodeNamespace(instance, node), ...withPrivateDirs(spec.privateDirs ?? [], spec.argv)];
    if (spec.selfDaemonizing) {
      // The program forks into the background itself; the foreground part exits once it
      // has parsed its config, so a non-zero exit here is a real start failure.
      const r = await this.host.run(argv, { timeoutMs: 15_000 });
      if (r.code !== 0) {
        throw new LvslabError(`${spec.name} did not start on ${node} (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`);
      }
      return;
    }
    // `ip netns exec` enters the namespace and execs the program, so the detached child's
    // pid is the daemon's.
    const pid = await this.host.spawnDetached(argv, spec.logFile ?? '/dev/null');
    await this.host.writeFile(spec.pidFile, `${pid}\n`);
  }

  // A veth pair shares its carrier: the peer of a link goes NO-CARRIER with this end.
  async setCarrier(instance: string, node: string, iface: string, up: boolean): Promise<void> {
    await runOkOn(this.host, ['ip', '-n', nodeNamespace(instance, node), 'link', 'set', 'dev', iface, up ? 'up' : 'down']);
  }

  async listInstances(): Promise<string[]> {
    const found = new Set<string>();
    for (const ns of await this.namespaces()) {
      const inst = instanceOfNamespace(ns);
      if (inst) found.add(inst);
    }
    // Only instance-shaped names: /run/lvslab also holds lvslab's own records that are no
    // instance (the workshops' class records under _workshops, src/workshop/class-record.ts).
    for (const d of await this.host.readdir(RUN_ROOT)) if (isValidInstanceName(d)) found.add(d);
    return [...found].sort();
  }

  async inspect(instance: string): Promise<NodeInspection[]> {
    const prefix = `${NETNS_PREFIX}${instance}.`;
    const out: NodeInspection[] = [];
    for (const ns of await this.namespaces()) {
      if (!ns.startsWith(prefix)) continue;
      out.push({ name: ns.slice(prefix.length), handle: ns, running: true, processes: await this.processesOf(ns) });
    }
    return out;
  }

  async destroy(instance: string, opts: DestroyOptions = {}): Promise<DestroyReport> {
    const prefix = `${NETNS_PREFIX}${instance}.`;
    const namespaces = (await this.namespaces()).filter((ns) => ns.startsWith(prefix));
    // Every process living in the lab's namespaces (FRR, nginx, keepalived, the health
    // checker, traffic generators — and anything a user started with `lvslab exec`) is found
    // by its network namespace, in rounds: a daemon that forks into the background, or a
    // start that a killed `up` left in flight, can enter a namespace after a round's scan.
    // Deleting the namespaces stops new arrivals by name; whatever entered before is still
    // found by the namespace's inode, which outlives the name while a process holds it.
    const inodes = await this.namespaceInodes(namespaces);
    const killed = new Set<number>();
    let deleted = namespaces.length === 0;
    const deadline = Date.now() + SWEEP_DEADLINE_MS;
    for (;;) {
      const pids = await this.processesInNamespaces(inodes);
      pids.forEach((p) => killed.add(p));
      if (pids.length > 0) await this.terminate(pids, inodes);
      if (!deleted) {
        // Deleting a namespace destroys its interfaces, veth peers and bridges with it.
        await this.ipBatch([], namespaces.map((ns) => `netns del ${ns}`), { tolerant: true });
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
      // On a remote host the record is this machine's: it goes here, unless the caller removes it itself.
      removedPaths: [...(this.host.remote ? await removeInstanceFilesOn(this.host, instance) : []), ...(opts.keepInstanceDir ? [] : await removeInstanceDir(instance))],
    };
  }

  private async ipBatch(globalArgs: string[], lines: string[], opts: { tolerant?: boolean } = {}): Promise<void> {
    if (lines.length === 0) return;
    const argv = ['ip', ...globalArgs, ...(opts.tolerant ? ['-force'] : []), '-batch', '-'];
    const r = await this.host.run(argv, { input: lines.join('\n') + '\n' });
    if (r.code !== 0 && !opts.tolerant) {
      throw new LvslabError(`ip ${globalArgs.join(' ')} -batch failed: ${r.stderr.trim()}`);
    }
  }

  /** /run/netns holds one bind-mount file per named namespace: listing it beats parsing `ip netns list`. */
  private async namespaces(): Promise<string[]> {
    return (await this.host.readdir('/run/netns')).sort();
  }

  private async processesOf(ns: string): Promise<Array<{ pid: number; command: string }>> {
    const pids = parsePids((await this.host.run(['ip', 'netns', 'pids', ns])).stdout);
    if (pids.length === 0) return [];
    const ps = await this.host.run(['ps', '-o', 'pid=,comm=', '-p', pids.join(',')]);
    const names = new Map(ps.stdout.split('\n').map((l) => /^\s*(\d+)\s+(.*)$/.exec(l)).filter((m) => m !== null).map((m) => [Number(m![1]), m![2]!.trim()] as const));
    return pids.map((pid) => ({ pid, command: names.get(pid) ?? '?' }));
  }

  /** What /proc/PID/ns/net links to for a process in each of these named namespaces. */
  private async namespaceInodes(namespaces: string[]): Promise<Set<string>> {
    if (namespaces.length === 0) return new Set();
    // Missing ones (deleted meanwhile by another down) are left out by stat.
    const r = await this.host.run(['stat', '-c', '%i', ...namespaces.map((ns) => `/run/netns/${ns}`)]);
    return new Set(r.stdout.split(/\s+/).filter(Boolean).map((ino) => `net:[${ino}]`));
  }

  /** Every live process whose network namespace is one of `inodes` (one scan of /proc). */
  private async processesInNamespaces(inodes: Set<string>): Promise<number[]> {
    if (inodes.size === 0) return [];
    // Exits while find runs only cost a message; a zombie's link is unreadable, so a zombie
    // (which holds no namespace any more) counts as gone.
    const r = await this.host.run(['sh', '-c', SCAN_NETWORK_NAMESPACES]);
    const out: number[] = [];
    for (const line of r.stdout.split('\n')) {
      const m = /^\/proc\/(\d+)\/ns\/net (\S+)$/.exec(line);
      if (!m || !inodes.has(m[2]!)) continue;
      const pid = Number(m[1]);
      if (pid > 1 && !(pid === process.pid && !this.host.remote)) out.push(pid);
    }
    return out;
  }

  /** SIGTERM, a second to exit cleanly, then SIGKILL for the rest. */
  private async terminate(pids: number[], inodes: Set<string>): Promise<void> {
    const remaining = async () => {
      const live = new Set(await this.processesInNamespaces(inodes));
      return pids.filter((p) => live.has(p));
    };
    await this.host.run(['kill', '-TERM', ...pids.map(String)]);
    const gone = await pollUntil(async () => ({ done: (await remaining()).length === 0, value: null }), { timeoutMs: 1000, intervalMs: 20 });
    if (gone.ok) return;
    const left = await remaining();
    if (left.length > 0) await this.host.run(['kill', '-KILL', ...left.map(String)]);
    await pollUntil(async () => ({ done: (await remaining()).length === 0, value: null }), { timeoutMs: 2000, intervalMs: 20 });
  }
}

/** How long down keeps sweeping a lab's namespaces for processes before it gives up. */
const SWEEP_DEADLINE_MS = 30_000;

/** Where a remote host keeps the copy of lvslab's package (dist/ and package.json) for an instance's nodes. */
function remoteLvslabDir(instance: string): string {
  return `${instanceDir(instance)}/lvslab`;
}

/** Each process's network namespace, as `/proc/PID/ns/net net:[INODE]` lines (fixed text: no input). */
const SCAN_NETWORK_NAMESPACES = 'exec find /proc/[0-9]*/ns/net -maxdepth 0 -printf "%p %l\\n" 2>/dev/null';

function parsePids(text: string): number[] {
  return text
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)
    .filter((p) => Number.isInteger(p) && p > 1);
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

