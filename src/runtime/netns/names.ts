// Host-visible names of the netns runtime. Everything a lab creates on the host is named
// from its instance name, so `down` can find it again with nothing but that name (also
// after lvslab itself was killed), and two instances never collide.
//
// The separator is '.', which neither instance nor node names may contain (src/model/names.ts),
// so `lvslab.<instance>.<node>` is unambiguous. The bridge namespace uses `_fabric`, which no
// node name can be (node names start with a letter).
export { RUN_ROOT, instanceDir } from '../../util/host-paths.js';
export { derivedMac } from '../../util/mac.js';

export const NETNS_PREFIX = 'lvslab.';
export const FABRIC = '_fabric';

export function nodeNamespace(instance: string, node: string): string {
  return `${NETNS_PREFIX}${instance}.${node}`;
}

export function fabricNamespace(instance: string): string {
  return `${NETNS_PREFIX}${instance}.${FABRIC}`;
}

/** The instance a namespace belongs to, or undefined when it is not an lvslab namespace. */
export function instanceOfNamespace(ns: string): string | undefined {
  if (!ns.startsWith(NETNS_PREFIX)) return undefined;
  const rest = ns.slice(NETNS_PREFIX.length);
  const dot = rest.indexOf('.');
  return dot > 0 ? rest.slice(0, dot) : undefined;
}

/** Bridge-side port of segment member `memberIndex` of segment `segmentIndex` (always <= 15 chars). */
export function fabricPortName(segmentIndex: number, memberIndex: number): string {
  return `p${segmentIndex}.${memberIndex}`;
}
