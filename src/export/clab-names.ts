// Names the exported containerlab topology gives to things the lab model has no name for:
// the bridge behind each L2 segment, and the bridge-side end of each member's veth.
//
// Two places a segment's bridge can live (containerlab `kind: bridge` supports both):
//  - `host`: a Linux bridge in the host's namespace, which containerlab expects to exist
//    before `deploy`. Its name and its ports' names are host-wide, so they carry a hash of
//    the lab instance: two exported labs never share a bridge by accident.
//  - `fabric`: a bridge inside a container of the lab's own (FABRIC_NODE), which
//    containerlab creates itself (containerlab 0.69 or later). Like the netns runtime's
//    `_fabric` namespace, the host never sees a lab frame.
// Every name here fits a Linux interface name (15 characters). The containerlab nodes
// added beside the lab's (bridges, the fabric) can never equal a lab node name: lab node
// names contain neither '_' nor '|'.
import { createHash } from 'node:crypto';

export const BRIDGE_MODES = ['host', 'fabric'] as const;
export type BridgeMode = (typeof BRIDGE_MODES)[number];

/** The container that holds the segment bridges in `fabric` mode. */
export const FABRIC_NODE = 'lvslab_fabric';

function hexDigest(seed: string, length: number): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, length);
}

/** Host bridge of a segment: `lv<hash>_<segment, first 8 characters>` (at most 15). */
export function hostBridgeName(instance: string, segment: string): string {
  return `lv${hexDigest(`${instance}/${segment}`, 4)}_${segment.slice(0, 8)}`;
}

/** Name of the bridge itself (on the host or inside the fabric container). */
export function bridgeName(mode: BridgeMode, instance: string, segment: string): string {
  // Inside the fabric container nothing else exists: the segment's own name will do.
  return mode === 'host' ? hostBridgeName(instance, segment) : segment;
}

/**
 * The containerlab node that stands for a segment's bridge. containerlab reads the part
 * before '|' as the bridge name and the part after it as the container it lives in.
 */
export function bridgeNodeName(mode: BridgeMode, instance: string, segment: string): string {
  const bridge = bridgeName(mode, instance, segment);
  return mode === 'host' ? bridge : `${bridge}|${FABRIC_NODE}`;
}

/** Bridge-side end of a member's veth: `lv` + 10 hex digits, unique per instance/node/interface. */
export function bridgePortName(instance: string, node: string, iface: string): string {
  return `lv${hexDigest(`${instance}/${node}/${iface}`, 10)}`;
}
