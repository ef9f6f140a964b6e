// The experiment model: what an experiment file says (written against roles, so one
// experiment runs on every lab that has those roles), and what a run records. Every
// figure in a report is computed from these records, nothing else.
//
// Times: every timestamp in records is wall-clock milliseconds since the Unix epoch as a
// float (sub-ms precision where the source has it). All nodes of a lab share the host's
// clock (netns, containers, and processes inside the test VM alike), so records from
// clients, daemons' logs and the route monitor line up on one axis.

// ---------------------------------------------------------------------------
// Experiment file (YAML), as written
// ---------------------------------------------------------------------------

/** Picks nodes by role (and 1-based position among that role, in lab order) or by name. */
export interface NodeSelector {
  role?: 'router' | 'director' | 'realserver' | 'client';
  /** 1-based among the nodes of `role`, in the lab's declaration order. */
  index?: number;
  node?: string;
}

/** Picks one node, and for link actions one of its interfaces. */
export interface TargetSelector extends NodeSelector {
  /**
   * `uplink`: the node's interface that shares a segment/link with a router (a director's
   * OSPF side); `downlink`: the one shared with its real servers; or an interface name.
   */
  interface?: string;
}

export const ACTIONS = [
  'link-down', // ip link set IF down: carrier loss, OSPF notices at once
  'link-up',
  'silent-failure', // drop every packet on IF, carrier stays up: only OSPF's dead timer notices
  'silent-restore',
  'kill', // SIGKILL a daemon
  'start', // start a killed daemon again, as `up` started it
  'pause', // SIGSTOP a daemon (a hung process)
  'resume', // SIGCONT
  'node-stop', // every daemon of the node killed and every interface down
  'node-start',
  'link-impair', // lose, delay, corrupt or drop every n-th frame on IF's link (GNS3: its link filters)
  'link-clear',
  'address-down', // take an address off the node's lo (seed 003: the service address's `ifconfig lo:0 down`)
  'address-up', // put it back
] as const;
export type Action = (typeof ACTIONS)[number];

export const DAEMONS = ['zebra', 'ospfd', 'nginx', 'keepalived', 'healthd', 'dataplane'] as const;
/** `dataplane` = whichever director daemon runs (keepalived on ipvs, healthd on the fallback). */
export type DaemonName = (typeof DAEMONS)[number];

/** What link-impair does to a link's frames, in each direction (GNS3's link filters, by another name). */
export interface Impairment {
  loss_percent?: number;
  drop_every?: number;
  delay_ms?: number;
  jitter_ms?: number;
  corrupt_percent?: number;
}

export interface TimelineStepFile {
  /** Seconds from the start of traffic. */
  at: number;
  action: Action;
  target: TargetSelector;
  /** For kill/start/pause/resume. */
  daemon?: DaemonName;
  /** For link-impair. */
  impair?: Impairment;
  /** For address-down/up: the address on lo (default: the experiment's service VIP). */
  address?: string;
}

export interface TrafficFile {
  /** Client nodes that send (default: every client). */
  from?: NodeSelector;
  /** Service name (default: the lab's first service). */
  service?: string;
  /** New TCP connections per second, per client. */
  rate: number;
  /** Per-request deadline, ms (default 1000). */
  timeout_ms?: number;
}

export interface LongLivedFile {
  from?: NodeSelector;
  service?: string;
  /** Connections held open per client. */
  connections: number;
  /** A request on each connection this often, ms (default 200). */
  heartbeat_ms?: number;
}

export interface ExperimentFile {
  name: string;
  description?: string;
  /** Lab used when `--lab` is not given. */
  lab?: string;
  /** Seconds of traffic; the timeline runs inside it. */
  duration: number;
  traffic?: TrafficFile[];
  long_lived?: LongLivedFile[];
  timeline?: TimelineStepFile[];
  /** Assertions, e.g. "outage_s <= 5", "nexthops.during == 1" (see FIGURE_NAMES). */
  expect?: string[];
  /** Seed for every random choice (default fixed, recorded in the manifest). */
  seed?: number;
}

// ---------------------------------------------------------------------------
// Records of a run (raw data; results.json embeds them or points at them)
// ---------------------------------------------------------------------------

export type RequestOutcome = 'ok' | 'refused' | 'reset' | 'timeout' | 'error';

/** One request on a new TCP connection. Written as NDJSON by the traffic generator. */
export interface RequestRecord {
  /** Start (connect() called), epoch ms. */
  t: number;
  client: string;
  /** Until the response was complete, or the failure, ms. */
  latencyMs: number;
  outcome: RequestOutcome;
  /** X-Real-Server of the answer, when ok. */
  server?: string;
  /** Source port (what the L4 ECMP hash saw). */
  localPort?: number;
  /** HTTP status when a response came (a 5xx counts as 'error'). */
  status?: number;
}

export type LongLivedBreak = 'rst' | 'timeout' | 'server-changed' | 'closed';

export interface LongLivedEvent {
  t: number;
  client: string;
  /** Connection number within the client. */
  connection: number;
  kind: 'open' | 'break' | 'reopen';
  breakKind?: LongLivedBreak;
  server?: string;
}

/** A timeline step as it was carried out. */
export interface ActionRecord {
  /** Index in the experiment's timeline. */
  step: number;
  action: Action;
  /** Resolved: node name, interface, daemon. */
  node: string;
  interface?: string;
  daemon?: string;
  /** For address-down/up: the address taken off (or put back on) lo. */
  address?: string;
  /** When it was planned (epoch ms), and when the command started and returned. */
  plannedAt: number;
  startedAt: number;
  doneAt: number;
  /** On a remote lab host: ± how far these times (moved onto the host's clock) may be off it, ms. */
  clockUncertaintyMs?: number;
  ok: boolean;
  detail: string;
}

/** A change of the kernel routing table seen by `ip monitor route` on a router. */
export interface RouteEvent {
  t: number;
  node: string;
  /** Prefix, e.g. 10.0.1.100/32. */
  prefix: string;
  kind: 'add' | 'del' | 'change';
  nextHops: string[];
  raw: string;
}

/**
 * A change of a router's neighbour (ARP) entry seen by `ip -ts monitor neigh`: where a VRRP
 * VIP lives, as the router sees it (the MAC behind the address).
 */
export interface NeighbourEvent {
  t: number;
  node: string;
  /** The neighbour's IP address, e.g. 10.0.1.100. */
  address: string;
  dev?: string;
  /** The MAC the entry names; absent while unresolved (INCOMPLETE, FAILED) or when deleted without one. */
  lladdr?: string;
  /** NUD states as printed: REACHABLE, STALE, DELAY, PROBE, FAILED, INCOMPLETE, ... */
  state: string[];
  deleted: boolean;
  /** The lab's director whose interface has `lladdr`, found by the analysis (absent: none). */
  director?: string;
  raw: string;
}

/** One timestamped line of a daemon's log. */
export interface LogLine {
  t: number;
  node: string;
  daemon: string;
  text: string;
}

export type Phase = 'before' | 'during' | 'after';

/**
 * State captured on the nodes at one moment: `start` when the traffic starts, `before`
 * just before the first timeline step, `during` just before the last step (or near the end
 * when there is only one), `after` once the traffic has ended. Counter deltas between them
 * give each phase's per-director hits.
 */
export interface Snapshot {
  phase: Phase | 'start';
  t: number;
  routers: Record<
    string,
    {
      /** `ip -j route` of the main table. */
      fib: unknown[];
      /** FRR `show ip route json`. */
      rib: unknown;
      ospfNeighbors: Array<{ routerId: string; address: string; state: string; iface: string }>;
      /** Next hops of each service VIP/32 in the kernel. */
      vipNextHops: Record<string, string[]>;
    }
  >;
  directors: Record<
    string,
    {
      /** service -> connections accepted so far (IPVS Conns or nft counter). */
      services: Record<string, number>;
      /** service -> real server -> connections scheduled so far. */
      realServers: Record<string, Record<string, number>>;
      /** Raw `ipvsadm -Ln --stats` or `nft -j list counters` output. */
      raw: string;
    }
  >;
  /**
   * VRRP-held services (absent in labs without one, and in older files): the directors
   * holding the VIP, and each router's neighbour entry for it (null: no entry).
   */
  vrrp?: Record<string, VrrpSnapshot>;
}

export interface VrrpSnapshot {
  vip: string;
  holders: string[];
  neighbours: Record<string, { lladdr?: string; state: string[]; /** The director with that MAC. */ director?: string } | null>;
}

/**
 * The directors' connection counters read at a timeline step's start: the boundary between
 * two phases. Only the counters (one read per director, in parallel), centred on the step,
 * so the reads' span [t, tEnd] is how far the reading may stand from the boundary.
 */
export interface CounterSnapshot {
  /** The timeline step (ActionRecord.step) whose start this snapshot marks. */
  step: number;
  /** Epoch ms when the reads started and when the last one returned. */
  t: number;
  tEnd: number;
  /**
   * How long before its read a counter value may already be (ms): kernel IPVS publishes
   * its counters from an estimator that runs about every 2 s (2000); the fallback's nft
   * counters are exact when read (0).
   */
  staleUpToMs: number;
  /** director -> counters, as in Snapshot.directors (without the raw text). */
  directors: Record<string, { services: Record<string, number>; realServers: Record<string, Record<string, number>> }>;
  /** director -> why its counters could not be read. */
  errors: Record<string, string>;
}

// ---------------------------------------------------------------------------
// Figures (results.json "figures"); every one states how it was obtained
// ---------------------------------------------------------------------------

export interface Figure {
  value: number | null;
  unit: 's' | 'ms' | 'ratio' | 'count' | 'p-value' | 'next hops';
  /** How it was computed, from which records. */
  method: string;
  /** Smallest difference the method can see, in `unit` (e.g. 0.001 s for FRR's ms logs). */
  resolution: number | null;
  /** Why value is null, when it is. */
  note?: string;
}

/** Names an `expect:` line may use (figures, plus per-phase next hops). */
export const FIGURE_NAMES = [
  'requests_total',
  'requests_failed',
  'success_ratio',
  'failed_refused',
  'failed_reset',
  'failed_timeout',
  'failed_error',
  'outage_s', // first failed request after the first event to the last one before the service recovered
  'failed_after_recovery', // failed requests after that recovery, before the next event
  'restore_outage_s', // the same from the first restore event: a director back before it can serve
  'longest_gap_s', // longest stretch with no successful request from any client
  'failed_share_after_failure', // failed / all requests from the first failure step's command returning to the next step (or the end)
  'ospf_detection_s', // event -> FRR logs the neighbour Down
  'bfd_detection_s', // event -> bfdd logs the session with it up -> down (labs with ospf.bfd)
  'route_withdrawal_s', // event -> VIP route loses the next hop (ip monitor)
  'route_restoration_s', // restore event -> VIP route has all next hops again
  'hc_removal_s', // real-server failure -> every director stopped sending to it
  'vip_move_s', // failure of the VRRP VIP's holder -> the router's neighbour entry names another director's MAC
  'vip_return_s', // its restore -> the entry names its MAC again, for good
  'chi2_p', // hits per real server vs configured weights
  'long_lived_broken',
  'directors_before', // directors with new connections in the before phase
  'busiest_director_share_before', // the largest director's share of them
  'worst_client_success_ratio', // the smallest success ratio of one client over the run
  'servers_after', // distinct real servers answering in the after phase
  'directors_after', // directors with new connections in the after phase
  'nexthops.before',
  'nexthops.during',
  'nexthops.after',
] as const;
export type FigureName = (typeof FIGURE_NAMES)[number];

export interface AssertionResult {
  expression: string;
  figure: string;
  op: '<' | '<=' | '==' | '!=' | '>=' | '>';
  expected: number;
  actual: number | null;
  passed: boolean;
}

import type { ResultsTopology } from '../report/topology.js';
import type { OtherHostClock, RunClock } from './host-clock.js';

// ---------------------------------------------------------------------------
// results.json (versioned; documented in docs/results-schema.md)
// ---------------------------------------------------------------------------

export const RESULTS_SCHEMA = 'lvslab.results/v1';

export interface Manifest {
  lvslab: string;
  frr?: string;
  keepalived?: string;
  nginx?: string;
  kernel: string;
  node: string;
  runtime: string;
  /** What the runtime says of itself, where it says more than its kind: "GNS3 2.2.59 at http://127.0.0.1:3080, compute local". */
  runtimeDetail?: string;
  dataplane: 'ipvs' | 'nftables';
  dataplaneDetail: string;
  /** Seed of every random choice in the run. */
  seed: number;
  labFile: string;
  labSha256: string;
  experimentFile: string;
  experimentSha256: string;
  host: { cpus: number; hostname: string };
  /**
   * Where the nodes ran — "this host", or the SSH target (--host) — and the clock offset
   * between it and lvslab, measured at the run's start and end (absent in older records).
   */
  labHost?: { host: string; clock: RunClock };
  /**
   * Other machines that ran some of the nodes (a GNS3 lab over computes on several machines),
   * with their clocks against lvslab's: a figure comparing an event on one of these nodes with
   * the lab host's clock is off by their difference (report: "other lab hosts").
   */
  otherLabHosts?: OtherHostClock[];
  startedAt: string;
  finishedAt: string;
}

/** Counts in one bucket of the timeline. */
export interface TimeBucket {
  /** Bucket start, seconds since traffic start. */
  t: number;
  ok: number;
  failed: number;
  /** ok answers per real server. */
  byServer: Record<string, number>;
}

/**
 * How a set of per-director connection counts was measured: differences of two counter
 * snapshots, one at each end of the stretch.
 */
export interface DirectorCountsMethod {
  /** The snapshots used, when they were read, and what they cover. */
  method: string;
  /**
   * Seconds: how far from its end of the stretch a snapshot's counters may stand (its
   * read time, plus IPVS's estimator period); the larger of the two ends. null when not measured.
   */
  resolution: number | null;
  /**
   * Connections the clients opened within those windows around the ends: the most by
   * which a count can differ from the stretch's true count (0: exact). null when not measured.
   */
  uncertainty: number | null;
  /** director -> why its count is null ("not measured"). */
  notMeasured: Record<string, string>;
}

export interface Hits {
  /** ok answers per real server, as the clients saw them. */
  perRealServer: Record<string, number>;
  /**
   * New connections per director, from IPVS/nft counter deltas over the traffic window;
   * null where it was not measured (directors.notMeasured says why).
   */
  perDirector: Record<string, number | null>;
  /** How perDirector was measured (results.json files written before it existed lack it). */
  directors?: DirectorCountsMethod;
  /** Configured share of each real server (its weight / sum of weights). */
  expectedShare: Record<string, number>;
  /**
   * Per phase: real servers by request start; directors by differences of the counter
   * snapshots at the phase's boundaries, so the phases add up to perDirector.
   */
  perPhase: Record<Phase, { perRealServer: Record<string, number>; perDirector: Record<string, number | null>; directors?: DirectorCountsMethod }>;
  /**
   * In a lab whose real servers each belong to one director (a cluster, seed 000): real
   * server -> that director. Absent otherwise (an answer then does not say which director carried it).
   */
  clusters?: Record<string, string>;
  /** Per client: its requests over the run and per phase (by request start). Older files lack it. */
  perClient?: Record<string, { total: ClientPhaseHits; perPhase: Record<Phase, ClientPhaseHits> }>;
}

/** What one client saw in one stretch of the run. */
export interface ClientPhaseHits {
  requests: number;
  ok: number;
  /** ok / requests; null when the client started no request in the stretch. */
  successRatio: number | null;
  /** ok answers per real server. */
  perRealServer: Record<string, number>;
  /** With Hits.clusters: ok answers per cluster (director), from the real server that answered. */
  perCluster?: Record<string, number>;
  /** With Hits.clusters: ok answers from a server in no cluster of the lab. */
  unknownServer?: number;
}

/** Client-side counts against the directors' counters and the real servers' access logs. */
export interface CrossCheck {
  clientOk: Record<string, number>;
  directorCounters: Record<string, number>;
  nginxLog: Record<string, number>;
  agree: boolean;
  note: string;
}

export interface RunResults {
  schema: typeof RESULTS_SCHEMA;
  experiment: { name: string; description: string; file: string };
  lab: { name: string; instance: string; file: string; runtime: string; dataplane: 'ipvs' | 'nftables' };
  manifest: Manifest;
  /** 1-based run number with --repeat; 1 otherwise. */
  run: number;
  /** Epoch ms; phases: before = [trafficStart, first event), during = [first event, last event), after = [last event, trafficEnd]. */
  trafficStart: number;
  trafficEnd: number;
  timeline: ActionRecord[];
  figures: Record<FigureName, Figure>;
  hits: Hits;
  perSecond: TimeBucket[];
  per100ms: TimeBucket[];
  snapshots: Snapshot[];
  /** Director counters read at each timeline step's start (older files lack it). */
  counterSnapshots?: CounterSnapshot[];
  routeEvents: RouteEvent[];
  /** The routers' neighbour-entry changes (`ip -ts monitor neigh`), in labs with a VRRP VIP; absent otherwise. */
  neighbourEvents?: NeighbourEvent[];
  /** Daemon log lines inside the traffic window (plus a margin). */
  logs: LogLine[];
  longLived: LongLivedEvent[];
  assertions: AssertionResult[];
  crossCheck: CrossCheck;
  /** Raw request records, NDJSON, relative to the run directory. */
  requestsFile: string;
  /** The lab's nodes, segments and links, for the report's drawing (older files lack it). */
  topology?: ResultsTopology;
  /** With `run --capture`: one entry per captured link, failed ones included (absent otherwise). */
  captures?: CaptureRecord[];
}

/**
 * One link's packet capture of a `run --capture` (results.json "captures"). `file` is set only
 * when the pcap was written; a capture that failed to start or stop has `error` instead.
 */
export interface CaptureRecord {
  node: string;
  interface: string;
  /** Exactly one of segment / link: what the captured interface is attached to. */
  segment?: string;
  link?: string;
  /** The pcap, relative to the run directory (captures/lb1-eth0.pcap). */
  file?: string;
  bytes?: number;
  /** Complete frames in the file. */
  frames?: number;
  /** How it was taken: "GNS3 link capture of link …", "tcpdump -i eth0 in node lb1". */
  method: string;
  /** Epoch ms: when the capture ran (from its start's answer to the stop's call). */
  startedAt?: number;
  stoppedAt?: number;
  /** What the reader should know of this file (how it was fetched, frames the capture missed). */
  note?: string;
  /** Why there is no file: the capture did not start, or did not stop, or its bytes were no pcap. */
  error?: string;
}

/** DIR/results.json of a `--repeat K` run: every run plus order statistics per figure. */
export interface RepeatResults {
  schema: typeof RESULTS_SCHEMA;
  experiment: RunResults['experiment'];
  lab: RunResults['lab'];
  runs: Array<{ run: number; dir: string; passed: boolean }>;
  aggregate: Record<string, { n: number; median: number | null; p95: number | null; min: number | null; max: number | null; unit: string }>;
}
