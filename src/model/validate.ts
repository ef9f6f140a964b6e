// Checks the schema cannot express: references between nodes, segments and services,
// addressing, OSPF reachability of VIPs and forwarding paths. Runs on possibly incomplete
// data (the schema may have rejected parts of the file) so that one run reports every
// problem; values the schema rejected are skipped, not reported twice.
import { formatCidr, formatIPv4, hostRange, parseCidr, parseIPv4, subnetContains, subnetsOverlap, unusableAddressReason, unusableSubnetReason, type Cidr } from './addr.js';
import {
  BRIDGE_NAME,
  defaultInterfaceName,
  instanceNameProblem,
  interfaceNameProblem,
  linkNameProblem,
  NETWORK_NAME,
  NODE_NAME,
  INSTANCE_NAME,
  INTERFACE_NAME,
  nodeNameProblem,
  segmentNameProblem,
  serviceNameProblem,
} from './names.js';
import { didYouMean, fieldOf, type LabIssue, type PathSegment } from './problems.js';
import { DEFAULTS, interfaceKey, planAddressing, type AddressPlan } from './resolve.js';
import {
  attachmentOf,
  attachmentsOf,
  entries,
  hasOspfNeighbour,
  ospfAttachments,
  ospfSpeakers,
  serviceAnnounce,
  serviceDirectors,
  sharedAttachments,
  type AttachmentKey,
  type LooseLab,
  type LooseNode,
} from './topology.js';

const has = (obj: object | undefined, key: string): boolean => !!obj && Object.prototype.hasOwnProperty.call(obj, key);

function rangeText(c: Cidr): string {
  const { first, last } = hostRange(c);
  return first === last ? formatIPv4(first) : `an address from ${formatIPv4(first)} to ${formatIPv4(last)}`;
}

function attachmentLabel(key: AttachmentKey): string {
  return key.replace(':', ' ');
}

class Checker {
  readonly issues: LabIssue[] = [];
  private readonly plan: AddressPlan;
  private readonly nodeNames: string[];
  private readonly rejectedKeys: Set<string>;
  /** Nodes that could announce a VIP over OSPF (computed once, not per director and service). */
  private readonly announcers: Set<string>;
  /** OSPF speakers that install learned routes. */
  private readonly learners: Set<string>;
  private readonly reportedRouters = new Set<string>();
  /** `segment:lan/51` -> the VRRP service that uses virtual router id 51 there. */
  private readonly vrrpIds = new Map<string, string>();

  constructor(
    private readonly lab: LooseLab,
    private readonly rejected: PathSegment[][],
  ) {
    this.plan = planAddressing(lab);
    this.nodeNames = entries(lab.nodes).map(([n]) => n);
    this.rejectedKeys = new Set(rejected.map((r) => r.map((seg) => `\u0000${typeof seg}:${seg}`).join('')));
    const speakers = ospfSpeakers(lab);
    const byAttachment = ospfAttachments(lab, speakers);
    // Announcing only works toward a router running OSPF (or a speaker told to install
    // routes): two directors that hear only each other reach no client.
    this.learners = new Set(
      entries(lab.nodes)
        .filter(([n, node]) => speakers.has(n) && (node.role === 'router' || (typeof node.ospf === 'object' && node.ospf !== null && node.ospf.install_routes === true)))
        .map(([n]) => n),
    );
    this.announcers = new Set(
      entries(lab.nodes)
        .filter(([n, node]) => speakers.has(n) && hasOspfNeighbour(n, node, byAttachment, this.learners))
        .map(([n]) => n),
    );
  }

  private error(path: PathSegment[], message: string, accepted?: string, at?: LabIssue['at']): void {
    this.issues.push({ path, message, severity: 'error', ...(accepted ? { accepted } : {}), ...(at ? { at } : {}) });
  }

  private warn(path: PathSegment[], message: string, accepted?: string, at?: LabIssue['at']): void {
    this.issues.push({ path, message, severity: 'warning', ...(accepted ? { accepted } : {}), ...(at ? { at } : {}) });
  }

  /** Whether the schema rejected this value or one containing it (O(depth): the paths are indexed). */
  private isRejected(path: PathSegment[]): boolean {
    let prefix = '';
    if (this.rejectedKeys.has(prefix)) return true;
    for (const seg of path) {
      prefix += `\u0000${typeof seg}:${seg}`;
      if (this.rejectedKeys.has(prefix)) return true;
    }
    return false;
  }

  run(): LabIssue[] {
    this.names();
    this.subnets();
    this.interfaces();
    this.networkMembers();
    this.addresses();
    this.usableAddresses();
    this.routerIds();
    this.nodeRouting();
    this.ospfTimers();
    this.bfd();
    this.services();
    this.clients();
    return this.issues;
  }

  // --- names --------------------------------------------------------------

  private names(): void {
    if (typeof this.lab.name === 'string') {
      const why = instanceNameProblem(this.lab.name);
      if (why) this.error(['name'], `lab name ${why}`, INSTANCE_NAME.accepted);
    }
    const groups = [
      { key: 'nodes', check: nodeNameProblem, rule: NODE_NAME, what: 'node' },
      { key: 'segments', check: segmentNameProblem, rule: BRIDGE_NAME, what: 'segment' },
      { key: 'links', check: linkNameProblem, rule: NETWORK_NAME, what: 'link' },
      { key: 'services', check: serviceNameProblem, rule: NETWORK_NAME, what: 'service' },
    ] as const;
    for (const { key, check, rule, what } of groups) {
      for (const [name] of entries(this.lab[key] as Record<string, unknown> | undefined)) {
        const why = check(name);
        if (why) this.error([key, name], `${what} name ${why}`, rule.accepted, 'key');
      }
    }
  }

  // --- subnets ------------------------------------------------------------

  private subnets(): void {
    const given: { path: PathSegment[]; label: string; cidr: Cidr }[] = [];
    for (const kind of ['segments', 'links'] as const) {
      for (const [name, net] of entries(this.lab[kind])) {
        if (typeof net.subnet !== 'string') continue;
        const c = parseCidr(net.subnet);
        if (!c) continue; // the schema already said it is not CIDR
        const path = [kind, name, 'subnet'];
        const label = `${kind === 'segments' ? 'segment' : 'link'} ${name}`;
        if (c.address !== c.network) {
          this.error(path, `${net.subnet} has host bits set`, `the network address: ${formatIPv4(c.network)}/${c.prefix}`);
        }
        const unusable = unusableSubnetReason(c);
        if (unusable) this.error(path, `${net.subnet}: ${unusable}`, 'a private unicast subnet such as 10.0.1.0/24');
        if (kind === 'links' && c.prefix > 31) {
          this.error(path, `a /${c.prefix} has room for only one address, a link needs two`, 'a /30 or /31 (or larger)');
        }
        if (kind === 'segments' && c.prefix === 32) {
          this.error(path, 'a /32 has room for one address and no neighbour: a segment needs at least two', 'a /30 or larger (a /24 is usual)');
        }
        const clash = given.find((g) => subnetsOverlap(g.cidr, c));
        if (clash) {
          this.error(path, `${net.subnet} overlaps ${clash.label}'s subnet ${formatIPv4(clash.cidr.network)}/${clash.cidr.prefix}`, 'a subnet no other segment or link uses');
        }
        given.push({ path, label, cidr: c });
      }
    }
    for (const key of this.plan.poolExhausted) {
      const [kind, name] = key.split(':') as [string, string];
      this.error([`${kind}s`, name], `no free default subnet left for ${attachmentLabel(key)}`, 'an explicit subnet', 'key');
    }
  }

  // --- interfaces -----------------------------------------------------------

  private interfaces(): void {
    for (const [nodeName, node] of entries(this.lab.nodes)) {
      const list = Array.isArray(node.interfaces) ? node.interfaces : [];
      const usedNames = new Map<string, number>();
      const usedAttachments = new Map<AttachmentKey, number>();
      list.forEach((iface, index) => {
        if (!iface) return;
        const base: PathSegment[] = ['nodes', nodeName, 'interfaces', index];
        const hasSegment = has(iface, 'segment');
        const hasLink = has(iface, 'link');
        if (hasSegment && hasLink) {
          this.error(base, 'gives both segment and link', 'exactly one of segment or link');
        } else if (!hasSegment && !hasLink) {
          this.error(base, 'attaches to nothing: no segment or link given', 'exactly one of segment or link');
        }
        this.reference(base, 'segment', iface.segment, 'segments');
        this.reference(base, 'link', iface.link, 'links');

        // Interface names: explicit ones must be valid; explicit and default ones must not collide.
        let name: string | undefined = defaultInterfaceName(index);
        if (has(iface, 'name')) {
          name = typeof iface.name === 'string' ? iface.name : undefined;
          const why = name === undefined ? undefined : interfaceNameProblem(name);
          if (why) this.error([...base, 'name'], `interface name ${why}`, INTERFACE_NAME.accepted);
        }
        if (name !== undefined) {
          const earlier = usedNames.get(name);
          if (earlier !== undefined) {
            const where = has(iface, 'name') ? [...base, 'name'] : base;
            this.error(where, `interface name '${name}' is already used by ${fieldOf(['nodes', nodeName, 'interfaces', earlier])}`, 'a name unique on the node');
          } else usedNames.set(name, index);
        }

        const key = attachmentOf(iface);
        if (key) {
          const earlier = usedAttachments.get(key);
          if (earlier !== undefined) {
            this.error(base, `${nodeName} already has an interface on ${attachmentLabel(key)} (${fieldOf(['nodes', nodeName, 'interfaces', earlier])})`, 'one interface per node on each segment or link');
          } else usedAttachments.set(key, index);
        }
        this.addressInSubnet(base, iface.address, key);
      });
    }
  }

  private reference(base: PathSegment[], field: 'segment' | 'link', value: unknown, collection: 'segments' | 'links'): void {
    if (typeof value !== 'string' || this.isRejected([collection])) return;
    if (has(this.lab[collection], value)) return;
    const known = entries(this.lab[collection]).map(([n]) => n);
    const accepted = known.length ? known.join(', ') : `none defined: add it under ${collection}:`;
    this.error([...base, field], `unknown ${field} '${value}'${didYouMean(value, known)}`, accepted);
  }

  private addressInSubnet(base: PathSegment[], address: unknown, key: AttachmentKey | undefined): void {
    if (typeof address !== 'string' || !key) return;
    const a = parseIPv4(address);
    const subnet = this.plan.subnets.get(key);
    if (a === undefined || !subnet) return;
    const subnetText = `${formatIPv4(subnet.network)}/${subnet.prefix}`;
    const whose = `${attachmentLabel(key)}'s subnet ${subnetText}${this.plan.defaulted.has(key) ? ' (assigned by default)' : ''}`;
    const path = [...base, 'address'];
    if (!subnetContains(subnet, a)) {
      this.error(path, `${address} is not in ${whose}`, rangeText(subnet));
      return;
    }
    const { first, last } = hostRange(subnet);
    if (a < first) this.error(path, `${address} is the network address of ${whose}`, rangeText(subnet));
    else if (a > last) this.error(path, `${address} is the broadcast address of ${whose}`, rangeText(subnet));
  }

  // --- segment and link membership -------------------------------------------------

  private networkMembers(): void {
    // Without usable nodes (the schema rejected the mapping) every segment would look empty.
    if (this.isRejected(['nodes'])) return;
    const members = new Map<AttachmentKey, { node: string; index: number }[]>();
    for (const [nodeName, node] of entries(this.lab.nodes)) {
      (Array.isArray(node.interfaces) ? node.interfaces : []).forEach((iface, index) => {
        const key = attachmentOf(iface);
        if (!key) return;
        const list = members.get(key) ?? [];
        list.push({ node: nodeName, index });
        members.set(key, list);
      });
    }
    for (const [name] of entries(this.lab.segments)) {
      if (!(members.get(`segment:${name}`) ?? []).length) {
        this.warn(['segments', name], `segment ${name} has no interfaces attached`, 'at least one interface with segment: ' + name, 'key');
      }
    }
    for (const [name] of entries(this.lab.links)) {
      const ends = members.get(`link:${name}`) ?? [];
      const list = ends.map((e) => fieldOf(['nodes', e.node, 'interfaces', e.index])).join(', ');
      if (ends.length !== 2) {
        this.error(['links', name], `link ${name} has ${ends.length} interface${ends.length === 1 ? '' : 's'} attached${list ? ` (${list})` : ''}`, 'exactly two interfaces', 'key');
      } else if (ends[0]!.node === ends[1]!.node) {
        this.error(['links', name], `both ends of link ${name} are on node ${ends[0]!.node}`, 'two different nodes', 'key');
      }
    }
    for (const { node, index } of this.plan.subnetFull) {
      const iface = this.lab.nodes?.[node]?.interfaces?.[index];
      const key = attachmentOf(iface);
      const subnet = key ? this.plan.subnets.get(key) : undefined;
      const where = subnet ? ` ${formatIPv4(subnet.network)}/${subnet.prefix}` : '';
      this.error(['nodes', node, 'interfaces', index], `no free address left in ${key ? attachmentLabel(key) : 'the'} subnet${where} for this interface`, 'a larger subnet, or fewer interfaces on it');
    }
  }

  // --- duplicate addresses ---------------------------------------------------

  private addresses(): void {
    const owners = new Map<number, string>();
    for (const [nodeName, node] of entries(this.lab.nodes)) {
      (Array.isArray(node.interfaces) ? node.interfaces : []).forEach((iface, index) => {
        if (typeof iface?.address !== 'string') return;
        const a = parseIPv4(iface.address);
        if (a === undefined) return;
        const owner = owners.get(a);
        const here = ['nodes', nodeName, 'interfaces', index];
        if (owner) this.error([...here, 'address'], `${iface.address} is already the address of ${owner}`, 'an address no other interface, VIP or loopback uses');
        else owners.set(a, fieldOf(here));
      });
    }
    // Interface addresses handed out by default never collide (assignment skips used ones).
    const vipsSeen = new Map<string, string>();
    for (const [name, service] of entries(this.lab.services)) {
      if (typeof service.vip !== 'string') continue;
      const a = parseIPv4(service.vip);
      if (a === undefined) continue;
      const owner = owners.get(a);
      if (owner) this.error(['services', name, 'vip'], `VIP ${service.vip} is also the address of ${owner}`, 'an address no interface uses');
      const key = `${service.vip}:${service.protocol ?? 'tcp'}:${String(service.port)}`;
      const same = vipsSeen.get(key);
      if (same && typeof service.port === 'number') {
        this.error(['services', name, 'port'], `service ${same} already serves ${service.vip} port ${service.port}/${service.protocol ?? 'tcp'}`, 'a VIP, port and protocol no other service uses');
      } else vipsSeen.set(key, name);
    }
    for (const [nodeName, node] of entries(this.lab.nodes)) {
      (Array.isArray(node.loopbacks) ? node.loopbacks : []).forEach((lo, index) => {
        if (typeof lo !== 'string') return;
        const a = parseIPv4(lo.split('/')[0]!);
        const owner = a === undefined ? undefined : owners.get(a);
        if (owner) this.error(['nodes', nodeName, 'loopbacks', index], `${lo} is also the address of ${owner}`, 'an address no interface uses');
      });
    }
  }

  /** VIPs, interface addresses and loopbacks must be unicast addresses a route can reach. */
  private usableAddresses(): void {
    const check = (path: PathSegment[], text: unknown, what: string): void => {
      if (typeof text !== 'string' || this.isRejected(path)) return;
      const a = parseIPv4(text.split('/')[0]!);
      const why = a === undefined ? undefined : unusableAddressReason(a);
      if (why) this.error(path, `${what} ${text} is ${why}`, 'a unicast address such as 10.0.1.100');
    };
    for (const [nodeName, node] of entries(this.lab.nodes)) {
      (Array.isArray(node.interfaces) ? node.interfaces : []).forEach((iface, index) => check(['nodes', nodeName, 'interfaces', index, 'address'], iface?.address, 'address'));
      (Array.isArray(node.loopbacks) ? node.loopbacks : []).forEach((lo, index) => check(['nodes', nodeName, 'loopbacks', index], lo, 'loopback address'));
    }
    for (const [name, service] of entries(this.lab.services)) {
      check(['services', name, 'vip'], service.vip, 'VIP');
      check(['services', name, 'sorry_server', 'address'], service.sorry_server?.address, 'sorry server');
    }
  }

  /** OSPF refuses a neighbour with its own router id: each speaker needs its own. */
  private routerIds(): void {
    const speakers = ospfSpeakers(this.lab);
    const owners = new Map<string, string>();
    for (const [nodeName, node] of entries(this.lab.nodes)) {
      if (!speakers.has(nodeName)) continue;
      const own = typeof node.ospf === 'object' && node.ospf !== null ? node.ospf : undefined;
      const explicit = typeof own?.router_id === 'string' && !this.isRejected(['nodes', nodeName, 'ospf', 'router_id']);
      // The default is the first interface's address (given or assigned).
      const id = explicit ? own!.router_id! : this.plan.addresses.get(interfaceKey(nodeName, 0));
      if (id === undefined) continue;
      if (explicit && id === '0.0.0.0') this.error(['nodes', nodeName, 'ospf', 'router_id'], 'router id 0.0.0.0 is not a valid OSPF router id', 'a dotted quad other than 0.0.0.0, unique in the lab');
      const other = owners.get(id);
      if (other !== undefined) {
        const path = explicit ? ['nodes', nodeName, 'ospf', 'router_id'] : ['nodes', nodeName];
        this.error(path, `router id ${id}${explicit ? '' : ' (its first interface address)'} is already the router id of ${other}`, 'a router id no other OSPF speaker uses', explicit ? 'value' : 'key');
      } else owners.set(id, nodeName);
    }
  }

  // --- gateways and static routes ----------------------------------------------

  /** The subnets a node has an interface on, and the addresses it owns. */
  private nodeNets(nodeName: string, node: LooseNode): { subnets: Cidr[]; own: Set<number>; unknown: boolean } {
    const subnets: Cidr[] = [];
    const own = new Set<number>();
    let unknown = false;
    (Array.isArray(node.interfaces) ? node.interfaces : []).forEach((iface, index) => {
      const key = attachmentOf(iface);
      const s = key ? this.plan.subnets.get(key) : undefined;
      if (s) subnets.push(s);
      else if (key) unknown = true;
      const a = this.plan.addresses.get(interfaceKey(nodeName, index));
      const v = a === undefined ? undefined : parseIPv4(a);
      if (v !== undefined) own.add(v);
    });
    return { subnets, own, unknown };
  }

  private onLink(path: PathSegment[], what: string, address: string, nets: { subnets: Cidr[]; own: Set<number>; unknown: boolean }): void {
    const a = parseIPv4(address);
    if (a === undefined || this.isRejected(path)) return;
    const accepted = nets.subnets.length
      ? `an address on ${nets.subnets.map((s) => `${formatIPv4(s.network)}/${s.prefix}`).join(', ')} that belongs to another node`
      : undefined;
    if (nets.own.has(a)) this.error(path, `${what} ${address} is this node's own address`, accepted);
    // A subnet the schema rejected is unknown: the address may well be on it.
    else if (!nets.unknown && !nets.subnets.some((s) => subnetContains(s, a))) this.error(path, `${what} ${address} is not on any subnet of this node`, accepted);
  }

  private nodeRouting(): void {
    for (const [nodeName, node] of entries(this.lab.nodes)) {
      const nets = this.nodeNets(nodeName, node);
      let defaults = 0;
      if (typeof node.gateway === 'string' && node.gateway !== 'auto' && node.gateway !== 'none') {
        this.onLink(['nodes', nodeName, 'gateway'], 'gateway', node.gateway, nets);
        defaults++;
      }
      (Array.isArray(node.routes) ? node.routes : []).forEach((route, index) => {
        if (!route) return;
        const path = ['nodes', nodeName, 'routes', index];
        if (typeof route.via === 'string') this.onLink([...path, 'via'], 'next hop', route.via, nets);
        if (route.to === 'default' || route.to === '0.0.0.0/0') {
          defaults++;
          if (defaults > 1) this.error([...path, 'to'], 'a second default route', 'one default route per node (gateway: or one route to default)');
        }
      });
      if (node.ecmp_hash !== undefined && node.role !== undefined && node.role !== 'router') {
        this.warn(['nodes', nodeName, 'ecmp_hash'], `ecmp_hash only applies to routers; ignored on a ${node.role}`);
      }
    }
  }

  // --- OSPF timers -------------------------------------------------------------

  private ospfTimers(): void {
    const g = this.lab.ospf ?? {};
    // A value the schema rejected (hello: -3) is not compared with anything: its own error
    // says what is wrong, and a comparison with the default it fell back to would mislead.
    const globalRejected = this.isRejected(['ospf', 'hello']) || this.isRejected(['ospf', 'dead']);
    const ghello = typeof g.hello === 'number' ? g.hello : 10;
    const gdead = typeof g.dead === 'number' ? g.dead : 4 * ghello;
    if (!globalRejected && gdead <= ghello && (g.dead !== undefined || g.hello !== undefined)) {
      const path = g.dead !== undefined ? ['ospf', 'dead'] : ['ospf', 'hello'];
      const helloText = g.hello === undefined ? `the default hello interval ${ghello} s` : `hello interval ${ghello} s`;
      this.error(path, `dead interval ${gdead} s is not greater than ${helloText}`, `a dead interval greater than hello (usually 4 x hello = ${4 * ghello})`);
    }
    if (typeof g.spf_max_hold_ms === 'number' && !this.isRejected(['ospf', 'spf_hold_ms'])) {
      const hold = typeof g.spf_hold_ms === 'number' ? g.spf_hold_ms : 50;
      if (g.spf_max_hold_ms < hold) {
        this.error(['ospf', 'spf_max_hold_ms'], `spf_max_hold_ms ${g.spf_max_hold_ms} is less than spf_hold_ms ${hold}`, `at least ${hold}`);
      }
    }
    const speakers = ospfSpeakers(this.lab);
    for (const [nodeName, node] of entries(this.lab.nodes)) {
      (Array.isArray(node.interfaces) ? node.interfaces : []).forEach((iface, index) => {
        const own = iface?.ospf;
        if (!own || typeof own !== 'object') return;
        const base = ['nodes', nodeName, 'interfaces', index, 'ospf'];
        if (!speakers.has(nodeName)) {
          this.warn(base, `${nodeName} does not run OSPF, so these OSPF settings are ignored`, 'an ospf: mapping on the node to make it an OSPF speaker');
          return;
        }
        if (own.hello === undefined && own.dead === undefined) return;
        if (this.isRejected([...base, 'hello']) || this.isRejected([...base, 'dead'])) return;
        // Falling back on a global value that was itself rejected would compare with a stand-in.
        if ((own.hello === undefined || own.dead === undefined) && globalRejected) return;
        const hello = typeof own.hello === 'number' ? own.hello : ghello;
        const dead = typeof own.dead === 'number' ? own.dead : typeof g.dead === 'number' ? g.dead : 4 * hello;
        if (dead <= hello) {
          const path = own.dead !== undefined ? [...base, 'dead'] : [...base, 'hello'];
          this.error(path, `dead interval ${dead} s is not greater than hello interval ${hello} s`, `a dead interval greater than hello (usually 4 x hello = ${4 * hello})`);
        }
      });
    }
  }

  // --- BFD ----------------------------------------------------------------------

  /**
   * BFD exists to notice a lost neighbour before OSPF's dead timer does. A detection time
   * (interval x multiplier) at or above the dead interval would add a daemon and change
   * nothing a user could measure; a lab without OSPF speakers has nobody to run it.
   */
  private bfd(): void {
    const g = this.lab.ospf ?? {};
    const bfd = g.bfd;
    if (bfd === undefined || bfd === null || typeof bfd !== 'object' || this.isRejected(['ospf', 'bfd'])) return;
    if (ospfSpeakers(this.lab).size === 0) {
      this.warn(['ospf', 'bfd'], 'no node of the lab runs OSPF, so BFD has no adjacency to watch and is not started', 'a router or an OSPF-announcing director, or no bfd key');
      return;
    }
    if (this.isRejected(['ospf', 'bfd', 'interval_ms']) || this.isRejected(['ospf', 'bfd', 'multiplier'])) return;
    if (this.isRejected(['ospf', 'hello']) || this.isRejected(['ospf', 'dead'])) return;
    const interval = typeof bfd.interval_ms === 'number' ? bfd.interval_ms : DEFAULTS.bfd.intervalMs;
    const multiplier = typeof bfd.multiplier === 'number' ? bfd.multiplier : DEFAULTS.bfd.multiplier;
    const hello = typeof g.hello === 'number' ? g.hello : DEFAULTS.ospf.hello;
    const deadMs = (typeof g.dead === 'number' ? g.dead : DEFAULTS.ospf.deadPerHello * hello) * 1000;
    const detectMs = interval * multiplier;
    if (detectMs >= deadMs) {
      const path = bfd.interval_ms !== undefined ? ['ospf', 'bfd', 'interval_ms'] : bfd.multiplier !== undefined ? ['ospf', 'bfd', 'multiplier'] : ['ospf', 'bfd'];
      this.warn(
        path,
        `BFD detects a lost neighbour after ${interval} ms x ${multiplier} = ${detectMs} ms, no sooner than OSPF's dead interval of ${deadMs / 1000} s`,
        `interval_ms x multiplier below ${deadMs} ms (FRR's default ${DEFAULTS.bfd.intervalMs} x ${DEFAULTS.bfd.multiplier} = ${DEFAULTS.bfd.intervalMs * DEFAULTS.bfd.multiplier} ms)`,
      );
    }
  }

  // --- services ----------------------------------------------------------------

  /** Checks one node reference; returns the node when it exists with the wanted role. */
  private nodeRef(path: PathSegment[], value: unknown, role: 'director' | 'realserver'): LooseNode | undefined {
    if (typeof value !== 'string' || this.isRejected(['nodes'])) return undefined;
    const node = has(this.lab.nodes, value) ? this.lab.nodes![value] : undefined;
    // Only on a problem: listing the candidates for every reference is O(nodes) each time.
    const candidates = (): string[] => entries(this.lab.nodes).filter(([, n]) => n.role === role).map(([n]) => n);
    if (!node) {
      const hint = didYouMean(value, this.nodeNames);
      const c = candidates();
      this.error(path, `unknown node '${value}'${hint}`, c.length ? c.join(', ') : `a node with role ${role}`);
      return undefined;
    }
    if (node.role !== undefined && node.role !== role) {
      const c = candidates();
      this.error(path, `${value} is a ${node.role}, not a ${role}`, c.length ? c.join(', ') : `a node with role ${role}`);
      return undefined;
    }
    return node;
  }

  private services(): void {
    for (const [name, service] of entries(this.lab.services)) {
      const base: PathSegment[] = ['services', name];
      const directors = this.serviceDirectorsChecked(name, service);
      const realServers = this.serviceRealServers(name, service);
      const announce = serviceAnnounce(service);
      if (announce === 'anycast') this.anycast(name, service, realServers);
      else if (!this.isRejected([...base, 'directors']) && serviceDirectors(this.lab, service).length === 0) {
        this.error(has(service, 'directors') ? [...base, 'directors'] : base, `service ${name} has no director`, 'a node with role director (or announce: anycast, whose real servers announce the VIP themselves)', has(service, 'directors') ? 'value' : 'key');
      }
      if (announce === 'ospf') this.ospfAnnouncement(name, service.vip, directors, has(service, 'announce'));
      this.vrrp(name, service, directors);
      this.forwardingPaths(service.forwarding ?? 'dr', directors, realServers);
      this.directorsWithoutRealServers(name, directors, realServers);
      const hc = service.health_check;
      if (hc && hc.type === 'tcp') {
        for (const field of ['path', 'status'] as const) {
          if (hc[field] !== undefined) this.warn([...base, 'health_check', field], `${field} only applies to type: http; ignored for a tcp check`);
        }
      }
    }
  }

  private serviceDirectorsChecked(name: string, service: NonNullable<LooseLab['services']>[string]): [string, LooseNode][] {
    if (!service) return [];
    if (!Array.isArray(service.directors)) {
      return serviceDirectors(this.lab, service).map((d) => [d, this.lab.nodes![d]!] as [string, LooseNode]);
    }
    const seen = new Set<string>();
    const out: [string, LooseNode][] = [];
    service.directors.forEach((d, index) => {
      const path = ['services', name, 'directors', index];
      if (typeof d === 'string' && seen.has(d)) {
        this.error(path, `director ${d} is listed twice`, 'each director once');
        return;
      }
      const node = this.nodeRef(path, d, 'director');
      if (node && typeof d === 'string') {
        seen.add(d);
        out.push([d, node]);
      }
    });
    return out;
  }

  private serviceRealServers(name: string, service: NonNullable<LooseLab['services']>[string]): CheckedRealServer[] {
    const out: CheckedRealServer[] = [];
    const seen = new Set<string>();
    const serviceDirs = service ? serviceDirectors(this.lab, service) : [];
    (Array.isArray(service?.real_servers) ? service.real_servers : []).forEach((rs, index) => {
      if (!rs) return;
      const path = ['services', name, 'real_servers', index, 'node'];
      if (typeof rs.node === 'string' && seen.has(rs.node)) {
        this.error(path, `real server ${rs.node} is listed twice`, 'each real server once');
        return;
      }
      const node = this.nodeRef(path, rs.node, 'realserver');
      if (node && typeof rs.node === 'string') {
        seen.add(rs.node);
        out.push({ path, name: rs.node, node, directors: this.realServerDirectors(name, index, rs.node, rs.directors, serviceDirs) });
      }
    });
    return out;
  }

  /**
   * A real server's own `directors` (its cluster): each must be a director of the service,
   * listed once. Returns the directors that forward to it (invalid entries dropped after
   * being reported, so later checks judge only what is valid), undefined when not known.
   */
  private realServerDirectors(name: string, index: number, rsName: string, given: unknown, serviceDirs: string[]): string[] | undefined {
    // Refused by the schema (already reported): unknown, so no check judges it again.
    if (this.isRejected(['services', name, 'real_servers', index, 'directors'])) return undefined;
    if (!Array.isArray(given)) return serviceDirs;
    const seen = new Set<string>();
    const out: string[] = [];
    given.forEach((d: unknown, j) => {
      const path = ['services', name, 'real_servers', index, 'directors', j];
      if (typeof d !== 'string') return; // the schema already said what it must be
      if (seen.has(d)) {
        this.error(path, `director ${d} is listed twice for real server ${rsName}`, 'each director once');
        return;
      }
      if (!serviceDirs.includes(d)) {
        this.error(path, `${d} is not a director of service ${name}`, serviceDirs.length ? serviceDirs.join(', ') : 'a director of the service');
        return;
      }
      seen.add(d);
      out.push(d);
    });
    return out;
  }

  /** With per-real-server directors a director may be left with none: it would announce a VIP it cannot serve. */
  private directorsWithoutRealServers(name: string, directors: [string, LooseNode][], realServers: CheckedRealServer[]): void {
    if (realServers.length === 0) return;
    for (const [d] of directors) {
      if (realServers.some((rs) => rs.directors === undefined || rs.directors.includes(d))) continue;
      this.error(['services', name, 'real_servers'], `director ${d} of service ${name} forwards to none of its real servers (every real server's directors list leaves it out)`, `${d} in the directors of at least one real server, or ${d} removed from the service's directors`);
    }
  }

  private ospfAnnouncement(name: string, vip: unknown, directors: [string, LooseNode][], announceGiven: boolean): void {
    if (directors.length === 0) return;
    const able = directors.filter(([d]) => this.announcers.has(d));
    const path = announceGiven ? ['services', name, 'announce'] : ['services', name, 'vip'];
    const vipText = typeof vip === 'string' ? `VIP ${vip}` : 'the VIP';
    const accepted = 'a director running OSPF on a segment or link shared with a router that runs OSPF; or announce: none or vrrp';
    if (able.length === 0) {
      const why = this.learners.size === 0 ? 'no router in the lab runs OSPF' : `none of ${directors.map(([d]) => d).join(', ')} runs OSPF next to a router that runs OSPF`;
      this.error(path, `no director announces ${vipText} over OSPF: ${why}`, accepted);
      if (this.learners.size === 0) this.routersWithoutOspf(name);
      return;
    }
    for (const [d] of directors) {
      if (!able.some(([a]) => a === d)) this.warn(path, `director ${d} cannot announce ${vipText} (no OSPF next to a router that runs OSPF); only ${able.map(([a]) => a).join(', ')} will`, accepted);
    }
  }

  /**
   * Seed 003: no director; every real server holds the VIP on lo and announces it over OSPF
   * to a router, which spreads flows over them with ECMP. Clients reach the servers at the
   * VIP and its port directly, so nothing schedules, forwards or health-checks: settings for
   * that are ignored (a warning each), directors are refused, and a real server port other
   * than the service's could never be reached.
   */
  private anycast(name: string, service: NonNullable<LooseLab['services']>[string], realServers: { path: PathSegment[]; name: string; node: LooseNode }[]): void {
    if (!service) return;
    const base: PathSegment[] = ['services', name];
    if (Array.isArray(service.directors) && service.directors.length > 0 && !this.isRejected([...base, 'directors'])) {
      this.error([...base, 'directors'], `announce: anycast has no directors: its real servers announce the VIP themselves (seed 003), so ${service.directors.filter((d) => typeof d === 'string').join(', ')} would have nothing to do`, 'no directors key (or an empty list); or announce: ospf to have directors announce it', 'value');
    }
    const directorOnly = ['scheduler', 'forwarding', 'persistence_timeout', 'health_check', 'inhibit_on_failure', 'sorry_server'] as const;
    for (const key of directorOnly) {
      if (has(service, key)) this.warn([...base, key], `${key} is ignored with announce: anycast: no director schedules, forwards or checks anything; the router's ECMP hash alone picks a server`, `no ${key} key`, 'key');
    }
    (Array.isArray(service.real_servers) ? service.real_servers : []).forEach((rs, index) => {
      if (!rs) return;
      const path = [...base, 'real_servers', index];
      if (typeof rs.port === 'number' && typeof service.port === 'number' && rs.port !== service.port && !this.isRejected([...path, 'port'])) {
        this.error([...path, 'port'], `port ${rs.port} differs from the service port ${service.port}: with announce: anycast the clients connect to the VIP's port on the server itself, nothing translates it`, `${service.port}, or no port key`);
      }
      if (rs.weight !== undefined && !this.isRejected([...path, 'weight'])) {
        this.warn([...path, 'weight'], 'weight is ignored with announce: anycast: the router spreads flows over equal-cost OSPF next hops, which carry no weights', 'no weight key', 'key');
      }
    });
    if (realServers.length === 0) return;
    const able = realServers.filter((rs) => this.announcers.has(rs.name));
    const vipText = typeof service.vip === 'string' ? `VIP ${service.vip}` : 'the VIP';
    const accepted = 'a real server with an interface on a segment or link where a router runs OSPF (and no ospf: false)';
    if (able.length === 0) {
      const why = this.learners.size === 0 ? 'no router in the lab runs OSPF' : `none of ${realServers.map((r) => r.name).join(', ')} runs OSPF next to a router that runs OSPF`;
      this.error(has(service, 'announce') ? [...base, 'announce'] : [...base, 'vip'], `no real server announces ${vipText} over OSPF: ${why}`, accepted);
      if (this.learners.size === 0) this.routersWithoutOspf(name);
      return;
    }
    for (const rs of realServers) {
      if (!able.includes(rs)) this.warn(rs.path, `real server ${rs.name} cannot announce ${vipText} (no OSPF next to a router that runs OSPF); only ${able.map((a) => a.name).join(', ')} will`, accepted);
    }
  }

  /** A router switched off OSPF in a lab whose service needs one to learn its VIP. */
  private routersWithoutOspf(service: string): void {
    for (const [nodeName, node] of entries(this.lab.nodes)) {
      if (node.role !== 'router' || node.ospf !== false || this.reportedRouters.has(nodeName)) continue;
      this.reportedRouters.add(nodeName);
      this.error(['nodes', nodeName, 'ospf'], `router ${nodeName} has OSPF off, but service ${service} is announced over OSPF and no other router runs it`, 'an ospf: mapping, or no ospf key (routers run OSPF by default); or announce: none or vrrp on the service');
    }
  }

  private vrrp(name: string, service: NonNullable<LooseLab['services']>[string], directors: [string, LooseNode][]): void {
    if (!service) return;
    const base = ['services', name];
    const announce = serviceAnnounce(service);
    if (announce !== 'vrrp') {
      if (service.vrrp !== undefined) this.warn([...base, 'vrrp'], `vrrp is ignored unless announce: vrrp (this service has announce: ${announce})`);
      return;
    }
    if (!has(service, 'vrrp')) {
      this.error([...base, 'vrrp'], 'announce: vrrp needs a vrrp: mapping', 'vrrp: { virtual_router_id: 1..255 }', 'parent');
      return;
    }
    const names = directors.map(([d]) => d);
    for (const [key] of entries(service.vrrp?.priorities as Record<string, unknown> | undefined)) {
      if (!names.includes(key)) {
        this.error([...base, 'vrrp', 'priorities', key], `${key} is not a director of service ${name}${didYouMean(key, names)}`, names.join(', ') || 'a director of the service', 'key');
      }
    }
    let apart = false;
    for (let i = 1; i < directors.length; i++) {
      const [first, firstNode] = directors[0]!;
      const [other, otherNode] = directors[i]!;
      if (sharedAttachments(firstNode, otherNode).length === 0) {
        apart = true;
        this.error([...base, 'directors'], `VRRP directors ${first} and ${other} share no segment, so they cannot hear each other's advertisements`, 'directors attached to a common segment');
      }
    }
    if ((service.forwarding ?? 'dr') === 'nat') {
      // NAT's replies return through the director that rewrote them: the real servers'
      // gateway would have to float with the VIP, a second virtual address lvslab does not build.
      this.error([...base, 'forwarding'], 'forwarding nat sends the replies back through the director, so with announce: vrrp the real servers\' gateway would have to move with the VIP; lvslab builds no such floating gateway', 'forwarding: dr or tun with announce: vrrp');
    }
    if (!apart) this.vrrpSegment(name, service, directors);
  }

  /**
   * The MASTER answers ARP for a VRRP VIP on one segment (render/keepalived.ts vrrpInterface
   * picks the interface whose subnet holds it), so the VIP must lie in the subnet of a
   * segment every director of the service is on; two VRRP services there must not share a
   * virtual router id (their advertisements would mix).
   */
  private vrrpSegment(name: string, service: NonNullable<LooseLab['services']>[string], directors: [string, LooseNode][]): void {
    const base = ['services', name];
    if (!service) return;
    const vip = typeof service.vip === 'string' ? parseIPv4(service.vip) : undefined;
    if (vip === undefined || directors.length === 0 || this.isRejected([...base, 'vip'])) return;
    const common = directors
      .map(([, node]) => [...attachmentsOf(node)].filter((k) => k.startsWith('segment:')))
      .reduce((shared, mine) => shared.filter((k) => mine.includes(k)));
    const holding = common.find((k) => {
      const subnet = this.plan.subnets.get(k);
      return subnet !== undefined && subnetContains(subnet, vip);
    });
    if (holding === undefined) {
      const where = common.map((k) => `${attachmentLabel(k)} ${this.subnetText(k)}`).join(', ');
      this.error(
        [...base, 'vip'],
        `VRRP VIP ${service.vip} lies in no segment that all of ${directors.map(([d]) => d).join(', ')} are on${where ? ` (${where})` : ''}: the MASTER answers ARP for it on its segment, so it must be an address of that segment's subnet`,
        common.length > 0 ? common.map((k) => `an address in ${this.subnetText(k)}`).join(', or ') : 'directors on a common segment whose subnet holds the VIP',
      );
      return;
    }
    const vrid = service.vrrp?.virtual_router_id;
    if (typeof vrid !== 'number' || this.isRejected([...base, 'vrrp', 'virtual_router_id'])) return;
    const key = `${holding}/${vrid}`;
    const other = this.vrrpIds.get(key);
    if (other !== undefined) {
      this.error([...base, 'vrrp', 'virtual_router_id'], `virtual router id ${vrid} is already used by service ${other} on ${attachmentLabel(holding)}; their advertisements would mix`, 'a virtual_router_id (1..255) no other VRRP service on the segment uses');
    } else this.vrrpIds.set(key, name);
  }

  private subnetText(key: AttachmentKey): string {
    const s = this.plan.subnets.get(key);
    return s ? formatCidr(s.network, s.prefix) : '(no subnet)';
  }

  private forwardingPaths(
    forwarding: string,
    directors: [string, LooseNode][],
    realServers: CheckedRealServer[],
  ): void {
    const routers = entries(this.lab.nodes).filter(([, n]) => n.role === 'router');
    for (const rs of realServers) {
      for (const [d, dNode] of directors) {
        if (!rs.directors?.includes(d)) continue; // not in this real server's cluster, or not known
        if (sharedAttachments(dNode, rs.node).length > 0) continue;
        if (forwarding === 'tun') {
          const viaRouter = routers.some(([, r]) => sharedAttachments(dNode, r).length > 0 && sharedAttachments(rs.node, r).length > 0);
          if (!viaRouter) {
            this.error(rs.path, `director ${d} has no path to real server ${rs.name}: they share no segment and no router`, 'a segment both are attached to, or a router attached to both');
          }
          continue;
        }
        this.error(rs.path, `director ${d} shares no segment with real server ${rs.name}, which forwarding ${forwarding} needs`, 'a segment both are attached to (or forwarding: tun through a router)');
      }
    }
  }

  // --- clients -------------------------------------------------------------------

  private clients(): void {
    // What each service's clients may share a segment with (routers and its directors), once
    // per service: recomputing it for every client made 8,000 clients take minutes.
    const routerAttachments = new Set<AttachmentKey>();
    for (const [, n] of entries(this.lab.nodes)) if (n.role === 'router') for (const k of attachmentsOf(n)) routerAttachments.add(k);
    const reach = entries(this.lab.services).map(([serviceName, service]) => {
      const keys = new Set(routerAttachments);
      for (const d of serviceDirectors(this.lab, service)) for (const k of attachmentsOf(has(this.lab.nodes, d) ? this.lab.nodes![d] : undefined)) keys.add(k);
      return { serviceName, keys };
    });
    for (const [clientName, client] of entries(this.lab.nodes)) {
      if (client.role !== 'client') continue;
      const own = attachmentsOf(client);
      if (own.size === 0) continue;
      for (const { serviceName, keys } of reach) {
        if (![...own].some((k) => keys.has(k))) {
          this.warn(['nodes', clientName], `client ${clientName} shares no segment with a router or a director of service ${serviceName}, so it cannot reach its VIP`, 'an interface on a segment with a router or a director', 'key');
        }
      }
    }
  }
}

/** Every semantic problem of a (possibly partly invalid) lab file, errors and warnings. */
/** A real server of a service that names a realserver node, with the directors that forward to it. */
interface CheckedRealServer {
  path: PathSegment[];
  name: string;
  node: LooseNode;
  /** undefined when its `directors` list was refused by the schema. */
  directors: string[] | undefined;
}

export function validateLab(lab: LooseLab, rejected: PathSegment[][] = []): LabIssue[] {
  if (!lab || typeof lab !== 'object' || Array.isArray(lab)) return [];
  return new Checker(lab, rejected).run();
}
