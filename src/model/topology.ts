// Who is attached to what, and who speaks OSPF: questions both the validator and the
// resolver ask. Everything here reads a possibly incomplete lab (`Loose`), because the
// validator runs on files the schema already found faults in.
import type { LabFile, LabFileInterface, LabFileNode, LabFileService } from './types.js';

/**
 * A lab file as it may be on disk: any field may be missing and list items may be
 * holes where the schema rejected a value. A valid LabFile is also a Loose<LabFile>.
 */
export type Loose<T> = T extends readonly (infer U)[]
  ? (Loose<U> | undefined)[]
  : T extends object
    ? { [K in keyof T]?: Loose<T[K]> }
    : T;

export type LooseLab = Loose<LabFile>;
export type LooseNode = Loose<LabFileNode>;
export type LooseInterface = Loose<LabFileInterface>;
export type LooseService = Loose<LabFileService>;

/** `segment:lan` or `link:up1`: one key per L2 domain an interface can attach to. */
export type AttachmentKey = string;

export function attachmentOf(iface: LooseInterface | undefined): AttachmentKey | undefined {
  if (!iface) return undefined;
  if (typeof iface.segment === 'string' && iface.link === undefined) return `segment:${iface.segment}`;
  if (typeof iface.link === 'string' && iface.segment === undefined) return `link:${iface.link}`;
  return undefined;
}

export function entries<T>(record: Record<string, T | undefined> | undefined): [string, T][] {
  if (!record || typeof record !== 'object') return [];
  return Object.entries(record).filter((e): e is [string, T] => e[1] !== undefined && e[1] !== null);
}

export function nodeInterfaces(node: LooseNode | undefined): LooseInterface[] {
  return Array.isArray(node?.interfaces) ? node.interfaces.filter((i): i is LooseInterface => !!i) : [];
}

export function attachmentsOf(node: LooseNode | undefined): Set<AttachmentKey> {
  const out = new Set<AttachmentKey>();
  for (const iface of nodeInterfaces(node)) {
    const key = attachmentOf(iface);
    if (key) out.add(key);
  }
  return out;
}

export function sharedAttachments(a: LooseNode | undefined, b: LooseNode | undefined): AttachmentKey[] {
  const theirs = attachmentsOf(b);
  return [...attachmentsOf(a)].filter((k) => theirs.has(k));
}

/**
 * The directors of a service: as listed, or every director of the lab in declaration order;
 * an anycast service has none by default (its real servers announce the VIP themselves).
 */
export function serviceDirectors(lab: LooseLab, service: LooseService): string[] {
  if (Array.isArray(service.directors)) return service.directors.filter((d): d is string => typeof d === 'string');
  if (serviceAnnounce(service) === 'anycast') return [];
  return entries(lab.nodes)
    .filter(([, n]) => n.role === 'director')
    .map(([name]) => name);
}

export function serviceAnnounce(service: LooseService): string {
  return service.announce ?? 'ospf';
}

/** Whether the service's VIP reaches the routers as an OSPF /32: from its directors (ospf) or its real servers (anycast). */
export function announcedOverOspf(service: LooseService): boolean {
  const announce = serviceAnnounce(service);
  return announce === 'ospf' || announce === 'anycast';
}

/** The real servers of a service, by node name (holes and rejected values skipped). */
export function serviceRealServerNodes(service: LooseService): string[] {
  return (Array.isArray(service.real_servers) ? service.real_servers : []).map((r) => r?.node).filter((n): n is string => typeof n === 'string');
}

/**
 * OSPF speakers, in declaration order: routers (unless `ospf: false`), directors of a
 * service announced over OSPF and real servers of an anycast service (unless `ospf:
 * false`), and any node with an `ospf:` mapping.
 */
export function ospfSpeakers(lab: LooseLab): Set<string> {
  const announcing = new Set<string>();
  const anycastServers = new Set<string>();
  for (const [, service] of entries(lab.services)) {
    const announce = serviceAnnounce(service);
    if (announce === 'ospf') for (const d of serviceDirectors(lab, service)) announcing.add(d);
    if (announce === 'anycast') for (const r of serviceRealServerNodes(service)) anycastServers.add(r);
  }
  const speakers = new Set<string>();
  for (const [name, node] of entries(lab.nodes)) {
    if (node.ospf === false) continue;
    const byRole =
      node.role === 'router' || (node.role === 'director' && announcing.has(name)) || (node.role === 'realserver' && anycastServers.has(name));
    if (byRole || (typeof node.ospf === 'object' && node.ospf !== null)) speakers.add(name);
  }
  return speakers;
}

/** For each attachment, the speakers that run OSPF on an interface there. */
export function ospfAttachments(lab: LooseLab, speakers: Set<string>): Map<AttachmentKey, string[]> {
  const out = new Map<AttachmentKey, string[]>();
  for (const [name, node] of entries(lab.nodes)) {
    if (!speakers.has(name)) continue;
    for (const iface of nodeInterfaces(node)) {
      const key = attachmentOf(iface);
      if (!key || iface.ospf === false) continue;
      const list = out.get(key) ?? [];
      if (!list.includes(name)) list.push(name);
      out.set(key, list);
    }
  }
  return out;
}

/** Whether `node` has an OSPF interface where some other speaker (one of `among`, when given) also runs OSPF. */
export function hasOspfNeighbour(name: string, node: LooseNode, byAttachment: Map<AttachmentKey, string[]>, among?: Set<string>): boolean {
  return nodeInterfaces(node).some((iface) => {
    const key = attachmentOf(iface);
    if (!key || iface.ospf === false) return false;
    return (byAttachment.get(key) ?? []).some((other) => other !== name && (!among || among.has(other)));
  });
}
