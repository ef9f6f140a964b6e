// containerlab gives every container's eth0 to its management network (and refuses eth0 as a
// link endpoint on a `linux` node unless the node has no management network). A lab's own
// interfaces therefore move up by one inside the container:
//
//   lab eth0 -> container eth1, lab eth1 -> eth2, ...; any other name is kept.
//
// The mapping is one-to-one (ethN for distinct N stay distinct, names that are not ethN do
// not change, and nothing maps to eth0), so renaming a whole ResolvedLab keeps every
// reference consistent. Configs are then rendered from the renamed lab by the ordinary
// renderers: FRR's interface blocks, keepalived's VRRP interface, sysctl keys and `ip`
// commands all name the interface the container really has.
import { interfaceNameProblem } from '../model/names.js';
import type { InterfaceRef, ResolvedLab } from '../model/types.js';

/** The management interface containerlab puts in every container. */
export const MANAGEMENT_INTERFACE = 'eth0';

/** `eth<N>` without leading zeros (eth01 is just a name, and must not collide with eth2). */
const ETH_N = /^eth(0|[1-9][0-9]*)$/;

/** The name a lab interface has inside its container. */
export function containerInterfaceName(labName: string): string {
  const m = ETH_N.exec(labName);
  const name = m ? `eth${BigInt(m[1]!) + 1n}` : labName;
  const problem = interfaceNameProblem(name);
  if (problem) throw new Error(`lab interface ${labName} cannot be renamed for containerlab: ${problem}`);
  return name;
}

/**
 * A copy of `lab` in which every interface name is the container's (containerInterfaceName).
 * MACs, addresses and everything else stay as resolved, so the containers get the same
 * deterministic MACs as the netns runtime would give them.
 */
export function withContainerInterfaceNames(lab: ResolvedLab): ResolvedLab {
  const copy = structuredClone(lab);
  const rename = (ref: InterfaceRef): void => {
    ref.iface = containerInterfaceName(ref.iface);
  };
  for (const node of copy.nodes) {
    for (const iface of node.interfaces) {
      iface.name = containerInterfaceName(iface.name);
      if (iface.attachment.kind === 'link') rename(iface.attachment.peer);
    }
  }
  for (const segment of copy.segments) segment.members.forEach(rename);
  for (const link of copy.links) link.ends.forEach(rename);
  return copy;
}
