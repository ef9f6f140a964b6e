// From the lab file as written to the model every renderer consumes: defaults applied,
// subnets and addresses assigned, names, MACs and OSPF roles fixed. Pure and
// deterministic: the same file and instance name always give the same ResolvedLab, and
// every list keeps declaration order.
import { derivedMac } from '../util/mac.js';
import {
  areaToDotted,
  formatCidr,
  formatIPv4,
  hostCidr,
  hostRange,
  networkOf,
  parseCidr,
  parseIPv4,
  subnetContains,
  subnetsOverlap,
  type Cidr,
} from './addr.js';
import { defaultInterfaceName } from './names.js';
import {
  attachmentOf,
  entries,
  hasOspfNeighbour,
  nodeInterfaces,
  ospfAttachments,
  ospfSpeakers,
  announcedOverOspf,
  serviceAnnounce,
  serviceDirectors,
  type AttachmentKey,
  type LooseLab,
} from './topology.js';
import type {
  InterfaceRef,
  LabFile,
  LabFileNode,
  LabFileService,
  ResolvedInterface,
  ResolvedInterfaceOspf,
  ResolvedLab,
  ResolvedLink,
  ResolvedNode,
  ResolvedNodeOspf,
  ResolvedOspfGlobal,
  ResolvedRoute,
  ResolvedSegment,
  ResolvedService,
} from './types.js';

/** Defaults the schema descriptions promise; kept here in one place. */
export const DEFAULTS = {
  segmentPool: '10.200.0.0/16',
  segmentPrefix: 24,
  linkPool: '10.201.0.0/16',
  linkPrefix: 30,
  ospf: {
    area: '0.0.0.0', hello: 10, deadPerHello: 4, cost: 10, priority: 1, network: 'broadcast', maxPaths: 8,
    // FRR's own defaults, so a lab that says nothing gets what ospfd would do anyway.
    retransmit: 5, lsaMinIntervalMs: 5000, lsaMinArrivalMs: 1000, spfDelayMs: 0, spfHoldMs: 50, spfMaxHoldMs: 5000,
  },
  // bfdd's own defaults (FRR 8.4): a lost neighbour is declared down after 3 x 300 ms.
  bfd: { intervalMs: 300, multiplier: 3 },
  service: { protocol: 'tcp', scheduler: 'rr', forwarding: 'dr', announce: 'ospf', weight: 1, persistenceTimeout: 0 },
  healthCheck: { type: 'tcp', path: '/', status: 200, delayLoop: 5, connectTimeout: 2, retry: 1, delayBeforeRetry: 1 },
  vrrp: { advertInt: 1, firstPriority: 150, priorityStep: 10 },
} as const;

// ---------------------------------------------------------------------------
// Addressing plan (shared with the validator, so it works on incomplete labs)
// ---------------------------------------------------------------------------

export interface AddressPlan {
  /** Subnet of every segment and link that has one (given or assigned). */
  subnets: Map<AttachmentKey, Cidr>;
  /** Attachments whose subnet was assigned by default. */
  defaulted: Set<AttachmentKey>;
  /** Attachments that needed a default subnet but found the pool full. */
  poolExhausted: AttachmentKey[];
  /** Address of each interface, key `node/index`. */
  addresses: Map<string, string>;
  /** Interfaces that needed an address but their subnet had none left. */
  subnetFull: { node: string; index: number }[];
}

export const interfaceKey = (node: string, index: number): string => `${node}/${index}`;

function* poolSubnets(pool: string, prefix: number): Generator<Cidr> {
  const p = parseCidr(pool)!;
  const step = 2 ** (32 - prefix);
  const end = p.network + 2 ** (32 - p.prefix);
  for (let n = p.network; n < end; n += step) yield { address: n, network: n, prefix };
}

/** Given subnets first, then defaults from the pools, skipping any that overlap a given one. */
function planSubnets(lab: LooseLab): Pick<AddressPlan, 'subnets' | 'defaulted' | 'poolExhausted'> {
  const subnets = new Map<AttachmentKey, Cidr>();
  const defaulted = new Set<AttachmentKey>();
  const poolExhausted: AttachmentKey[] = [];
  const wanting: { key: AttachmentKey; pool: string; prefix: number }[] = [];
  const kinds = [
    { kind: 'segment', record: lab.segments, pool: DEFAULTS.segmentPool, prefix: DEFAULTS.segmentPrefix },
    { kind: 'link', record: lab.links, pool: DEFAULTS.linkPool, prefix: DEFAULTS.linkPrefix },
  ];
  for (const { kind, record, pool, prefix } of kinds) {
    for (const [name, net] of entries(record)) {
      const key = `${kind}:${name}`;
      const given = typeof net.subnet === 'string' ? parseCidr(net.subnet) : undefined;
      if (given) subnets.set(key, { ...given, address: given.network });
      // A subnet key holding undefined is one the schema rejected: no default stands in for
      // it, or every address on the segment would be reported as outside the default.
      else if (net.subnet === undefined && !Object.prototype.hasOwnProperty.call(net, 'subnet')) wanting.push({ key, pool, prefix });
    }
  }
  const used = [...subnets.values()];
  const pools = new Map<string, Generator<Cidr>>();
  for (const { key, pool, prefix } of wanting) {
    const gen = pools.get(pool) ?? poolSubnets(pool, prefix);
    pools.set(pool, gen);
    let picked: Cidr | undefined;
    for (let next = gen.next(); !next.done; next = gen.next()) {
      if (!used.some((u) => subnetsOverlap(u, next.value))) {
        picked = next.value;
        break;
      }
    }
    if (!picked) {
      poolExhausted.push(key);
      continue;
    }
    used.push(picked);
    subnets.set(key, picked);
    defaulted.add(key);
  }
  return { subnets, defaulted, poolExhausted };
}

/** Every address written anywhere in the file: assignment never hands one of them out. */
function addressesInFile(lab: LooseLab): Set<number> {
  const taken = new Set<number>();
  const take = (text: unknown): void => {
    const v = typeof text === 'string' ? parseIPv4(text) : undefined;
    if (v !== undefined) taken.add(v);
  };
  for (const [, node] of entries(lab.nodes)) {
    for (const iface of nodeInterfaces(node)) take(iface.address);
    for (const lo of Array.isArray(node.loopbacks) ? node.loopbacks : []) take(typeof lo === 'string' ? lo.split('/')[0] : undefined);
  }
  for (const [, service] of entries(lab.services)) {
    take(service.vip);
    take(service.sorry_server?.address);
  }
  return taken;
}

/** Subnets, then addresses: lowest free host first, nodes and interfaces in declaration order. */
export function planAddressing(lab: LooseLab): AddressPlan {
  const { subnets, defaulted, poolExhausted } = planSubnets(lab);
  const taken = addressesInFile(lab);
  const addresses = new Map<string, string>();
  const subnetFull: AddressPlan['subnetFull'] = [];
  const cursors = new Map<AttachmentKey, number>();
  for (const [name, node] of entries(lab.nodes)) {
    const list = Array.isArray(node.interfaces) ? node.interfaces : [];
    list.forEach((iface, index) => {
      if (!iface) return;
      if (typeof iface.address === 'string') {
        addresses.set(interfaceKey(name, index), iface.address);
        return;
      }
      if (iface.address !== undefined) return; // rejected by the schema, already reported
      const key = attachmentOf(iface);
      const subnet = key === undefined ? undefined : subnets.get(key);
      if (!subnet) return;
      const { first, last } = hostRange(subnet);
      let chosen: number | undefined;
      // Every address below the subnet's cursor is taken (assignment only adds to `taken`):
      // resuming there keeps 1,000 interfaces on one subnet linear, not quadratic.
      for (let a = Math.max(first, cursors.get(key!) ?? first); a <= last; a++) {
        if (!taken.has(a)) {
          chosen = a;
          break;
        }
      }
      cursors.set(key!, chosen === undefined ? last + 1 : chosen + 1);
      if (chosen === undefined) {
        subnetFull.push({ node: name, index });
        return;
      }
      taken.add(chosen);
      addresses.set(interfaceKey(name, index), formatIPv4(chosen));
    });
  }
  return { subnets, defaulted, poolExhausted, addresses, subnetFull };
}

// ---------------------------------------------------------------------------
// Resolution of a valid lab file
// ---------------------------------------------------------------------------

export interface ResolveMeta {
  instance: string;
  sourceFile: string;
  sourceHash: string;
}

/** Locally administered unicast MAC, stable for one instance/node/interface. */
export function interfaceMac(instance: string, node: string, iface: string): string {
  return derivedMac(`${instance}/${node}/${iface}`);
}

function interfaceName(node: LabFileNode, index: number): string {
  return node.interfaces[index]?.name ?? defaultInterfaceName(index);
}

class Resolver {
  private readonly plan: AddressPlan;
  private readonly speakers: Set<string>;
  private readonly ospfByAttachment: Map<AttachmentKey, string[]>;
  private readonly nodes: [string, LabFileNode][];
  private readonly services: [string, LabFileService][];

  constructor(
    private readonly lab: LabFile,
    private readonly meta: ResolveMeta,
  ) {
    this.plan = planAddressing(lab);
    this.speakers = ospfSpeakers(lab);
    this.ospfByAttachment = ospfAttachments(lab, this.speakers);
    this.nodes = entries(lab.nodes);
    this.services = entries(lab.services);
  }

  private address(node: string, index: number): string {
    const a = this.plan.addresses.get(interfaceKey(node, index));
    if (a === undefined) throw new Error(`resolve: no address for ${node} interface ${index} (validation should have caught this)`);
    return a;
  }

  private subnet(key: AttachmentKey): Cidr {
    const s = this.plan.subnets.get(key);
    if (!s) throw new Error(`resolve: no subnet for ${key}`);
    return s;
  }

  private memberIndex: Map<AttachmentKey, InterfaceRef[]> | undefined;

  /** Interfaces attached to `key`, in node then interface declaration order (indexed once for all keys). */
  private members(key: AttachmentKey): InterfaceRef[] {
    if (!this.memberIndex) {
      this.memberIndex = new Map();
      for (const [name, node] of this.nodes) {
        node.interfaces.forEach((iface, index) => {
          const k = attachmentOf(iface);
          if (k === undefined) return;
          const list = this.memberIndex!.get(k) ?? [];
          list.push({ node: name, iface: interfaceName(node, index) });
          this.memberIndex!.set(k, list);
        });
      }
    }
    // Fresh objects each time: the resolved lab must not share refs (exports rename them in place).
    return (this.memberIndex.get(key) ?? []).map((m) => ({ ...m }));
  }

  /** `name`'s address on `key`, if it has an interface there. */
  private addressOn(name: string, key: AttachmentKey): string | undefined {
    const node = this.lab.nodes[name];
    if (!node) return undefined;
    const index = node.interfaces.findIndex((i) => attachmentOf(i) === key);
    return index < 0 ? undefined : this.address(name, index);
  }

  private directorsOf(service: LabFileService): string[] {
    return serviceDirectors(this.lab, service);
  }

  resolve(): ResolvedLab {
    const lab = this.lab;
    return {
      name: lab.name,
      description: lab.description ?? '',
      instance: this.meta.instance,
      sourceFile: this.meta.sourceFile,
      sourceHash: this.meta.sourceHash,
      dataplane: lab.dataplane ?? 'auto',
      ...(lab.announce_only_when_serving === true ? { announceOnlyWhenServing: true as const } : {}),
      ospf: this.ospfGlobal(),
      segments: entries(lab.segments).map(([name]): ResolvedSegment => {
        const key = `segment:${name}`;
        return { name, subnet: formatCidr(this.subnet(key).network, this.subnet(key).prefix), members: this.members(key) };
      }),
      links: entries(lab.links).map(([name]): ResolvedLink => {
        const key = `link:${name}`;
        const [a, b] = this.members(key);
        if (!a || !b) throw new Error(`resolve: link ${name} needs two ends`);
        return { name, subnet: formatCidr(this.subnet(key).network, this.subnet(key).prefix), ends: [a, b] };
      }),
      nodes: this.nodes.map(([name, node]) => this.node(name, node)),
      services: this.services.map(([name, service]) => this.service(name, service)),
    };
  }

  private ospfGlobal(): ResolvedOspfGlobal {
    const g = this.lab.ospf ?? {};
    const hello = g.hello ?? DEFAULTS.ospf.hello;
    return {
      area: areaToDotted(g.area ?? DEFAULTS.ospf.area),
      hello,
      dead: g.dead ?? DEFAULTS.ospf.deadPerHello * hello,
      maxPaths: g.max_paths ?? DEFAULTS.ospf.maxPaths,
      lsaMinIntervalMs: g.lsa_min_interval_ms ?? DEFAULTS.ospf.lsaMinIntervalMs,
      lsaMinArrivalMs: g.lsa_min_arrival_ms ?? DEFAULTS.ospf.lsaMinArrivalMs,
      spfDelayMs: g.spf_delay_ms ?? DEFAULTS.ospf.spfDelayMs,
      spfHoldMs: g.spf_hold_ms ?? DEFAULTS.ospf.spfHoldMs,
      spfMaxHoldMs: g.spf_max_hold_ms ?? DEFAULTS.ospf.spfMaxHoldMs,
      ...(g.reference_bandwidth !== undefined ? { referenceBandwidth: g.reference_bandwidth } : {}),
      ...(g.bfd !== undefined
        ? { bfd: { intervalMs: g.bfd.interval_ms ?? DEFAULTS.bfd.intervalMs, multiplier: g.bfd.multiplier ?? DEFAULTS.bfd.multiplier } }
        : {}),
    };
  }

  private interfaceOspf(name: string, node: LabFileNode, index: number): ResolvedInterfaceOspf | undefined {
    const iface = node.interfaces[index]!;
    if (!this.speakers.has(name) || iface.ospf === false) return undefined;
    const g = this.lab.ospf ?? {};
    const own = iface.ospf ?? {};
    const hello = own.hello ?? g.hello ?? DEFAULTS.ospf.hello;
    const key = attachmentOf(iface)!;
    const othersHere = (this.ospfByAttachment.get(key) ?? []).some((n) => n !== name);
    return {
      retransmit: own.retransmit ?? g.retransmit ?? DEFAULTS.ospf.retransmit,
      cost: own.cost ?? g.cost ?? DEFAULTS.ospf.cost,
      priority: own.priority ?? g.priority ?? DEFAULTS.ospf.priority,
      hello,
      dead: own.dead ?? g.dead ?? DEFAULTS.ospf.deadPerHello * hello,
      network: own.network ?? g.network ?? DEFAULTS.ospf.network,
      passive: own.passive ?? !othersHere,
    };
  }

  private interface(name: string, node: LabFileNode, index: number): ResolvedInterface {
    const iface = node.interfaces[index]!;
    const ifName = interfaceName(node, index);
    const key = attachmentOf(iface)!;
    const subnet = this.subnet(key);
    const address = this.address(name, index);
    let attachment: ResolvedInterface['attachment'];
    if (iface.link !== undefined) {
      const peer = this.members(key).find((m) => !(m.node === name && m.iface === ifName));
      if (!peer) throw new Error(`resolve: link ${iface.link} has no peer for ${name}`);
      attachment = { kind: 'link', link: iface.link, peer };
    } else {
      attachment = { kind: 'segment', segment: iface.segment! };
    }
    const ospf = this.interfaceOspf(name, node, index);
    return {
      name: ifName,
      mac: interfaceMac(this.meta.instance, name, ifName),
      address,
      cidr: `${address}/${subnet.prefix}`,
      prefixLength: subnet.prefix,
      subnet: formatCidr(subnet.network, subnet.prefix),
      attachment,
      ...(ospf ? { ospf } : {}),
    };
  }

  private node(name: string, node: LabFileNode): ResolvedNode {
    const interfaces = node.interfaces.map((_, index) => this.interface(name, node, index));
    const directs = this.services.filter(([, s]) => this.directorsOf(s).includes(name)).map(([n]) => n);
    const serves = this.services.filter(([, s]) => s.real_servers.some((r) => r.node === name)).map(([n]) => n);
    const ospf = this.nodeOspf(name, node, interfaces, directs, serves);
    return {
      name,
      role: node.role,
      description: node.description ?? '',
      interfaces,
      loopbacks: this.loopbacks(name, node),
      routes: this.routes(name, node),
      ...(ospf ? { ospf } : {}),
      ...(node.role === 'router' ? { ecmpHash: node.ecmp_hash ?? 'l4' } : {}),
      proxyArp: node.proxy_arp ?? false,
      directs,
      serves,
    };
  }

  private nodeOspf(name: string, node: LabFileNode, interfaces: ResolvedInterface[], directs: string[], serves: string[]): ResolvedNodeOspf | undefined {
    if (!this.speakers.has(name)) return undefined;
    const own = node.ospf === false || node.ospf === undefined ? {} : node.ospf;
    const networks: string[] = [];
    const add = (cidr: string): void => {
      if (!networks.includes(cidr)) networks.push(cidr);
    };
    for (const iface of interfaces) if (iface.ospf) add(iface.subnet);
    for (const serviceName of directs) {
      const service = this.lab.services?.[serviceName];
      if (service && serviceAnnounce(service) === 'ospf') add(`${service.vip}/32`);
    }
    // Seed 003: an anycast service's real servers announce its VIP themselves.
    for (const serviceName of serves) {
      const service = this.lab.services?.[serviceName];
      if (service && serviceAnnounce(service) === 'anycast') add(`${service.vip}/32`);
    }
    for (const prefix of own.announce ?? []) add(networkOf(prefix) ?? prefix);
    return {
      routerId: own.router_id ?? interfaces[0]!.address,
      networks,
      installRoutes: own.install_routes ?? node.role === 'router',
      defaultOriginate: own.default_originate ?? false,
    };
  }

  private loopbacks(name: string, node: LabFileNode): string[] {
    const out: string[] = [];
    const add = (cidr: string): void => {
      if (!out.includes(cidr)) out.push(cidr);
    };
    for (const [, service] of this.services) {
      const forwarding = service.forwarding ?? DEFAULTS.service.forwarding;
      // A VRRP VIP lives on the MASTER's interface (keepalived moves it), never on lo.
      const directs = this.directorsOf(service).includes(name) && serviceAnnounce(service) !== 'vrrp';
      // nat real servers never see the VIP: the director rewrites it. An anycast server is
      // reached at the VIP itself (there is no director to rewrite anything).
      const serves = service.real_servers.some((r) => r.node === name) && (forwarding !== 'nat' || serviceAnnounce(service) === 'anycast');
      if (directs || serves) add(`${service.vip}/32`);
    }
    for (const lo of node.loopbacks ?? []) add(hostCidr(lo));
    return out;
  }

  /** A router's address on an attachment `name` shares with it; routers and interfaces in declaration order. */
  private routerAddressFor(name: string, node: LabFileNode): string | undefined {
    for (const iface of node.interfaces) {
      const key = attachmentOf(iface);
      if (!key) continue;
      for (const [otherName, other] of this.nodes) {
        if (otherName === name || other.role !== 'router') continue;
        const a = this.addressOn(otherName, key);
        if (a) return a;
      }
    }
    return undefined;
  }

  /** For a real server of a nat service: its first director's address on a shared attachment. */
  private natDirectorAddressFor(name: string, node: LabFileNode): string | undefined {
    const nat = this.services.find(([, s]) => (s.forwarding ?? 'dr') === 'nat' && s.real_servers.some((r) => r.node === name));
    if (!nat) return undefined;
    const director = this.directorsOf(nat[1])[0];
    if (!director) return undefined;
    for (const iface of node.interfaces) {
      const key = attachmentOf(iface);
      const a = key === undefined ? undefined : this.addressOn(director, key);
      if (a) return a;
    }
    return undefined;
  }

  private routes(name: string, node: LabFileNode): ResolvedRoute[] {
    const routes: ResolvedRoute[] = [];
    const wantsAuto = node.role === 'client' || node.role === 'realserver';
    const gateway = node.gateway ?? (wantsAuto ? 'auto' : 'none');
    let via: string | undefined;
    if (gateway === 'auto') via = this.natDirectorAddressFor(name, node) ?? this.routerAddressFor(name, node);
    else if (gateway !== 'none') via = gateway;
    if (via) routes.push({ to: 'default', via });
    const explicit = (node.routes ?? []).map((r) => ({
      to: r.to === 'default' || r.to === '0.0.0.0/0' ? 'default' : (networkOf(r.to) ?? r.to),
      via: r.via,
    }));
    if (node.role === 'client') {
      for (const r of this.onLinkVipRoutes(node)) if (!explicit.some((e) => e.to === r.to)) routes.push(r);
    }
    routes.push(...explicit);
    return routes;
  }

  /**
   * A client whose segment contains an OSPF-announced VIP would ARP for it and reach
   * one director directly, bypassing the router's ECMP; a host route via an OSPF router
   * on that segment (the static route seed 001 adds on its clients) prevents that.
   */
  private onLinkVipRoutes(node: LabFileNode): ResolvedRoute[] {
    const out: ResolvedRoute[] = [];
    for (const [, service] of this.services) {
      if (!announcedOverOspf(service)) continue;
      const vip = parseIPv4(service.vip)!;
      const to = `${service.vip}/32`;
      if (out.some((r) => r.to === to)) continue;
      for (const iface of node.interfaces) {
        const key = attachmentOf(iface);
        if (!key || !subnetContains(this.subnet(key), vip)) continue;
        const router = this.nodes.find(([n, other]) => other.role === 'router' && this.speakers.has(n) && this.addressOn(n, key));
        if (router) {
          out.push({ to, via: this.addressOn(router[0], key)! });
          break;
        }
      }
    }
    return out;
  }

  private realServerAddress(rsName: string, directorName: string | undefined): string {
    const rs = this.lab.nodes[rsName]!;
    const director = directorName === undefined ? undefined : this.lab.nodes[directorName];
    const theirs = new Set(director ? director.interfaces.map(attachmentOf) : []);
    const index = rs.interfaces.findIndex((i) => theirs.has(attachmentOf(i)));
    // tun may reach a real server through a router: any of its addresses will do.
    return this.address(rsName, index < 0 ? 0 : index);
  }

  private service(name: string, s: LabFileService): ResolvedService {
    const directors = this.directorsOf(s);
    const hc = s.health_check;
    const d = DEFAULTS.healthCheck;
    const resolved: ResolvedService = {
      name,
      vip: s.vip,
      port: s.port,
      protocol: s.protocol ?? DEFAULTS.service.protocol,
      scheduler: s.scheduler ?? DEFAULTS.service.scheduler,
      forwarding: s.forwarding ?? DEFAULTS.service.forwarding,
      directors,
      announce: s.announce ?? DEFAULTS.service.announce,
      realServers: s.real_servers.map((r) => {
        // Keep the service's director order, so renderers see the same order either way.
        const own = r.directors === undefined ? directors : directors.filter((d) => r.directors!.includes(d));
        return {
          node: r.node,
          address: this.realServerAddress(r.node, own[0]),
          port: r.port ?? s.port,
          weight: r.weight ?? DEFAULTS.service.weight,
          directors: own,
        };
      }),
      persistenceTimeout: s.persistence_timeout ?? DEFAULTS.service.persistenceTimeout,
      healthCheck: {
        type: hc?.type ?? d.type,
        path: hc?.path ?? d.path,
        status: hc?.status ?? d.status,
        delayLoop: hc?.delay_loop ?? d.delayLoop,
        connectTimeout: hc?.connect_timeout ?? d.connectTimeout,
        retry: hc?.retry ?? d.retry,
        delayBeforeRetry: hc?.delay_before_retry ?? d.delayBeforeRetry,
      },
      inhibitOnFailure: s.inhibit_on_failure ?? false,
    };
    if (s.sorry_server) resolved.sorryServer = { address: s.sorry_server.address, port: s.sorry_server.port ?? s.port };
    if (s.vrrp) {
      const v = DEFAULTS.vrrp;
      const priorities: Record<string, number> = {};
      directors.forEach((dir, i) => {
        priorities[dir] = s.vrrp?.priorities?.[dir] ?? Math.max(1, v.firstPriority - v.priorityStep * i);
      });
      resolved.vrrp = { virtualRouterId: s.vrrp.virtual_router_id, advertInt: s.vrrp.advert_int ?? v.advertInt, priorities };
    }
    return resolved;
  }
}

/** Applies every default to a lab file that passed validation. */
export function resolveLab(file: LabFile, meta: ResolveMeta): ResolvedLab {
  return new Resolver(file, meta).resolve();
}

/** Whether `name` could announce over OSPF: a speaker with an OSPF neighbour (used by the validator). */
export function canAnnounce(lab: LooseLab, name: string): boolean {
  const speakers = ospfSpeakers(lab);
  const node = lab.nodes && Object.prototype.hasOwnProperty.call(lab.nodes, name) ? lab.nodes[name] : undefined;
  return !!node && speakers.has(name) && hasOspfNeighbour(name, node, ospfAttachments(lab, speakers));
}
