// Naming rules for everything that ends up as a kernel or host name. The limits come from
// what those names turn into: interface names are kernel netdev names (IFNAMSIZ 16 with the
// NUL, so 15 characters), node and instance names become parts of namespace, veth and
// directory names, and segment/link names become bridge names prefixed by the runtime.
// The runtime reuses these functions, so the file and the command line agree.
import { EXIT, LvslabError } from '../util/errors.js';

export interface NameRule {
  pattern: RegExp;
  /** What is accepted, in words (shown to the user next to a rejected name). */
  accepted: string;
}

export const INTERFACE_NAME: NameRule = {
  pattern: /^[a-zA-Z][a-zA-Z0-9_.-]{0,14}$/,
  accepted: 'a letter, then up to 14 letters, digits, "_", "." or "-" (Linux interface names are at most 15 characters); not lo, all, default, an ip keyword such as dev, type or help, or an abbreviation of one such as ty',
};

export const NODE_NAME: NameRule = {
  pattern: /^[a-z][a-z0-9-]{0,23}$/,
  accepted: 'a lowercase letter, then up to 23 lowercase letters, digits or "-"',
};

/** Segments, links and services share one rule. */
export const NETWORK_NAME: NameRule = {
  pattern: /^[a-z][a-z0-9-]{0,14}$/,
  accepted: 'a lowercase letter, then up to 14 lowercase letters, digits or "-"',
};

export const INSTANCE_NAME: NameRule = {
  pattern: /^[a-z0-9][a-z0-9-]{0,23}$/,
  accepted: 'a lowercase letter or digit, then up to 23 lowercase letters, digits or "-"',
};

/**
 * Names that iproute2 or the kernel give a meaning of their own. An interface or bridge
 * with one of them breaks `up` with a raw ip error (or ip's whole help text): `lo` exists in
 * every namespace, `all` and `default` are the kernel's per-family settings
 * (/proc/sys/net/ipv4/conf/{all,default}), the rest are words `ip link` reads as keywords
 * where a bare device name may stand. Found by running `ip link add NAME type bridge` and
 * `ip link set NAME up` for every keyword and every prefix of one (iproute2 6.1).
 */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  'lo', 'all', 'default', 'dev', 'down', 'up', 'name', 'mtu', 'arp', 'multicast', 'allmulticast', 'promisc', 'trailers',
  'netns', 'vf', 'vrf', 'mode', 'state', 'group', 'index', 'protodown', 'protodown_reason', 'xdp', 'xdpdrv', 'xdpgeneric',
  'xdpoffload', 'qlen', 'brd', 'carrier', 'parentdev', 'gso_max_size', 'gso_max_segs', 'gro_max_size', 'gso_ipv4_max_size',
  'gro_ipv4_max_size', 'gso_ipv4_max_siz', 'gro_ipv4_max_siz',
]);

/** Keywords ip matches by prefix: any abbreviation of them ("ty", "a", "hel") is read as the keyword. */
export const PREFIX_KEYWORDS: readonly string[] = [
  'address', 'addrgenmode', 'alias', 'broadcast', 'dynamic', 'help', 'link', 'master', 'nomaster', 'numrxqueues', 'numtxqueues', 'txqueuelen', 'type',
];

function reservedReason(name: string): string | undefined {
  if (name === 'lo') return "'lo' is the loopback interface every network namespace already has";
  if (name === 'all' || name === 'default') return `'${name}' is reserved by the kernel (/proc/sys/net/ipv4/conf/${name})`;
  if (RESERVED_NAMES.has(name)) return `'${name}' is an iproute2 keyword, which ip would read as one, not as a name`;
  const abbreviated = PREFIX_KEYWORDS.find((k) => name.length > 0 && k.startsWith(name));
  if (abbreviated === name) return `'${name}' is an iproute2 keyword, which ip would read as one, not as a name`;
  if (abbreviated) return `'${name}' abbreviates the iproute2 keyword '${abbreviated}', which ip would read it as`;
  return undefined;
}

const RESERVED_TEXT = 'not lo, all, default, an ip keyword such as dev, type or help, or an abbreviation of one such as ty';

/** Why `name` breaks `rule`, or undefined when it is fine. */
function reasonAgainst(rule: NameRule, name: string, maxLength: number): string | undefined {
  if (rule.pattern.test(name)) return undefined;
  if (name.length === 0) return 'the name is empty';
  if (name.length > maxLength) return `'${name}' is too long (${name.length} characters, at most ${maxLength})`;
  return `'${name}' is not a valid name`;
}

export function interfaceNameProblem(name: string): string | undefined {
  return reservedReason(name) ?? reasonAgainst(INTERFACE_NAME, name, 15);
}

/** Segments become bridge names: the same reserved words apply. */
export const BRIDGE_NAME: NameRule = {
  pattern: /^[a-z][a-z0-9-]{0,14}$/,
  accepted: `a lowercase letter, then up to 14 lowercase letters, digits or "-"; ${RESERVED_TEXT}`,
};

export function nodeNameProblem(name: string): string | undefined {
  return reasonAgainst(NODE_NAME, name, 24);
}

export function segmentNameProblem(name: string): string | undefined {
  return reservedReason(name) ?? reasonAgainst(BRIDGE_NAME, name, 15);
}

// Links are veth pairs named after their interfaces: a link's own name reaches no kernel object.
export function linkNameProblem(name: string): string | undefined {
  return reasonAgainst(NETWORK_NAME, name, 15);
}

export function serviceNameProblem(name: string): string | undefined {
  return reasonAgainst(NETWORK_NAME, name, 15);
}

export function instanceNameProblem(name: string): string | undefined {
  return reasonAgainst(INSTANCE_NAME, name, 24);
}

/**
 * Refuses an instance name given on the command line (NAME, --name): an empty one too, so
 * `lvslab down "$NAME"` with NAME unset is an error, never "the only one" or "all".
 */
export function checkInstanceName(name: string, label: string): void {
  const why = instanceNameProblem(name);
  if (why) throw new LvslabError(`${label} ${JSON.stringify(name)}: ${why} (accepted: ${INSTANCE_NAME.accepted})`, EXIT.invalidInput);
}

export const isValidInterfaceName = (name: string): boolean => interfaceNameProblem(name) === undefined;
export const isValidNodeName = (name: string): boolean => nodeNameProblem(name) === undefined;
export const isValidSegmentName = (name: string): boolean => segmentNameProblem(name) === undefined;
export const isValidLinkName = (name: string): boolean => linkNameProblem(name) === undefined;
export const isValidServiceName = (name: string): boolean => serviceNameProblem(name) === undefined;
export const isValidInstanceName = (name: string): boolean => instanceNameProblem(name) === undefined;

/** Default name of the interface at `index` in a node's list. */
export function defaultInterfaceName(index: number): string {
  return `eth${index}`;
}
