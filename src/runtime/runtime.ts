// The one interface every runtime (netns, Docker, containerlab, GNS3) implements;
// each is listed once in the registry (registry.ts). Everything above it — configuring nodes, readiness checks, experiments —
// talks to nodes only through these calls, so the same lab and experiment run unchanged
// on every runtime. Keep runtime-specific details (namespace names, container ids) behind it.
import type { NodePaths, ResolvedLab } from '../model/types.js';
import type { RunOptions, RunResult } from '../util/exec.js';
import type { LabHost } from '../host/host.js';

/** A registered runtime's name (registry.ts lists them): `--runtime`'s word, kept in the instance record. */
export type RuntimeKind = string;

/**
 * A runtime's own settings (GNS3: which server and compute; its project once created), by
 * the key its registry entry's flags give them. `up` keeps what the runtime reports in the
 * instance record, so later commands reach the lab without the flags. Never secrets.
 */
export type RuntimeSettings = Readonly<Record<string, string>>;

/** A long-running process started inside a node. */
export interface DaemonSpec {
  /** Short name used in logs and status (zebra, ospfd, nginx, keepalived, healthd). */
  name: string;
  argv: string[];
  /**
   * Where the daemon's pid ends up. Self-daemonizing programs (FRR with -d, nginx with
   * `daemon on`) write it themselves; for the others the runtime writes it.
   */
  pidFile: string;
  selfDaemonizing: boolean;
  /** For non-self-daemonizing programs: stdout and stderr are appended here. */
  logFile?: string;
  /**
   * Directories outside the node's paths that the program writes to (FRR: /run/frr,
   * /var/tmp/frr). A runtime whose nodes share the host's filesystem (netns) binds the
   * node-private `source` over `over` for this process only; a runtime that gives each
   * node its own filesystem (containers) has nothing to do.
   */
  privateDirs?: Array<{ over: string; source: string }>;
}

/** What a link impairment does to the link's frames, in each direction (GNS3's link filters). */
export interface LinkImpairment {
  lossPercent?: number;
  /** Every n-th frame dropped. */
  dropEvery?: number;
  delayMs?: number;
  jitterMs?: number;
  corruptPercent?: number;
}

/** What `down` removed, so the CLI can say it and tests can check it. */
export interface DestroyReport {
  instance: string;
  killedProcesses: number;
  removedNodes: string[];
  removedPaths: string[];
}

export interface NodeInspection {
  name: string;
  /** Runtime handle: namespace name, container id, ... */
  handle: string;
  running: boolean;
  processes: Array<{ pid: number; command: string }>;
}

export interface Runtime {
  readonly kind: RuntimeKind;
  /**
   * The lab host: the machine whose kernel runs the nodes (namespaces, or the engine's
   * containers), this one or one reached over SSH (--host). Host checks, the kernel's IPVS
   * and FRR's host directories are asked of it.
   */
  readonly host: LabHost;
  /**
   * True when a node's paths (nodePaths) are paths on this host, as on netns, whose nodes
   * share the host's filesystem: then `up` provides FRR's host directories that each FRR
   * daemon's private copies are bound over, and a failed `up`'s logs are read on the host.
   */
  readonly nodeFilesOnHost: boolean;
  /**
   * Fails with a clear error when the runtime cannot create a lab here (no engine, no node
   * image). `up` calls it before it records or creates anything.
   */
  preflight(): Promise<void>;
  /**
   * Optional: checks the runtime's own settings against the lab (GNS3's placement must name
   * its nodes or roles). `up` calls it first, before it checks the host or creates anything.
   */
  checkLab?(lab: ResolvedLab): void;
  /**
   * Optional: machines other than `host` that run some of the instance's nodes (a GNS3 lab
   * placed on computes of several machines), with those nodes. A run measures their clocks
   * beside the lab host's and its report states how far they are from it.
   */
  otherLabHosts?(instance: string): ReadonlyArray<{ host: LabHost; nodes: string[] }>;
  /** Paths of a node's files as seen inside that node. */
  nodePaths(instance: string, node: string): NodePaths;
  /**
   * Creates the nodes and the links between them (L2 segments and point-to-point links),
   * with the resolved MACs, and brings the network up (addresses, routes, sysctls via
   * `networkLines`/`sysctls`). Calls `onNodeNetworkReady` for each node as soon as its own
   * network is configured, so callers can start daemons early (OSPF timers start then).
   */
  create(lab: ResolvedLab, plan: CreatePlan): Promise<void>;
  /** Runs a command inside a node. Never throws for a non-zero exit. */
  exec(instance: string, node: string, argv: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /** Runs a command inside a node with the user's terminal attached; resolves to its exit code. */
  execInteractive(instance: string, node: string, argv: readonly string[]): Promise<number>;
  /** Writes a file that the node sees at `path` (a path from nodePaths). */
  writeFile(instance: string, node: string, path: string, content: string, opts?: { owner?: string; mode?: number }): Promise<void>;
  /** Reads a file the node sees at `path`; undefined when it does not exist. */
  readFile(instance: string, node: string, path: string): Promise<string | undefined>;
  /** Creates directories inside the node (with parents), in order, each optionally owned by a user. */
  makeDirs(instance: string, node: string, dirs: ReadonlyArray<{ path: string; owner?: string }>): Promise<void>;
  startDaemon(instance: string, node: string, spec: DaemonSpec): Promise<void>;
  /**
   * Cuts (up=false) or restores a node's interface at the carrier level, as a pulled cable
   * would: on a point-to-point link the peer sees its carrier go too (on a shared segment
   * only the switch port would, so the other members see nothing, as on real hardware).
   */
  setCarrier(instance: string, node: string, iface: string, up: boolean): Promise<void>;
  /**
   * Optional: the runtime's own silent link failure (GNS3: its link suspend, where the
   * forwarder drops every frame). Without it, experiments drop the frames inside the node
   * (nftables netdev hooks). Resolves to how it was done, for the action record.
   */
  silentFailure?(instance: string, node: string, iface: string, failed: boolean): Promise<string>;
  /**
   * Optional: the runtime's own link impairment (GNS3: its link filters), or undefined to
   * clear it. Without it, experiments impair the node's side inside the node. Resolves to how.
   */
  impairLink?(instance: string, node: string, iface: string, impairment: LinkImpairment | undefined): Promise<string>;
  /**
   * Optional: the runtime's own packet capture of the link on a node's interface (GNS3: its
   * link capture, written by the server). Resolves once the capture runs. Without it,
   * `run --capture` runs tcpdump inside the node (src/capture/tcpdump.ts). `fileName` is a
   * plain file name (letters, digits, '_', '.', '-') the runtime may name its own copy by.
   */
  captureLink?(instance: string, node: string, iface: string, fileName: string): Promise<LinkCapture>;
  /**
   * Optional: finds, before an experiment's clock starts, whatever it needs to act on these
   * interfaces' links later (GNS3: each link's id and peer), so a timed step costs only the
   * action itself.
   */
  prepareLinks?(instance: string, ends: ReadonlyArray<{ node: string; iface: string }>): Promise<void>;
  /** Optional: what the runtime says of itself for reports, beyond its kind (GNS3: server version, URL, compute). */
  describe?(): Promise<string>;
  /** Optional: what later commands need to reach `instance` again (kept in its record; never secrets). */
  recordedSettings?(instance: string): RuntimeSettings;
  /** Instances this runtime finds on the host (also half-created or crashed ones). */
  listInstances(): Promise<string[]>;
  inspect(instance: string): Promise<NodeInspection[]>;
  /**
   * Removes everything of the instance, the instance directory (with its state record)
   * last. Idempotent; works without any saved state.
   */
  destroy(instance: string, opts?: DestroyOptions): Promise<DestroyReport>;
}

/** A packet capture that is running: how it is taken, and how to end it and get the pcap. */
export interface LinkCapture {
  /** How it is taken, for the reports: "GNS3 link capture of link …", "tcpdump -i eth0 in node lb1". */
  method: string;
  /**
   * Ends the capture and returns the pcap's bytes (classic libpcap format, Ethernet frames).
   * May say how the bytes were fetched, where that matters for the reports.
   */
  stop(): Promise<{ pcap: Buffer; note?: string }>;
}

export interface DestroyOptions {
  /**
   * Leave the instance directory (and its state record) in place: the caller removes
   * other runtimes' objects too and deletes the record only after all of them are gone,
   * so a kill -9 half-way never leaves objects with no record.
   */
  keepInstanceDir?: boolean;
}

export interface CreatePlan {
  /** `ip -batch` lines per node (addresses, links up, routes). */
  networkLines(node: string): string[];
  /** sysctl key/value pairs per node. */
  sysctls(node: string): Array<[string, string]>;
  onNodeNetworkReady?(node: string): Promise<void>;
  /** Called once per created element, for progress output. */
  onProgress?(message: string): void;
}
