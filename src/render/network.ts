// The `ip -batch -` lines that give a node its addresses and routes, run inside the node
// once its interfaces exist (under their final names).
//
// Order matters: a route's gateway must sit on a connected subnet of an up interface, so
// all links are up and addressed before the first route. MACs are set while the link is
// still down (some drivers refuse otherwise), so every runtime ends up with the resolved,
// deterministic MACs whatever the interface was created with.
import type { ResolvedLab, ResolvedNode } from '../model/types.js';

export function renderNodeNetwork(_lab: ResolvedLab, node: ResolvedNode): string[] {
  const lines = ['link set dev lo up'];
  for (const cidr of node.loopbacks) lines.push(`addr add ${cidr} dev lo`);
  for (const iface of node.interfaces) {
    lines.push(
      `link set dev ${iface.name} address ${iface.mac}`,
      `addr add ${iface.cidr} dev ${iface.name}`,
      `link set dev ${iface.name} up`,
    );
  }
  for (const route of node.routes) lines.push(`route add ${route.to} via ${route.via}`);
  return lines;
}
