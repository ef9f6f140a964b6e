// The topology `--runtime containerlab` hands to `containerlab deploy`. Unlike `lvslab
// export` (a self-contained topology whose startup exec lines configure every node), this
// one only builds the nodes and wires them: lvslab then configures the running containers
// through the Docker API exactly as the Docker runtime does. So:
//   - lab nodes run with `network-mode: none`: no management interface, no route to the
//     host or out of it, and the lab's own interface names (eth0 included) are free;
//   - every endpoint carries the lab's interface name and MAC;
//   - segments are bridges inside a fabric container of the lab's own (`kind: bridge`
//     with `network-mode: container:...`, containerlab 0.69 or later), so the host's
//     firewall never sees lab frames;
//   - every container carries lvslab's instance labels, so `down` finds it like a Docker
//     runtime container, and mounts this lvslab read-only for its own programs.
// Pure: the same lab gives the same text.
import { Document, isMap, isSeq } from 'yaml';
import type { ResolvedLab } from '../../model/types.js';
import { bridgeNodeName, bridgePortName, FABRIC_NODE } from '../../export/clab-names.js';
import { IMAGE_LVSLAB_DIR } from '../../images/node-image.js';
import { LABEL_INSTANCE, LABEL_NODE } from '../docker/names.js';
import { NODE_CAPABILITIES } from '../docker/docker-runtime.js';

export interface DeploymentOptions {
  image: string;
  /** The lvslab package directory on this host, mounted read-only at IMAGE_LVSLAB_DIR. */
  lvslabDir: string;
  /** Node-wide sysctls per node (interface keys are set later, inside the container). */
  sysctls(node: string): Record<string, string>;
}

/** containerlab's default name for a node's container. */
export function clabContainerName(instance: string, node: string): string {
  return `clab-${instance}-${node}`;
}

export function renderDeploymentTopology(lab: ResolvedLab, opts: DeploymentOptions): string {
  const labels = (node: string) => ({ [LABEL_INSTANCE]: lab.instance, [LABEL_NODE]: node });
  const nodes: Record<string, unknown> = {};
  for (const node of lab.nodes) {
    nodes[node.name] = {
      kind: 'linux',
      image: opts.image,
      group: node.role,
      'network-mode': 'none',
      'cap-add': [...NODE_CAPABILITIES],
      binds: [`${opts.lvslabDir}:${IMAGE_LVSLAB_DIR}:ro`],
      sysctls: opts.sysctls(node.name),
      labels: labels(node.name),
    };
  }
  if (lab.segments.length > 0) {
    nodes[FABRIC_NODE] = { kind: 'linux', image: opts.image, group: 'fabric', 'network-mode': 'none', labels: labels(FABRIC_NODE) };
  }
  for (const seg of lab.segments) {
    nodes[bridgeNodeName('fabric', lab.instance, seg.name)] = { kind: 'bridge', 'network-mode': `container:${FABRIC_NODE}` };
  }
  const macOf = (node: string, iface: string): string => lab.nodes.find((n) => n.name === node)!.interfaces.find((i) => i.name === iface)!.mac;
  const links: unknown[] = [];
  for (const seg of lab.segments) {
    for (const m of seg.members) {
      links.push({
        type: 'veth',
        endpoints: [
          { node: m.node, interface: m.iface, mac: macOf(m.node, m.iface) },
          { node: bridgeNodeName('fabric', lab.instance, seg.name), interface: bridgePortName(lab.instance, m.node, m.iface) },
        ],
      });
    }
  }
  for (const link of lab.links) {
    links.push({ type: 'veth', endpoints: link.ends.map((e) => ({ node: e.node, interface: e.iface, mac: macOf(e.node, e.iface) })) });
  }
  const topology: Record<string, unknown> = { nodes };
  if (links.length > 0) topology.links = links;
  // containerlab reads YAML 1.1: quoted MACs stay strings.
  const doc = new Document({ name: lab.instance, topology }, { version: '1.1' });
  doc.commentBefore = ` Written by lvslab up --runtime containerlab for instance ${lab.instance}; lvslab configures the nodes itself.`;
  const linkSeq = doc.getIn(['topology', 'links'], true);
  if (isSeq(linkSeq)) {
    for (const item of linkSeq.items) {
      const endpoints = isMap(item) ? item.get('endpoints', true) : undefined;
      if (isSeq(endpoints)) for (const ep of endpoints.items) if (isMap(ep)) ep.flow = true;
    }
  }
  return doc.toString({ lineWidth: 0 });
}
