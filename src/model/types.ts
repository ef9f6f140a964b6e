// The lab model.
//
// Two layers:
//  - `LabFile*` types mirror what a user writes in labs/<name>.yaml (optional fields,
//    defaults not yet applied). schema/lab.schema.json is the published JSON Schema of it.
//  - `Resolved*` types are what every renderer and runtime consumes: defaults applied,
//    addresses assigned, interface names, MACs and derived names fixed. Rendering is a
//    pure function of a ResolvedLab, so two resolutions of the same file (and instance
//    name) produce byte-identical configs.

export const ROLES = ['router', 'director', 'realserver', 'client'] as const;
export type Role = (typeof ROLES)[number];

/** Every scheduler kernel IPVS offers (ipvsadm -s). */
export const SCHEDULERS = [
  'rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh', 'twos',
] as const;
export type Scheduler = (typeof SCHEDULERS)[number];

export const FORWARDING_METHODS = ['dr', 'nat', 'tun'] as const;
export type Forwarding = (typeof FORWARDING_METHODS)[number];

export const DATAPLANES = ['auto', 'ipvs', 'nftables'] as const;
export type DataplaneChoice = (typeof DATAPLANES)[number];
/** What actually runs after `auto` was decided. */
export type Dataplane = Exclude<DataplaneChoice, 'auto'>;

export type OspfNetworkType = 'broadcast' | 'point-to-point';
export type EcmpHashPolicy = 'l3' | 'l4';
export type HealthCheckType = 'http' | 'tcp';
export type Protocol = 'tcp' | 'udp';
/**
 * How a service's VIP is made reachable: announced by its directors over OSPF, held by a
 * VRRP pair, reached by ARP (`none`), or announced over OSPF by the real servers themselves,
 * with no director at all (`anycast`, seed 003).
 */
export type Announce = 'ospf' | 'vrrp' | 'none' | 'anycast';

// ---------------------------------------------------------------------------
// As written in the YAML file
// ---------------------------------------------------------------------------

export interface LabFile {
  name: string;
  description?: string;
  /** `auto` (default): kernel IPVS where the kernel has it, else the nftables fallback. */
  dataplane?: DataplaneChoice;
  /**
   * Directors announce an OSPF VIP only while at least one of their real servers passes its
   * health check (withdrawn when none does, live through ospfd's vty). Default false: the
   * seeds announce unconditionally.
   */
  announce_only_when_serving?: boolean;
  ospf?: LabFileOspf;
  segments?: Record<string, LabFileSegment>;
  links?: Record<string, LabFileLink>;
  nodes: Record<string, LabFileNode>;
  services?: Record<string, LabFileService>;
}

export interface LabFileOspf {
  /** Dotted quad or integer; default 0.0.0.0. */
  area?: string | number;
  hello?: number;
  dead?: number;
  cost?: number;
  priority?: number;
  network?: OspfNetworkType;
  /** `maximum-paths` in ospfd: how many equal-cost next hops are installed. */
  max_paths?: number;
  /** `auto-cost reference-bandwidth` in Mbit/s. */
  reference_bandwidth?: number;
  /** `ip ospf retransmit-interval` (s): also paces the DD exchange when an adjacency forms. FRR default 5. */
  retransmit?: number;
  /** `timers throttle lsa all` (ms): minimum time between two originations of one LSA. FRR default 5000. */
  lsa_min_interval_ms?: number;
  /** `timers lsa min-arrival` (ms): minimum time between two accepted copies of one LSA. FRR default 1000. */
  lsa_min_arrival_ms?: number;
  /** `timers throttle spf DELAY HOLD MAX` (ms). FRR default 0 50 5000. */
  spf_delay_ms?: number;
  spf_hold_ms?: number;
  spf_max_hold_ms?: number;
  /** Run FRR's bfdd on every OSPF speaker and tie each OSPF adjacency to a BFD session. */
  bfd?: LabFileBfd;
}

/** BFD (RFC 5880) for OSPF: a neighbour is lost after `multiplier` missed control packets. */
export interface LabFileBfd {
  /** bfdd's receive-interval and transmit-interval (ms). FRR default 300. */
  interval_ms?: number;
  /** bfdd's detect-multiplier. FRR default 3. */
  multiplier?: number;
}

export interface LabFileSegment {
  /** IPv4 CIDR; assigned from 10.200.0.0/16 in /24s when omitted. */
  subnet?: string;
  description?: string;
}

export interface LabFileLink {
  /** IPv4 CIDR of the point-to-point link (normally a /30 or /31); assigned from 10.201.0.0/16 when omitted. */
  subnet?: string;
  description?: string;
}

export interface LabFileInterfaceOspf {
  retransmit?: number;
  cost?: number;
  priority?: number;
  hello?: number;
  dead?: number;
  network?: OspfNetworkType;
  passive?: boolean;
}

export interface LabFileInterface {
  /** Interface name inside the node; default eth0, eth1, ... in list order. */
  name?: string;
  /** Exactly one of segment / link. */
  segment?: string;
  link?: string;
  /** Host address without prefix (prefix comes from the subnet), assigned when omitted. */
  address?: string;
  /** Run OSPF on this interface (default: true on OSPF speakers' interfaces). */
  ospf?: LabFileInterfaceOspf | false;
}

export interface LabFileRoute {
  to: string;
  via: string;
}

export interface LabFileNodeOspf {
  router_id?: string;
  /** Extra prefixes announced (e.g. a service address on lo in an anycast lab). */
  announce?: string[];
  /** Install OSPF routes into this node's kernel (router: true, director: false as in seed 001). */
  install_routes?: boolean;
  /** `default-information originate always` (seed 002's default-route-advertise). */
  default_originate?: boolean;
}

export interface LabFileNode {
  role: Role;
  description?: string;
  interfaces: LabFileInterface[];
  /** Extra addresses on lo, CIDR (VIPs of the node's services are added automatically). */
  loopbacks?: string[];
  /** Default gateway: an address, or `auto` (a router's address on a shared segment), or `none`. */
  gateway?: string;
  routes?: LabFileRoute[];
  /** OSPF speaker settings; `false` turns OSPF off on a node whose role would run it. */
  ospf?: LabFileNodeOspf | false;
  /** Router only: fib_multipath_hash_policy (l3 = addresses, l4 = addresses + ports). Default l4. */
  ecmp_hash?: EcmpHashPolicy;
  /** Answer ARP for addresses it has routes to (the router in seed 001). */
  proxy_arp?: boolean;
}

export interface LabFileRealServer {
  node: string;
  /** Default: the service port. */
  port?: number;
  weight?: number;
  /**
   * The service's directors that forward to this real server, when not all of them do: a
   * cluster in seed 000's sense (one director and its real servers on a segment of their own).
   * Default: every director of the service.
   */
  directors?: string[];
}

export interface LabFileHealthCheck {
  type: HealthCheckType;
  /** http only. */
  path?: string;
  status?: number;
  /** keepalived semantics, seconds. */
  delay_loop?: number;
  connect_timeout?: number;
  retry?: number;
  delay_before_retry?: number;
}

export interface LabFileVrrp {
  virtual_router_id: number;
  advert_int?: number;
  /** director name -> priority; the highest starts as MASTER. */
  priorities?: Record<string, number>;
}

export interface LabFileService {
  vip: string;
  port: number;
  protocol?: Protocol;
  scheduler?: Scheduler;
  forwarding?: Forwarding;
  /** Default: every director in the lab (none with announce: anycast). */
  directors?: string[];
  announce?: Announce;
  real_servers: LabFileRealServer[];
  /** Seconds; 0 = no persistence. */
  persistence_timeout?: number;
  health_check?: LabFileHealthCheck;
  inhibit_on_failure?: boolean;
  sorry_server?: { address: string; port?: number };
  vrrp?: LabFileVrrp;
}

// ---------------------------------------------------------------------------
// Resolved
// ---------------------------------------------------------------------------

export interface ResolvedLab {
  /** Lab name from the file (catalogue name). */
  name: string;
  description: string;
  /** Instance name (`--name`, default the lab name): every host-visible name derives from it. */
  instance: string;
  /** Absolute path of the lab file, and sha256 of its bytes. */
  sourceFile: string;
  sourceHash: string;
  dataplane: DataplaneChoice;
  /** Set (true) when directors announce an OSPF VIP only while one of its real servers is healthy; absent otherwise. */
  announceOnlyWhenServing?: true;
  ospf: ResolvedOspfGlobal;
  segments: ResolvedSegment[];
  links: ResolvedLink[];
  nodes: ResolvedNode[];
  services: ResolvedService[];
}

export interface ResolvedOspfGlobal {
  area: string; // dotted quad
  hello: number;
  dead: number;
  maxPaths: number;
  referenceBandwidth?: number;
  lsaMinIntervalMs: number;
  lsaMinArrivalMs: number;
  spfDelayMs: number;
  spfHoldMs: number;
  spfMaxHoldMs: number;
  /** Set when the lab runs BFD: every OSPF speaker runs bfdd with this one profile. */
  bfd?: ResolvedBfd;
}

export interface ResolvedBfd {
  /** Both receive-interval and transmit-interval of the profile (ms). */
  intervalMs: number;
  multiplier: number;
}

export interface ResolvedSegment {
  name: string;
  subnet: string; // CIDR, network address
  /** `node:iface` of every member, in declaration order. */
  members: InterfaceRef[];
}

export interface ResolvedLink {
  name: string;
  subnet: string;
  ends: [InterfaceRef, InterfaceRef];
}

export interface InterfaceRef {
  node: string;
  iface: string;
}

export interface ResolvedInterfaceOspf {
  retransmit: number;
  cost: number;
  priority: number;
  hello: number;
  dead: number;
  network: OspfNetworkType;
  passive: boolean;
}

export interface ResolvedInterface {
  name: string;
  /** Deterministic, locally administered. */
  mac: string;
  /** Host address, and the address with prefix length (e.g. 10.0.1.133/24). */
  address: string;
  cidr: string;
  prefixLength: number;
  subnet: string;
  attachment: { kind: 'segment'; segment: string } | { kind: 'link'; link: string; peer: InterfaceRef };
  /** undefined when OSPF does not run on this interface. */
  ospf?: ResolvedInterfaceOspf;
}

export interface ResolvedRoute {
  to: string; // CIDR, `default` for 0.0.0.0/0
  via: string;
}

export interface ResolvedNodeOspf {
  routerId: string;
  /** `network X area A` statements: interface subnets plus announced /32s. */
  networks: string[];
  installRoutes: boolean;
  defaultOriginate: boolean;
}

export interface ResolvedNode {
  name: string;
  role: Role;
  description: string;
  interfaces: ResolvedInterface[];
  /** CIDRs on lo (VIPs announced or served here + extra loopbacks). */
  loopbacks: string[];
  routes: ResolvedRoute[];
  ospf?: ResolvedNodeOspf;
  ecmpHash?: EcmpHashPolicy;
  proxyArp: boolean;
  /** Services this node directs (director) or serves (real server). */
  directs: string[];
  serves: string[];
}

export interface ResolvedRealServer {
  node: string;
  /** The real server's address the director sends to (on the segment shared with the directors). */
  address: string;
  port: number;
  weight: number;
  /** The directors of the service that forward to it (all of them unless the lab names a subset). */
  directors: string[];
}

export interface ResolvedHealthCheck {
  type: HealthCheckType;
  path: string;
  status: number;
  delayLoop: number;
  connectTimeout: number;
  retry: number;
  delayBeforeRetry: number;
}

export interface ResolvedVrrp {
  virtualRouterId: number;
  advertInt: number;
  priorities: Record<string, number>;
}

export interface ResolvedService {
  name: string;
  vip: string;
  port: number;
  protocol: Protocol;
  scheduler: Scheduler;
  forwarding: Forwarding;
  directors: string[];
  announce: Announce;
  realServers: ResolvedRealServer[];
  persistenceTimeout: number;
  healthCheck: ResolvedHealthCheck;
  inhibitOnFailure: boolean;
  sorryServer?: { address: string; port: number };
  vrrp?: ResolvedVrrp;
}

/** Where a node's files live, as seen from inside the node (runtime-specific base). */
export interface NodePaths {
  /** Configs, pid files, logs and sockets of this node all live below this directory. */
  base: string;
  conf: string;
  run: string;
  log: string;
  /** Where FRR's daemons put their vty sockets (vtysh --vty_socket). */
  frrVtyDir: string;
  /**
   * How the node runs lvslab's own programs (the fallback's health daemon, the traffic
   * generator): the Node.js binary and lvslab's compiled dist/ directory as the node sees them.
   */
  lvslab: LvslabProgramPaths;
}

export interface LvslabProgramPaths {
  node: string;
  dist: string;
}
