// The Docker runtime: one container per node (the lvslab/node image), one Docker bridge
// network per lab segment and per point-to-point link, all through the engine's API
// (dockerode). Everything above the Runtime interface — rendering, daemons, readiness,
// experiments — is the same as on netns.
//
// How a node comes up:
//   1. networks: bridge driver, a transport /24 each (transport-subnets.ts), no address on
//      the bridge (inhibit_ipv4: the host gets no route into the lab), no masquerading, not
//      --internal (its isolation rules drop OSPF's multicast);
//   2. the container: only the capabilities a node needs on top of Docker's default set
//      (NET_ADMIN for interfaces, routes, nftables and IPVS; SYS_ADMIN, which FRR needs and
//      which lets lvslab write per-interface sysctls; NET_RAW), never --privileged; node-wide
//      sysctls at create time; tini as PID 1 so killed daemons are reaped; lvslab's own
//      programs bind-mounted read-only;
//   3. inside the running container, each interface is found by the MAC the engine reports
//      for its network (names are not stable across reconnects), renamed to the lab's name,
//      given the lab's MAC and addresses; then every sysctl in order, and the routes.
import type Docker from 'dockerode';
import type { InterfaceRef, NodePaths, ResolvedLab, ResolvedNode } from '../../model/types.js';
import { parseCidr, subnetsOverlap, type Cidr } from '../../model/addr.js';
import type { RunOptions, RunResult } from '../../util/exec.js';
import type { LabHost } from '../../host/host.js';
import { localHost } from '../../host/local.js';
import { EXIT, LvslabError } from '../../util/errors.js';
import { instanceDir, removeInstanceDir } from '../../util/host-paths.js';
import { runOkOn } from '../../host/host.js';
import { packLvslab } from '../../host/lvslab-package.js';
import { removeInstanceFilesOn } from '../../host/instance-files.js';
import { writeSysctlsThenIpBatchArgv } from '../../util/sysctl.js';
import { sysctlInterfaceName } from '../../render/sysctl.js';
import { loadState } from '../instance-record.js';
import { distBelow, LVSLAB_PACKAGE_DIR } from '../../util/lvslab-dist.js';
import { containerNodePaths, IMAGE_LVSLAB_DIR } from '../../images/node-image.js';
import { imageSize } from '../../images/build.js';
import { engine, engineError, isNotFound, requireEngine } from '../../docker/engine.js';
import { execInContainer, execInteractiveInContainer } from '../../docker/exec.js';
import type { CreatePlan, DaemonSpec, DestroyOptions, DestroyReport, NodeInspection, Runtime, RuntimeKind } from '../runtime.js';
import { containerName, instanceFilter, LABEL_INSTANCE, LABEL_NETWORK, LABEL_NODE, networkName } from './names.js';
import { pickTransportSubnets, transportAddress, transportPool } from './transport-subnets.js';

/** Capabilities added to Docker's default set; see the header. */
export const NODE_CAPABILITIES = ['NET_ADMIN', 'SYS_ADMIN', 'NET_RAW'] as const;

/** A lab segment or point-to-point link, as one Docker network. */
interface LabNetwork {
  name: string;
  members: InterfaceRef[];
}

interface Attachment {
  network: string;
  labIface: string;
  transportAddress: string;
}

export interface DockerRuntimeOptions {
  /** The node image (`lvslab/node:<recipe hash>`). */
  image: string;
  docker?: Docker;
  /** The engine's machine (default this one); another host's engine comes with its own `docker` client (docker-over-ssh.ts). */
  host?: LabHost;
}

export class DockerRuntime implements Runtime {
  readonly kind: RuntimeKind = 'docker';
  /** The engine's machine: this one, or a lab host reached over SSH. */
  readonly host: LabHost;
  readonly nodeFilesOnHost = false;
  protected readonly docker: Docker;

  constructor(protected readonly options: DockerRuntimeOptions) {
    this.docker = options.docker ?? engine();
    this.host = options.host ?? localHost;
  }

  /**
   * Where the nodes find lvslab's package (bind-mounted read-only): this lvslab's own here;
   * on another host, the copy create() puts in the instance directory there.
   */
  private packageDirOnHost(instance: string): string {
    return this.host.remote ? `${instanceDir(instance)}/lvslab` : LVSLAB_PACKAGE_DIR;
  }

  nodePaths(_instance: string, _node: string): NodePaths {
    // Every container has the same layout: the node's own paths at fixed places.
    return containerNodePaths(distBelow(IMAGE_LVSLAB_DIR));
  }

  /** The container of a node (containerlab names its containers its own way). */
  protected container(instance: string, node: string): string {
    return containerName(instance, node);
  }

  async preflight(): Promise<void> {
    await requireEngine(this.docker);
    await this.requireImage();
  }

  async create(lab: ResolvedLab, plan: CreatePlan): Promise<void> {
    const networks = labNetworks(lab);
    const subnets = await this.transportSubnets(lab, networks.length);
    if (this.host.remote) {
      plan.onProgress?.(`copying lvslab's programs to ${this.host.label}`);
      await this.host.makeDirs([{ path: this.packageDirOnHost(lab.instance) }]);
      await runOkOn(this.host, ['tar', '-x', '-C', this.packageDirOnHost(lab.instance)], { input: await packLvslab(), timeoutMs: 120_000 });
    }
    plan.onProgress?.(`creating ${networks.length} Docker networks and ${lab.nodes.length} containers`);
    await Promise.all(networks.map((n, i) => this.createNetwork(lab.instance, n, subnets[i]!)));

    const attachments = new Map<string, Attachment[]>(lab.nodes.map((n) => [n.name, []]));
    networks.forEach((net, i) => {
      net.members.forEach((m, mi) => {
        attachments.get(m.node)!.push({
          network: networkName(lab.instance, net.name),
          labIface: m.iface,
          // .1 is the gateway Docker reserves (unused: the bridge has no address)
          transportAddress: transportAddress(subnets[i]!, 2 + mi),
        });
      });
    });

    const setUp = async (node: ResolvedNode) => {
      const mine = attachments.get(node.name)!;
      await this.createNode(lab.instance, node, mine, plan.sysctls(node.name));
      await this.configureNetwork(lab, node, mine, plan);
      await plan.onNodeNetworkReady?.(node.name);
    };
    // OSPF speakers first: readiness waits for their adjacencies (the DR election alone takes
    // the dead interval from ospfd's start), and the other nodes are created meanwhile.
    // Starting a container is CPU-bound; all at once, every ospfd would start late.
    await Promise.all(lab.nodes.filter((n) => n.ospf).map(setUp));
    await Promise.all(lab.nodes.filter((n) => !n.ospf).map(setUp));
  }

  private async requireImage(): Promise<void> {
    if ((await imageSize(this.docker, this.options.image)) === undefined) {
      if (this.host.remote) {
        throw new LvslabError(
          `the node image ${this.options.image} is not on the Docker engine of ${this.host.label}`,
          EXIT.hostNotReady,
          `build it here (lvslab images build), then: docker save ${this.options.image} | ssh ${this.host.label.replace(/:(\d+)$/, ' -p $1')} docker load`,
        );
      }
      throw new LvslabError(`the node image ${this.options.image} is not built on this host`, EXIT.hostNotReady, 'lvslab images build   (works offline: it debootstraps from the apt mirror)');
    }
  }

  private async transportSubnets(lab: ResolvedLab, count: number): Promise<string[]> {
    const pool = transportPool();
    const clash = [...lab.segments, ...lab.links].find((s) => {
      const c = parseCidr(s.subnet);
      return c !== undefined && subnetsOverlap(c, pool);
    });
    if (clash) {
      throw new LvslabError(
        `${lab.sourceFile}: ${clash.name} uses ${clash.subnet}, which lies in the pool lvslab takes Docker's own network addresses from`,
        EXIT.invalidInput,
        'choose another pool for Docker networks with LVSLAB_DOCKER_POOL=<prefix of /24 or larger>',
      );
    }
    let used: Cidr[];
    try {
      used = (await this.docker.listNetworks())
        .flatMap((n) => n.IPAM?.Config ?? [])
        .map((c) => (c.Subnet ? parseCidr(c.Subnet) : undefined))
        .filter((c): c is Cidr => c !== undefined);
    } catch (err) {
      throw engineError(err, 'listing Docker networks');
    }
    return pickTransportSubnets(pool, count, used);
  }

  private async createNetwork(instance: string, net: LabNetwork, subnet: string): Promise<void> {
    try {
      await this.docker.createNetwork({
        Name: networkName(instance, net.name),
        Driver: 'bridge',
        CheckDuplicate: true,
        Internal: false,
        Labels: { [LABEL_INSTANCE]: instance, [LABEL_NETWORK]: net.name },
        Options: {
          'com.docker.network.bridge.inhibit_ipv4': 'true',
          'com.docker.network.bridge.enable_ip_masquerade': 'false',
          'com.docker.network.bridge.enable_icc': 'true',
        },
        IPAM: { Driver: 'default', Config: [{ Subnet: subnet, Gateway: transportAddress(subnet, 1) }] },
      });
    } catch (err) {
      throw engineError(err, `creating Docker network ${networkName(instance, net.name)}`);
    }
  }

  private async createNode(instance: string, node: ResolvedNode, attachments: Attachment[], sysctls: Array<[string, string]>): Promise<void> {
    const name = this.container(instance, node.name);
    const [first, ...rest] = attachments;
    try {
      const container = await this.docker.createContainer({
        name,
        Hostname: node.name,
        Image: this.options.image,
        Labels: { [LABEL_INSTANCE]: instance, [LABEL_NODE]: node.name },
        HostConfig: {
          Init: true,
          CapAdd: [...NODE_CAPABILITIES],
          Sysctls: createTimeSysctls(node, sysctls),
          Binds: [`${this.packageDirOnHost(instance)}:${IMAGE_LVSLAB_DIR}:ro`],
          NetworkMode: first ? first.network : 'none',
          RestartPolicy: { Name: 'no' },
        },
        NetworkingConfig: first ? { EndpointsConfig: { [first.network]: { IPAMConfig: { IPv4Address: first.transportAddress } } } } : undefined,
      });
      for (const a of rest) {
        await this.docker.getNetwork(a.network).connect({ Container: container.id, EndpointConfig: { IPAMConfig: { IPv4Address: a.transportAddress } } });
      }
      await container.start();
    } catch (err) {
      throw engineError(err, `creating container ${name}`);
    }
  }

  /** Step 3 of the header, from the MAC the engine gave each of the node's networks. */
  private async configureNetwork(lab: ResolvedLab, node: ResolvedNode, attachments: Attachment[], plan: CreatePlan): Promise<void> {
    const name = this.container(lab.instance, node.name);
    const info = await this.docker.getContainer(name).inspect();
    const engineMacs = new Map(Object.entries(info.NetworkSettings.Networks).map(([net, ep]) => [net, ep.MacAddress.toLowerCase()]));
    const found = attachments.map((a) => {
      const mac = engineMacs.get(a.network);
      if (!mac) throw new LvslabError(`${name}: Docker reports no endpoint on ${a.network}`);
      return { mac, labIface: a.labIface };
    });
    await this.adoptInterfaces(lab, node, found, plan);
  }

  /**
   * Gives the node's interfaces their lab identity and configures its network: each
   * interface is found by its current MAC, renamed to the lab's name and given the lab's
   * MAC, its address flushed; then every sysctl in order, the addresses and the routes.
   */
  protected async adoptInterfaces(lab: ResolvedLab, node: ResolvedNode, found: Array<{ mac: string; labIface: string }>, plan: CreatePlan): Promise<void> {
    const links = parseLinkList((await this.mustExec(lab.instance, node.name, ['ip', '-o', 'link', 'show'])).stdout);
    const renames = found.map((f, i) => {
      const current = links.find((l) => l.mac === f.mac)?.name;
      if (!current) throw new LvslabError(`${this.container(lab.instance, node.name)}: no interface with MAC ${f.mac} (for ${f.labIface})`);
      const iface = node.interfaces.find((x) => x.name === f.labIface)!;
      return { current, temporary: `lvslab-t${i}`, final: iface.name, mac: iface.mac };
    });
    // Two passes, so a lab interface may take a name the engine gave another one (eth0 <-> eth1).
    const batch = [
      ...renames.flatMap((r) => [`link set dev ${r.current} down`, `link set dev ${r.current} name ${r.temporary}`]),
      ...renames.flatMap((r) => [`link set dev ${r.temporary} name ${r.final} address ${r.mac}`, `address flush dev ${r.final}`]),
    ];
    await this.mustExec(lab.instance, node.name, ['ip', '-batch', '-'], { input: batch.join('\n') + '\n' });
    // Every sysctl, in order, now that the interfaces have their lab names; then addresses,
    // links up and routes — one exec.
    const lines = plan.networkLines(node.name);
    await this.mustExec(lab.instance, node.name, writeSysctlsThenIpBatchArgv(plan.sysctls(node.name)), { input: lines.join('\n') + '\n' });
  }

  protected async mustExec(instance: string, node: string, argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    const r = await this.exec(instance, node, argv, opts);
    if (r.code !== 0) throw new LvslabError(`${argv.slice(0, 3).join(' ')} in ${this.container(instance, node)} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`);
    return r;
  }

  /** The engine that runs a node's container: the one engine here (a GNS3 lab may span several). */
  protected engineOf(_instance: string, _node: string): Docker {
    return this.docker;
  }

  exec(instance: string, node: string, argv: readonly string[], opts?: RunOptions): Promise<RunResult> {
    return execInContainer(this.engineOf(instance, node), this.container(instance, node), argv, opts);
  }

  execInteractive(instance: string, node: string, argv: readonly string[]): Promise<number> {
    return execInteractiveInContainer(this.engineOf(instance, node), this.container(instance, node), argv);
  }

  async writeFile(instance: string, node: string, path: string, content: string, opts: { owner?: string; mode?: number } = {}): Promise<void> {
    // A fixed script; the path, mode and owner travel as arguments, the content on stdin.
    const script = 'mkdir -p "$(dirname "$1")" && cat >"$1" && chmod "$2" "$1" && { [ -z "$3" ] || chown "$3:$3" "$1"; }';
    const mode = (opts.mode ?? 0o644).toString(8);
    await this.mustExec(instance, node, ['sh', '-c', script, 'lvslab-write', path, mode, opts.owner ?? ''], { input: content });
  }

  async readFile(instance: string, node: string, path: string): Promise<string | undefined> {
    const r = await this.exec(instance, node, ['cat', '--', path]);
    return r.code === 0 ? r.stdout : undefined;
  }

  // One exec for the whole list: each exec costs tens of milliseconds.
  async makeDirs(instance: string, node: string, dirs: ReadonlyArray<{ path: string; owner?: string }>): Promise<void> {
    if (dirs.length === 0) return;
    const script = 'while [ $# -gt 0 ]; do mkdir -p "$1" && { [ -z "$2" ] || chown "$2:$2" "$1"; } || exit 1; shift 2; done';
    await this.mustExec(instance, node, ['sh', '-c', script, 'lvslab-mkdir', ...dirs.flatMap((d) => [d.path, d.owner ?? ''])]);
  }

  async startDaemon(instance: string, node: string, spec: DaemonSpec): Promise<void> {
    // privateDirs need nothing here: a container has its own /run/frr and /var/tmp/frr.
    if (spec.selfDaemonizing) {
      const r = await this.exec(instance, node, spec.argv, { timeoutMs: 15_000 });
      if (r.code !== 0) throw new LvslabError(`${spec.name} did not start on ${node} (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`);
      return;
    }
    // In the background of a short-lived shell; tini (PID 1) adopts it when the shell exits.
    const script = 'log=$1 pid=$2; shift 2; mkdir -p "$(dirname "$log")"; "$@" >>"$log" 2>&1 </dev/null & echo $! >"$pid"';
    const r = await this.exec(instance, node, ['sh', '-c', script, 'lvslab-daemon', spec.logFile ?? '/dev/null', spec.pidFile, ...spec.argv]);
    if (r.code !== 0) throw new LvslabError(`${spec.name} did not start on ${node} (exit ${r.code}): ${r.stderr.trim()}`);
  }

  /**
   * The node's side goes down inside its container. On a point-to-point link the peer's
   * carrier must go too, as on a veth pair; with a bridge network between them that takes
   * the host-side port of the peer's interface (a veth Docker created for this lab's network).
   */
  async setCarrier(instance: string, node: string, iface: string, up: boolean): Promise<void> {
    const peer = await this.linkPeer(instance, node, iface);
    // The peer's side comes back before this one and goes after it, as a cable's two ends.
    if (up && peer) await this.setHostPort(instance, peer, 'up');
    await this.mustExec(instance, node, ['ip', 'link', 'set', 'dev', iface, up ? 'up' : 'down']);
    if (!up && peer) await this.setHostPort(instance, peer, 'down');
  }

  private async linkPeer(instance: string, node: string, iface: string): Promise<InterfaceRef | undefined> {
    const state = await loadState(instance);
    const attachment = state?.lab.nodes.find((n) => n.name === node)?.interfaces.find((i) => i.name === iface)?.attachment;
    return attachment?.kind === 'link' ? attachment.peer : undefined;
  }

  private async setHostPort(instance: string, end: InterfaceRef, state: 'up' | 'down'): Promise<void> {
    const iflink = (await this.mustExec(instance, end.node, ['cat', `/sys/class/net/${end.iface}/iflink`])).stdout.trim();
    if (!/^\d+$/.test(iflink)) throw new LvslabError(`${end.node}:${end.iface}: unexpected iflink ${JSON.stringify(iflink)}`);
    const hostLinks = parseLinkList(await runOkOn(this.host, ['ip', '-o', 'link', 'show']));
    const port = hostLinks.find((l) => l.index === Number(iflink));
    // Only ever a port of one of this lab's bridges.
    const bridges = await this.labBridges(instance);
    if (!port || !port.master || !bridges.has(port.master)) {
      throw new LvslabError(`the host-side port of ${end.node}:${end.iface} is not on a bridge of lab ${instance} (is the engine on another host?)`);
    }
    await runOkOn(this.host, ['ip', 'link', 'set', 'dev', port.name, state]);
  }

  private async labBridges(instance: string): Promise<Set<string>> {
    const nets = await this.docker.listNetworks({ filters: instanceFilter(instance) });
    // The bridge driver names a network's bridge br-<first 12 hex digits of its id>.
    return new Set(nets.map((n) => n.Options?.['com.docker.network.bridge.name'] ?? `br-${n.Id.slice(0, 12)}`));
  }

  async listInstances(): Promise<string[]> {
    const found = new Set<string>();
    try {
      const [containers, networks] = await Promise.all([
        this.docker.listContainers({ all: true, filters: instanceFilter() }),
        this.docker.listNetworks({ filters: instanceFilter() }),
      ]);
      for (const c of containers) if (c.Labels[LABEL_INSTANCE]) found.add(c.Labels[LABEL_INSTANCE]);
      for (const n of networks) if (n.Labels?.[LABEL_INSTANCE]) found.add(n.Labels[LABEL_INSTANCE]);
    } catch (err) {
      throw engineError(err, 'listing lab containers');
    }
    return [...found].sort();
  }

  async inspect(instance: string): Promise<NodeInspection[]> {
    const containers = await this.docker.listContainers({ all: true, filters: instanceFilter(instance) });
    return this.inspectContainers(containers, (c, handle) => c.Labels[LABEL_NODE] ?? handle);
  }

  /** Each container as a node: its handle (container name), whether it runs, and its processes (docker top). */
  protected inspectContainers(containers: Docker.ContainerInfo[], nodeName: (c: Docker.ContainerInfo, handle: string) => string, docker: Docker = this.docker): Promise<NodeInspection[]> {
    return Promise.all(
      containers.map(async (c) => {
        const handle = c.Names[0]?.replace(/^\//, '') ?? c.Id;
        const running = c.State === 'running';
        const top = running ? await docker.getContainer(c.Id).top().catch(() => undefined) : undefined;
        const cmdColumn = top ? top.Titles.indexOf('CMD') : -1;
        const pidColumn = top ? top.Titles.indexOf('PID') : -1;
        return {
          name: nodeName(c, handle),
          handle,
          running,
          processes: ((top?.Processes ?? []) as string[][]).map((p) => ({ pid: Number(p[pidColumn]), command: (p[cmdColumn] ?? '?').split(/\s+/)[0]!.split('/').pop()! })),
        };
      }),
    );
  }

  async destroy(instance: string, opts: DestroyOptions = {}): Promise<DestroyReport> {
    let killed = 0;
    const removedNodes = new Set<string>();
    const filters = instanceFilter(instance);
    const tolerateGone = (err: unknown) => {
      if (!isNotFound(err)) throw err;
    };
    try {
      // Rounds until the engine lists nothing: a create that a killed `up` had in flight
      // may land just after the first listing.
      for (let round = 0; round < 5; round++) {
        const containers = await this.docker.listContainers({ all: true, filters });
        const networks = await this.docker.listNetworks({ filters });
        if (containers.length === 0 && networks.length === 0) break;
        await Promise.all(
          containers.map(async (c) => {
            if (c.State === 'running') killed += (await this.docker.getContainer(c.Id).top().catch(() => undefined))?.Processes.length ?? 0;
            await this.docker.getContainer(c.Id).remove({ force: true, v: true }).catch(tolerateGone);
            removedNodes.add(c.Labels[LABEL_NODE] ?? c.Id);
          }),
        );
        // A network still holding an endpoint (a container that appeared meanwhile) waits for the next round.
        await Promise.all(networks.map((n) => this.docker.getNetwork(n.Id).remove().catch((err: unknown) => (round < 4 ? undefined : tolerateGone(err)))));
      }
    } catch (err) {
      throw engineError(err, `removing lab ${instance} from Docker`);
    }
    // On another host: the copy of lvslab's programs there (the record is this machine's).
    const removedPaths = [...(this.host.remote ? await removeInstanceFilesOn(this.host, instance) : []), ...(opts.keepInstanceDir ? [] : await removeInstanceDir(instance))];
    return { instance, killedProcesses: killed, removedNodes: [...removedNodes].sort(), removedPaths };
  }
}

/**
 * The sysctls an engine can set when it creates the container: every key but those of the
 * lab's interfaces, which do not exist yet (adoptInterfaces sets all of them again, in order).
 */
export function createTimeSysctls(node: ResolvedNode, sysctls: ReadonlyArray<readonly [string, string]>): Record<string, string> {
  const ifaces = new Set(node.interfaces.map((i) => sysctlInterfaceName(i.name)));
  return Object.fromEntries(sysctls.filter(([key]) => !ifaces.has(/^net\.ipv4\.conf\.([^.]+)\./.exec(key)?.[1] ?? '')));
}

/** Segments and point-to-point links, each as the list of interfaces on it. */
function labNetworks(lab: ResolvedLab): LabNetwork[] {
  return [...lab.segments.map((s) => ({ name: s.name, members: s.members })), ...lab.links.map((l) => ({ name: l.name, members: [...l.ends] }))];
}

interface LinkLine {
  index: number;
  name: string;
  mac?: string;
  master?: string;
}

/** `ip -o link show` lines: "7: eth0@if8: <...> mtu 1500 ... master br-x ... link/ether 02:42:.. brd ..". */
export function parseLinkList(text: string): LinkLine[] {
  const out: LinkLine[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+):\s+([^:@\s]+)(?:@[^:\s]+)?:/.exec(line);
    if (!m) continue;
    out.push({
      index: Number(m[1]),
      name: m[2]!,
      mac: /link\/ether ([0-9a-f:]{17})/.exec(line)?.[1],
      master: /\smaster (\S+)/.exec(line)?.[1],
    });
  }
  return out;
}
