// IPv4 arithmetic for lab addressing. Addresses are handled as unsigned 32-bit integers;
// every function here is pure and total (bad input gives undefined, never an exception).

export interface Cidr {
  /** The address as written (may have host bits set, e.g. 10.0.1.5/24). */
  address: number;
  prefix: number;
  /** address with the host bits cleared. */
  network: number;
}

const IPV4_SHAPE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Dotted quad to integer; rejects leading zeros (they are octal to some tools). */
export function parseIPv4(text: string): number | undefined {
  const m = IPV4_SHAPE.exec(text);
  if (!m) return undefined;
  let value = 0;
  for (const part of m.slice(1)) {
    if (part.length > 1 && part.startsWith('0')) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

export function formatIPv4(value: number): string {
  const v = value >>> 0;
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
}

export function isIPv4(text: string): boolean {
  return parseIPv4(text) !== undefined;
}

export function prefixMask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** `a.b.c.d/n`; the address part may have host bits set (see Cidr.network). */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const address = parseIPv4(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (address === undefined || !/^(3[0-2]|[12]?\d)$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  return { address, prefix, network: (address & prefixMask(prefix)) >>> 0 };
}

export function isCidr(text: string): boolean {
  return parseCidr(text) !== undefined;
}

export function formatCidr(network: number, prefix: number): string {
  return `${formatIPv4(network)}/${prefix}`;
}

/** `10.0.1.5/24` -> `10.0.1.0/24`. */
export function networkOf(text: string): string | undefined {
  const c = parseCidr(text);
  return c && formatCidr(c.network, c.prefix);
}

export function broadcastOf(c: Cidr): number {
  return (c.network | ~prefixMask(c.prefix)) >>> 0;
}

export function subnetContains(c: Cidr, address: number): boolean {
  return ((address & prefixMask(c.prefix)) >>> 0) === c.network;
}

/** Whether the subnet written as `cidr` (10.0.1.0/24) holds the address written as `address`; false if either does not parse. */
export function cidrHolds(cidr: string, address: string): boolean {
  const c = parseCidr(cidr);
  const a = parseIPv4(address);
  return c !== undefined && a !== undefined && subnetContains(c, a);
}

export function subnetsOverlap(a: Cidr, b: Cidr): boolean {
  const shorter = Math.min(a.prefix, b.prefix);
  const mask = prefixMask(shorter);
  return ((a.network & mask) >>> 0) === ((b.network & mask) >>> 0);
}

/**
 * First and last address a host may use. /31 (RFC 3021) and /32 have no network or
 * broadcast address; every other subnet loses its first and last address.
 */
export function hostRange(c: Cidr): { first: number; last: number } {
  if (c.prefix >= 31) return { first: c.network, last: broadcastOf(c) };
  return { first: c.network + 1, last: broadcastOf(c) - 1 };
}

export function hostCount(c: Cidr): number {
  const { first, last } = hostRange(c);
  return last - first + 1;
}

/** OSPF areas may be written as an integer; FRR and the resolved model use the dotted form. */
export function areaToDotted(area: string | number): string {
  return typeof area === 'number' ? formatIPv4(area) : area;
}

/** Host address to a /32 CIDR; CIDRs pass through unchanged. */
export function hostCidr(text: string): string {
  return text.includes('/') ? text : `${text}/32`;
}

// Address ranges no lab address can use: a packet to them is never routed like unicast.
const SPECIAL: { cidr: string; what: string }[] = [
  { cidr: '0.0.0.0/8', what: 'in 0.0.0.0/8 ("this network": unspecified, never a destination)' },
  { cidr: '127.0.0.0/8', what: 'a loopback address (127.0.0.0/8 never leaves a host)' },
  { cidr: '169.254.0.0/16', what: 'a link-local address (169.254.0.0/16 is never routed)' },
  { cidr: '224.0.0.0/4', what: 'a multicast address (224.0.0.0/4)' },
  { cidr: '240.0.0.0/4', what: 'in the reserved range 240.0.0.0/4 (255.255.255.255 is the broadcast address)' },
];

/** Why `address` cannot be a lab's unicast address (VIP, interface, loopback), or undefined. */
export function unusableAddressReason(address: number): string | undefined {
  if (address === 0) return 'the unspecified address 0.0.0.0';
  if (address === 0xffffffff) return 'the limited broadcast address 255.255.255.255';
  for (const s of SPECIAL) if (subnetContains(parseCidr(s.cidr)!, address)) return s.what;
  return undefined;
}

/** Why `c` cannot be a segment's or link's subnet, or undefined. */
export function unusableSubnetReason(c: Cidr): string | undefined {
  if (c.prefix === 0) return '0.0.0.0/0 is the default route, not a subnet';
  for (const s of SPECIAL) {
    const special = parseCidr(s.cidr)!;
    if (subnetsOverlap(special, c)) return `it overlaps ${s.cidr}, which is ${s.what.replace(/^(a |an |in |the )/, '').replace(/ \(.*$/, '')} space`;
  }
  return undefined;
}
