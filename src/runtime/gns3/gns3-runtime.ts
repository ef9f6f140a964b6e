// `--runtime gns3`: the lab as a GNS3 project, built through the server's REST API (src/gns3),
// driven through the Docker engine of the compute that runs its nodes. GNS3 has no exec
// call, so once GNS3 has made and wired the containers, lvslab treats each node as the
// Docker container it is (GNS3.<node>.<project id>) and everything above the runtime —
// files, daemons, readiness, experiments — runs through the Docker runtime's code.
//
// How a lab comes up:
//   1. a project `lvslab-<instance>` (auto_close off, or GNS3 deletes its containers when the
//      last GUI leaves); a docker node per lab node (adapters = its interfaces, each adapter's
//      MAC = the lab's, GNS3's auxiliary console: a shell; a PID 1 of lvslab's, see
//      NODE_START_COMMAND); an ethernet_switch per segment; a direct link per point-to-point
//      link; placed as the report draws the lab, with a note naming it. Each node on its
//      compute (placement.ts: the default one unless --gns3-placement says otherwise), each
//      switch where most of its members are; GNS3 tunnels the links between computes;
//   2. nodes started, OSPF speakers first; GNS3 hands each container its interfaces (eth0…)
//      after the start answers, so lvslab waits until the node has all of them;
//   3. lvslab's own programs copied in (a GNS3 node gets no bind mounts), then the
//      interfaces renamed to the lab's names and configured as on Docker (sysctls, addresses,
//      routes). All of this is lost when GNS3 stops or re-creates a container: lvslab never
//      stops, reloads (which loses the interfaces) or closes a running lab's nodes.
import type { ResolvedLab, ResolvedNode } from '../../model/types.js';
import { EXIT, LvslabError } from '../../util/errors.js';
import { removeInstanceDir } from '../../util/host-paths.js';
import { packLvslab } from '../../host/lvslab-package.js';
import { pollUntil } from '../../util/poll.js';
import { IMAGE_LVSLAB_DIR } from '../../images/node-image.js';
import { isNotFound, requireEngine } from '../../docker/engine.js';
import { Gns3Client, dockerEnd, switchEnd } from '../../gns3/client.js';
import type { Gns3ServerRef } from '../../gns3/config.js';
import type { Gns3Link, Gns3LinkFilters, Gns3Node, Gns3Project } from '../../gns3/types.js';
import { DockerRuntime, parseLinkList } from '../docker/docker-runtime.js';
import type { CreatePlan, DestroyOptions, DestroyReport, LinkCapture, LinkImpairment, NodeInspection, RuntimeSettings } from '../runtime.js';
import { canvasPlan, switchName } from './canvas.js';
import type { LabHost } from '../../host/host.js';
import type Docker from 'dockerode';
import { COMPUTE_HOST_SETTING, gns3ContainerName, instanceOfProject, isContainerOfProject, projectName } from './names.js';
import { checkPlacement, formatNodeComputes, NODE_COMPUTES_SETTING, switchCompute, type PlacementEntry } from './placement.js';
import { engine } from '../../docker/engine.js';
import { localHost } from '../../host/local.js';
import type { Gns3Compute } from '../../gns3/types.js';

/** A compute's Docker engine and the machine it runs on. */
export interface ComputeEngine {
  host: LabHost;
  docker: Docker;
}

export interface Gns3RuntimeOptions {
  /** The node image (`lvslab/node:<recipe hash>`), which must be on the compute's engine. */
  image: string;
  server: Gns3ServerRef;
  /** The lab's default compute, which runs every node the placement leaves (GNS3's id; its built-in one is "local"). */
  computeId: string;
  /** --gns3-placement's entries: checkLab resolves them against the lab. */
  placement?: readonly PlacementEntry[];
  /** Per-node computes as an instance record keeps them (what up resolved): node -> compute. */
  nodeComputes?: ReadonlyMap<string, string>;
  /** --gns3-compute-host as given, for the instance record. */
  computeHostsSpec?: string;
  /** Projects already known by name (from an instance record): name -> project id. */
  knownProjects?: ReadonlyMap<string, string>;
  /** Client timeouts; short for finding instances, where no answer means no server. */
  requestTimeoutMs?: number;
  /**
   * The engines of computes on other machines, reached over SSH (--gns3-compute-host;
   * docker-over-ssh.ts), by compute id. A compute not in it runs its nodes on this machine.
   */
  computeEngines?: ReadonlyMap<string, ComputeEngine>;
}

/** Where a node's interface is in its GNS3 project. */
interface LinkEndInProject {
  link: Gns3Link;
  nodes: Gns3Node[];
  /** The docker node's interface at the other end of a direct link; absent behind a switch. */
  peer?: { node: string; iface: string };
}

/**
 * The node's PID 1, after GNS3's init script: it reaps the daemons lvslab kills (their
 * starting shell is gone, so they are its children) and ends at once on SIGTERM. The
 * image's own `sleep infinity` does neither, so every GNS3 node stop (docker stop -t 5)
 * waited 5 s, and a killed daemon stayed a zombie.
 */
export const NODE_START_COMMAND = `sh -c 'trap "exit 0" TERM INT; while :; do sleep 3600 & wait $!; done'`;

/** How long GNS3 may take to hand a started container its interfaces (seen: ~1.2 s). */
const INTERFACES_TIMEOUT_MS = 60_000;
/** A capture stream ends within ~0.1 s of the stop (the server looks every 0.1 s); beyond this it is given up. */
const CAPTURE_STREAM_END_MS = 15_000;
/** Where GNS3 writes a link's capture, below the project's directory (2.2.59 and 3.0.6 alike). */
const PROJECT_CAPTURES_DIR = 'project-files/captures';

export class Gns3Runtime extends DockerRuntime {
  override readonly kind = 'gns3';
  private connecting: Promise<Gns3Client> | undefined;
  private readonly projects: Map<string, string>;
  private readonly ends = new Map<string, Promise<LinkEndInProject>>();

  /** Each node's compute, once known (checkLab, or the instance record); absent: the default compute. */
  private nodeComputes: Map<string, string>;
  private localEngine: ComputeEngine | undefined;

  constructor(private readonly gns3: Gns3RuntimeOptions) {
    // The base runtime's host and engine are the default compute's: the lab host.
    const home = gns3.computeEngines?.get(gns3.computeId);
    super({ image: gns3.image, host: home?.host, docker: home?.docker });
    this.projects = new Map(gns3.knownProjects ?? []);
    this.nodeComputes = new Map(gns3.nodeComputes ?? []);
  }

  /** --gns3-placement's nodes and roles must be the lab's; then each node has its compute. */
  checkLab(lab: ResolvedLab): void {
    if (this.gns3.placement?.length) this.nodeComputes = checkPlacement(lab, this.gns3.placement, this.gns3.computeId);
  }

  private computeOf(node: string): string {
    return this.nodeComputes.get(node) ?? this.gns3.computeId;
  }

  /** Every compute the lab uses (placed or not yet): the default first. */
  labComputes(): string[] {
    const placed = [...this.nodeComputes.values(), ...(this.gns3.placement ?? []).map((e) => e.compute)];
    return [...new Set([this.gns3.computeId, ...placed])];
  }

  /** A compute's engine: the one --gns3-compute-host names, else this machine's. */
  private engineOfCompute(compute: string): ComputeEngine {
    return this.gns3.computeEngines?.get(compute) ?? this.thisMachine();
  }

  /** This machine's engine: the base runtime's when the default compute names no other host. */
  private thisMachine(): ComputeEngine {
    if (!this.gns3.computeEngines?.has(this.gns3.computeId)) return { host: this.host, docker: this.docker };
    this.localEngine ??= { host: localHost, docker: engine() };
    return this.localEngine;
  }

  protected override engineOf(_instance: string, node: string): Docker {
    return this.engineOfCompute(this.computeOf(node)).docker;
  }

  /** Every engine a container of the lab may be on: those of its computes, and this machine's (a kill -9 may have left the placement unrecorded). */
  private allEngines(): Docker[] {
    const engines = [...this.labComputes(), ...(this.gns3.computeEngines?.keys() ?? [])].map((c) => this.engineOfCompute(c).docker);
    return [...new Set([...engines, this.thisMachine().docker])];
  }

  otherLabHosts(_instance: string): Array<{ host: LabHost; nodes: string[] }> {
    const byHost = new Map<LabHost, string[]>();
    for (const [node, compute] of this.nodeComputes) {
      const { host } = this.engineOfCompute(compute);
      if (host === this.host || host.label === this.host.label) continue;
      byHost.set(host, [...(byHost.get(host) ?? []), node]);
    }
    return [...byHost].map(([host, nodes]) => ({ host, nodes: nodes.sort() }));
  }

  /** The server, connected and logged in once per runtime. */
  client(): Promise<Gns3Client> {
    this.connecting ??= Gns3Client.connect({ server: this.gns3.server, timeoutMs: this.gns3.requestTimeoutMs });
    // A failed connection is not kept: the next call tries again.
    this.connecting.catch(() => (this.connecting = undefined));
    return this.connecting;
  }

  private projectId(instance: string): string {
    const id = this.projects.get(projectName(instance));
    if (!id) throw new LvslabError(`lab ${instance} has no GNS3 project on record (was its up interrupted?)`, EXIT.notFound, `lvslab down ${instance}   removes what is left of it`);
    return id;
  }

  protected override container(instance: string, node: string): string {
    return gns3ContainerName(node, this.projectId(instance));
  }

  recordedSettings(instance: string): RuntimeSettings {
    const name = projectName(instance);
    const id = this.projects.get(name);
    const placed = formatNodeComputes(this.nodeComputes, this.gns3.computeId);
    return {
      gns3Url: this.gns3.server.url,
      gns3Compute: this.gns3.computeId,
      ...(this.gns3.computeHostsSpec ? { [COMPUTE_HOST_SETTING]: this.gns3.computeHostsSpec } : {}),
      ...(placed ? { [NODE_COMPUTES_SETTING]: placed } : {}),
      ...(id ? { gns3ProjectName: name, gns3Project: id } : {}),
    };
  }

  /**
   * For reports: "GNS3 2.2.59 at http://127.0.0.1:3080, compute local" (", its Docker engine
   * on root@gns3vm:22 over SSH"), and for a placed lab each other compute with its nodes.
   */
  async describe(): Promise<string> {
    const client = await this.client();
    const engineText = (e: ComputeEngine) => (e.host.remote ? `, its Docker engine on ${e.host.label} over SSH` : '');
    const others = this.labComputes()
      .filter((c) => c !== this.gns3.computeId)
      .map((c) => {
        const nodes = [...this.nodeComputes].filter(([, nc]) => nc === c).map(([n]) => n);
        return `; compute ${c} runs ${nodes.join(', ') || 'no node'}${engineText(this.engineOfCompute(c))}`;
      });
    return `GNS3 ${client.serverVersion} at ${client.url}, compute ${this.gns3.computeId}${engineText(this.engineOfCompute(this.gns3.computeId))}${others.join('')}`;
  }

  /**
   * Every compute the lab uses is on the server and reachable from here (its machine's
   * engine named, or on this machine); then each engine answers and has the node image.
   */
  override async preflight(): Promise<void> {
    const client = await this.client();
    const computes = await client.computes();
    for (const id of this.labComputes()) {
      if (!(await client.hasCompute(id, computes))) {
        const ids = computes.map((c) => c.compute_id);
        const flag = id === this.gns3.computeId ? '--gns3-compute ID' : '--gns3-placement KEY=ID';
        throw new LvslabError(
          `the GNS3 server ${client.url} has no compute '${id}'${ids.length ? ` (it has: ${ids.join(', ')})` : ''}`,
          EXIT.invalidInput,
          `${flag} names one of the server's computes (GNS3 GUI: Edit → Preferences → Server, or GET /v2/computes)`,
        );
      }
      if (!this.engineOfCompute(id).host.remote) this.requireOnThisMachine(client, id, computes.find((c) => c.compute_id === id));
    }
    for (const id of this.labComputes()) {
      const engine = this.engineOfCompute(id);
      try {
        await requireEngine(engine.docker);
      } catch (err) {
        const through = engine.host.remote ? `the Docker engine of ${engine.host.label} (--gns3-compute-host)` : "this host's Docker engine";
        throw new LvslabError(`${(err as Error).message}: lvslab reaches the containers of GNS3 compute ${id} through ${through}`, EXIT.hostNotReady, (err as LvslabError).hint);
      }
      await client.requireDockerImage(this.options.image, id);
    }
  }

  /**
   * GNS3 has no exec call: lvslab runs commands in a node through the Docker engine of the
   * compute that runs it: this machine's, unless --gns3-compute-host names the compute's
   * host. That holds only for a compute on this machine: the built-in one of a server on a
   * loopback address, or one the server reaches on a loopback address itself.
   */
  private requireOnThisMachine(client: Gns3Client, computeId: string, compute: Gns3Compute | undefined): void {
    const loopback = (h: string | undefined) => h !== undefined && (['localhost', '[::1]', '::1'].includes(h) || /^127\./.test(h));
    const serverHost = new URL(this.gns3.server.url).hostname;
    if (loopback(serverHost) && (computeId === 'local' || loopback(compute?.host))) return;
    const where = computeId === 'local' ? `the GNS3 server's host (${serverHost})` : `GNS3 compute ${computeId}${compute?.host ? ` (${compute.host})` : ''}`;
    throw new LvslabError(
      `the nodes would run on ${where}, another host: lvslab reaches a node through the Docker engine of the host that runs it (${client.url})`,
      EXIT.hostNotReady,
      `--gns3-compute-host ${computeId === this.gns3.computeId ? '' : `${computeId}=`}[USER@]HOST names that host (the GNS3 VM, or the compute's machine): lvslab reaches its engine over SSH; or run lvslab on the GNS3 server's host with --gns3-url http://127.0.0.1:PORT and the local compute`,
    );
  }

  override async create(lab: ResolvedLab, plan: CreatePlan): Promise<void> {
    this.checkLab(lab);
    const client = await this.client();
    const name = projectName(lab.instance);
    plan.onProgress?.(`creating GNS3 project ${name} on ${client.url} (GNS3 ${client.serverVersion})`);
    const project = await client.createProject(name);
    this.projects.set(name, project.project_id);
    const pid = project.project_id;
    const canvas = canvasPlan(lab);

    // One at a time: GNS3 allocates console ports and node directories per request.
    const nodes = new Map<string, Gns3Node>();
    for (const node of lab.nodes) {
      const at = canvas.nodes.get(node.name)!;
      nodes.set(
        node.name,
        await client.createDockerNode(pid, {
          name: node.name,
          image: this.options.image,
          adapters: node.interfaces.length,
          macAddress: node.interfaces[0]?.mac,
          adapterMacs: node.interfaces.map((i) => i.mac),
          computeId: this.computeOf(node.name),
          startCommand: NODE_START_COMMAND,
          x: at.x,
          y: at.y,
        }),
      );
    }
    const switches = new Map<string, Gns3Node>();
    for (const seg of lab.segments) {
      const at = canvas.switches.get(seg.name)!;
      const computeId = switchCompute(seg.members, this.nodeComputes, this.gns3.computeId);
      switches.set(seg.name, await client.createSwitch(pid, { name: switchName(lab, seg.name), ports: Math.max(1, seg.members.length), computeId, x: at.x, y: at.y }));
    }
    const adapterOf = (ref: { node: string; iface: string }) => lab.nodes.find((n) => n.name === ref.node)!.interfaces.findIndex((i) => i.name === ref.iface);
    for (const seg of lab.segments) {
      for (const [port, m] of seg.members.entries()) await client.createLink(pid, dockerEnd(nodes.get(m.node)!, adapterOf(m)), switchEnd(switches.get(seg.name)!, port));
    }
    for (const link of lab.links) {
      const [a, b] = link.ends;
      await client.createLink(pid, dockerEnd(nodes.get(a.node)!, adapterOf(a)), dockerEnd(nodes.get(b.node)!, adapterOf(b)));
    }
    await client.createNote(pid, canvas.note.text, canvas.note.x, canvas.note.y);
    const computes = this.labComputes();
    const placedText = computes.length > 1 ? ` on computes ${computes.map((c) => `${c} (${lab.nodes.filter((n) => this.computeOf(n.name) === c).length})`).join(', ')}` : '';
    plan.onProgress?.(`GNS3 project ${name}: ${nodes.size} docker nodes${placedText}, ${switches.size} switches, ${lab.segments.reduce((n, s) => n + s.members.length, 0) + lab.links.length} links; starting the nodes`);

    const setUp = async (node: ResolvedNode) => {
      const started = await client.startNode(pid, nodes.get(node.name)!.node_id);
      const found = await this.waitForInterfaces(lab.instance, node, started);
      await this.installLvslab(lab.instance, node.name);
      await this.adoptInterfaces(lab, node, found, plan);
      await plan.onNodeNetworkReady?.(node.name);
    };
    // OSPF speakers first, as on Docker: readiness waits for their adjacencies.
    await Promise.all(lab.nodes.filter((n) => n.ospf).map(setUp));
    await Promise.all(lab.nodes.filter((n) => !n.ospf).map(setUp));
  }

  /**
   * Waits until GNS3 has handed the container an interface per adapter, with the MACs its
   * ports report (the lab's, through custom_adapters), and returns them with their lab names.
   */
  private async waitForInterfaces(instance: string, node: ResolvedNode, started: Gns3Node): Promise<Array<{ mac: string; labIface: string }>> {
    const wanted = node.interfaces.map((iface, adapter) => {
      const mac = started.ports.find((p) => p.adapter_number === adapter)?.mac_address?.toLowerCase();
      if (!mac) throw new LvslabError(`GNS3 reports no MAC for adapter ${adapter} of ${node.name}`);
      return { mac, labIface: iface.name };
    });
    const got = await pollUntil(
      async () => {
        const links = parseLinkList((await this.exec(instance, node.name, ['ip', '-o', 'link', 'show'])).stdout);
        const missing = wanted.filter((w) => !links.some((l) => l.mac === w.mac));
        return { done: missing.length === 0, value: missing };
      },
      { timeoutMs: INTERFACES_TIMEOUT_MS, intervalMs: 100 },
    );
    if (!got.ok) {
      throw new LvslabError(
        `GNS3 started ${node.name} but did not hand it ${(got.value ?? wanted).map((w) => `${w.labIface} (${w.mac})`).join(', ')} within ${INTERFACES_TIMEOUT_MS / 1000} s`,
        EXIT.failure,
        'the GNS3 server log says why ubridge could not wire the container',
      );
    }
    return wanted;
  }

  /**
   * Copies lvslab's package (package.json and its compiled programs) to IMAGE_LVSLAB_DIR,
   * where the Docker runtime bind-mounts it: the node's health daemon and traffic generator
   * are those of the lvslab that runs the lab. They import only Node's built-ins.
   */
  private async installLvslab(instance: string, node: string): Promise<void> {
    await this.mustExec(instance, node, ['mkdir', '-p', IMAGE_LVSLAB_DIR]);
    await this.engineOf(instance, node).getContainer(this.container(instance, node)).putArchive(await packLvslab(), { path: IMAGE_LVSLAB_DIR });
  }

  /**
   * A pulled cable. GNS3's forwarder holds each interface's far side, so no node ever loses
   * carrier: the node's interface goes down inside it, and on a direct link (no switch
   * between) so does the peer's at the same moment, as both ends of a cable would; a
   * switch's other ports notice nothing, as on real hardware.
   */
  override async setCarrier(instance: string, node: string, iface: string, up: boolean): Promise<void> {
    const { peer } = await this.endOf(instance, node, iface);
    const ends = [{ node, iface }, ...(peer ? [peer] : [])];
    await Promise.all(ends.map((e) => this.mustExec(instance, e.node, ['ip', 'link', 'set', 'dev', e.iface, up ? 'up' : 'down'])));
  }

  /**
   * Looks up, before an experiment's clock runs, the GNS3 links its steps act on: a step
   * then costs its own API call or exec and nothing more (on a real server a lookup took
   * 0.4 s, which a cut's timing would include).
   */
  async prepareLinks(instance: string, ends: ReadonlyArray<{ node: string; iface: string }>): Promise<void> {
    await Promise.all(ends.map((e) => this.endOf(instance, e.node, e.iface)));
  }

  /** GNS3's link suspend: every frame dropped both ways, carrier up on both ends. */
  async silentFailure(instance: string, node: string, iface: string, failed: boolean): Promise<string> {
    const client = await this.client();
    const pid = this.projectId(instance);
    const linkId = (await this.endOf(instance, node, iface)).link.link_id;
    if (failed) await client.suspendLink(pid, linkId);
    else await client.resumeLink(pid, linkId);
    return failed
      ? `GNS3 link ${linkId} (${node}:${iface}) suspended: the forwarder drops every frame both ways, no carrier change in the nodes`
      : `GNS3 link ${linkId} (${node}:${iface}) resumed`;
  }

  /** GNS3's link filters (ubridge's), which act on each direction; undefined clears them. */
  async impairLink(instance: string, node: string, iface: string, impairment: LinkImpairment | undefined): Promise<string> {
    const client = await this.client();
    const linkId = (await this.endOf(instance, node, iface)).link.link_id;
    const filters = impairment ? gns3Filters(impairment) : {};
    await client.setLinkFilters(this.projectId(instance), linkId, filters);
    const what = Object.entries(filters).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(', ');
    return impairment ? `GNS3 link ${linkId} (${node}:${iface}) filters ${what}, each direction` : `GNS3 link ${linkId} (${node}:${iface}) filters cleared`;
  }

  /**
   * GNS3's own capture of the link on node:iface, as its GUI starts one: the server writes the
   * pcap into the project's captures/ (dynamips on a switch's port, which GNS3 prefers; ubridge
   * on a docker node's side of a direct link). The server streams the file only while the
   * capture runs (409 afterwards), so the stream is read alongside the capture; after the stop
   * the whole file is fetched from the project's files, the stream's copy being the fallback.
   */
  async captureLink(instance: string, node: string, iface: string, fileName: string): Promise<LinkCapture> {
    const client = await this.client();
    const pid = this.projectId(instance);
    const { link, nodes } = await this.endOf(instance, node, iface);
    const started = await client.startCapture(pid, link.link_id, { fileName });
    const written = started.capture_file_name ?? fileName;
    const giveUp = new AbortController();
    const streamed = client.streamCapture(pid, link.link_id, { signal: giveUp.signal }).then(
      (bytes) => ({ bytes }),
      (err: unknown) => ({ error: giveUp.signal.aborted ? `the capture stream did not end within ${CAPTURE_STREAM_END_MS / 1000} s of the stop` : (err as Error).message }),
    );
    const onSwitch = link.nodes.some((e) => nodes.find((n) => n.node_id === e.node_id)?.node_type === 'ethernet_switch');
    return {
      method: `GNS3 link capture of link ${link.link_id} (${onSwitch ? "written by the switch's dynamips" : "written by a docker node's ubridge"})`,
      async stop() {
        try {
          await client.stopCapture(pid, link.link_id);
        } catch (err) {
          giveUp.abort(); // a stream with no timeout must not outlive a capture that may still run
          throw err;
        }
        const timer = setTimeout(() => giveUp.abort(), CAPTURE_STREAM_END_MS);
        const stream = await streamed;
        clearTimeout(timer);
        try {
          // On the controller's own compute this is the file the capture wrote; a capture on
          // another compute keeps its file there, and the stream's copy below serves.
          return { pcap: await client.projectFile(pid, `${PROJECT_CAPTURES_DIR}/${written}`), note: `GNS3's ${PROJECT_CAPTURES_DIR}/${written}, fetched after the stop` };
        } catch (err) {
          if ('bytes' in stream) {
            return { pcap: stream.bytes, note: `read from GNS3's capture stream while capturing (it may lack the last 0.1 s before the stop); the project's file could not be fetched: ${(err as Error).message}` };
          }
          throw new Error(`GNS3 kept no pcap lvslab could fetch: the project's file: ${(err as Error).message}; the capture stream: ${stream.error}`);
        }
      },
    };
  }

  /**
   * A node interface's place in the GNS3 project: its link (found by the interface's MAC
   * among the node's ports), the project's nodes, and on a direct link the peer's interface.
   * Kept for the runtime's life: lvslab never rewires a lab, and a link deleted in the GUI
   * fails the action that uses it.
   */
  private endOf(instance: string, node: string, iface: string): Promise<LinkEndInProject> {
    const key = `${instance}\0${node}\0${iface}`;
    let found = this.ends.get(key);
    if (!found) {
      found = this.lookUpEnd(instance, node, iface);
      found.catch(() => this.ends.delete(key));
      this.ends.set(key, found);
    }
    return found;
  }

  private async lookUpEnd(instance: string, node: string, iface: string): Promise<LinkEndInProject> {
    const client = await this.client();
    const pid = this.projectId(instance);
    const [macRead, nodes, links] = await Promise.all([this.mustExec(instance, node, ['cat', `/sys/class/net/${iface}/address`]), client.listNodes(pid), client.listLinks(pid)]);
    const mac = macRead.stdout.trim().toLowerCase();
    const gnode = nodes.find((n) => n.name === node);
    const adapter = gnode?.ports.find((p) => p.mac_address?.toLowerCase() === mac)?.adapter_number;
    if (!gnode || adapter === undefined) throw new LvslabError(`GNS3 project ${projectName(instance)} has no port with ${node}:${iface}'s MAC ${mac}`);
    const link = links.find((l) => l.nodes.some((e) => e.node_id === gnode.node_id && e.adapter_number === adapter));
    if (!link) throw new LvslabError(`${node}:${iface} is not linked in GNS3 project ${projectName(instance)} (was the link deleted in the GUI?)`);
    const far = link.nodes.find((e) => e.node_id !== gnode.node_id);
    const farNode = nodes.find((n) => n.node_id === far?.node_id);
    if (!far || !farNode || farNode.node_type !== 'docker') return { link, nodes };
    const farMac = farNode.ports.find((p) => p.adapter_number === far.adapter_number)?.mac_address?.toLowerCase();
    const name = parseLinkList((await this.mustExec(instance, farNode.name, ['ip', '-o', 'link', 'show'])).stdout).find((l) => l.mac === farMac)?.name;
    if (!name) throw new LvslabError(`${farNode.name} has no interface with the MAC of its GNS3 adapter ${far.adapter_number} (${farMac})`);
    return { link, nodes, peer: { node: farNode.name, iface: name } };
  }

  override async listInstances(): Promise<string[]> {
    const client = await this.client();
    return (await client.listProjects())
      .map((p) => instanceOfProject(p.name))
      .filter((i): i is string => i !== undefined)
      .sort();
  }

  override async inspect(instance: string): Promise<NodeInspection[]> {
    const pid = this.projectId(instance);
    // GNS3 labels nothing: the node's name is the middle of GNS3.<node>.<project id>.
    const nodeName = (handle: string) => handle.slice('GNS3.'.length, handle.length - pid.length - 1);
    const engines = [...new Set(this.labComputes().map((c) => this.engineOfCompute(c).docker))];
    const found: NodeInspection[] = [];
    // Each container inspected through the engine that lists it, once: two computes' engines
    // may be one engine reached two ways.
    await this.eachProjectContainer(engines, pid, { all: true }, async (docker, containers) => {
      found.push(...(await this.inspectContainers(containers, (_c, handle) => nodeName(handle), docker)));
    });
    return found.sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * Deletes the instance's project (found by name too: a kill -9 of `up` leaves no id on
   * record), which stops its nodes and removes their containers and interfaces, then any
   * container of that project the server left behind on this host's engine.
   */
  override async destroy(instance: string, opts: DestroyOptions = {}): Promise<DestroyReport> {
    const client = await this.client();
    const name = projectName(instance);
    const onServer = (await client.listProjects()).filter((p) => p.name === name);
    const ids = new Set([...onServer.map((p) => p.project_id), ...(this.projects.has(name) ? [this.projects.get(name)!] : [])]);
    const removedNodes = new Set<string>();
    let killed = 0;
    for (const id of ids) {
      const project = onServer.find((p) => p.project_id === id);
      if (project) {
        const nodes = await this.nodesOf(client, project);
        for (const n of nodes) removedNodes.add(n.name);
        killed += await this.processesOf(id);
        // All at once first: a delete stops running docker nodes one after another (5 s each).
        if (nodes.some((n) => n.status !== 'stopped' && n.node_type === 'docker')) await client.stopAllNodes(id).catch(() => undefined);
        await client.deleteProject(id, { missingOk: true });
      }
      killed += await this.removeLeftContainers(id);
    }
    this.projects.delete(name);
    return { instance, killedProcesses: killed, removedNodes: [...removedNodes].sort(), removedPaths: opts.keepInstanceDir ? [] : await removeInstanceDir(instance) };
  }

  /** The nodes of a project, opening it first if it came back closed (GNS3 lists nodes of open projects only). */
  private async nodesOf(client: Gns3Client, project: Gns3Project): Promise<Gns3Node[]> {
    const open = await client.ensureOpen(project).catch(() => undefined);
    return open ? client.listNodes(project.project_id).catch(() => []) : [];
  }

  /**
   * Calls `each` with every engine's containers of the project, each container once (by id:
   * two computes' engines may be one engine reached two ways). For `down` (`anyAnswer`) an
   * engine that does not answer has none; otherwise its error is the caller's.
   */
  private async eachProjectContainer(
    engines: Docker[],
    projectId: string,
    opts: { all: boolean; anyAnswer?: boolean },
    each: (docker: Docker, containers: Docker.ContainerInfo[]) => Promise<void>,
  ): Promise<void> {
    const seen = new Set<string>();
    for (const docker of engines) {
      const listing = docker.listContainers({ all: opts.all });
      const listed = opts.anyAnswer ? await listing.catch(() => []) : await listing;
      const containers = listed.filter((c) => !seen.has(c.Id) && c.Names.some((n) => isContainerOfProject(n, projectId)));
      for (const c of containers) seen.add(c.Id);
      await each(docker, containers);
    }
  }

  /** How many processes the project's containers run on the engines lvslab knows (what `down` stops). */
  private async processesOf(projectId: string): Promise<number> {
    let n = 0;
    await this.eachProjectContainer(this.allEngines(), projectId, { all: false, anyAnswer: true }, async (docker, containers) => {
      const tops = await Promise.all(containers.map((c) => docker.getContainer(c.Id).top().catch(() => undefined)));
      n += tops.reduce((sum, t) => sum + (t?.Processes.length ?? 0), 0);
    });
    return n;
  }

  /** Containers of that project still on an engine lvslab knows (a server that died mid-delete). Returns how many processes they ran. */
  private async removeLeftContainers(projectId: string): Promise<number> {
    let killed = 0;
    await this.eachProjectContainer(this.allEngines(), projectId, { all: true, anyAnswer: true }, async (docker, containers) => {
      for (const c of containers) {
        if (c.State === 'running') killed += (await docker.getContainer(c.Id).top().catch(() => undefined))?.Processes.length ?? 0;
        await docker
          .getContainer(c.Id)
          .remove({ force: true, v: true })
          .catch((err: unknown) => {
            if (!isNotFound(err)) throw err;
          });
      }
    });
    return killed;
  }
}

/** An impairment as GNS3's filters; ubridge takes whole percents (at least 1: GNS3 reads 0 as "no filter"). */
export function gns3Filters(imp: LinkImpairment): Gns3LinkFilters {
  const f: Gns3LinkFilters = {};
  const percent = (p: number) => Math.max(1, Math.round(p));
  if (imp.lossPercent) f.packet_loss = [percent(imp.lossPercent)];
  if (imp.dropEvery) f.frequency_drop = [imp.dropEvery];
  if (imp.delayMs) f.delay = [imp.delayMs, imp.jitterMs ?? 0];
  if (imp.corruptPercent) f.corrupt = [percent(imp.corruptPercent)];
  return f;
}
