// `lvslab export --format containerlab`: a ResolvedLab as a containerlab topology.
//
//   DIR/<instance>.clab.yml   kind: linux nodes running lvslab/node, one kind: bridge node per
//                             L2 segment, veth links with the lab's MACs, exec lines that
//                             apply sysctls, addresses and routes and start the daemons
//   DIR/<node>/conf/...       the node's rendered configs; DIR/<node> is bind-mounted at
//                             CONTAINER_BASE, so daemons' logs land in DIR/<node>/log
//   DIR/README.md             what to do before `containerlab deploy`, and the name mapping
//
// Pure: nothing here touches the disk (write.ts does). Interfaces are renamed first
// (interface-names.ts), and every config is rendered from the renamed lab.
import { Document, isMap, isSeq, type YAMLMap } from 'yaml';
import type { Dataplane, ResolvedLab } from '../model/types.js';
import { FABRIC_NODE, bridgeName, bridgeNodeName, bridgePortName, type BridgeMode } from './clab-names.js';
import { CONTAINER_BASE, IMAGE_LVSLAB_DIR, nodeImage } from '../images/node-image.js';
import { EXPORTED_LVSLAB_DIR } from './lvslab-programs.js';
import { MANAGEMENT_INTERFACE, withContainerInterfaceNames } from './interface-names.js';
import { containerNodeSetup, type ContainerNodeSetup, type ExportFile } from './node-commands.js';
import { renderExportReadme } from './readme.js';
import { interfaceNameProblem } from '../model/names.js';
import { fallbackProblems } from '../dataplane/support.js';
import { EXIT, LvslabError } from '../util/errors.js';
import { parseCidr, subnetsOverlap } from '../model/addr.js';

export interface ContainerlabExportOptions {
  /** ipvs (keepalived + kernel IPVS, what the lab is for) or the nftables fallback. */
  dataplane: Dataplane;
  /** Where segment bridges live: on the host (created by the user) or in a lab container. */
  bridges: BridgeMode;
  /** Tag of NODE_IMAGE_REPOSITORY; default NODE_IMAGE_DEFAULT_TAG. */
  imageTag?: string;
  /**
   * lvslab's programs for the nodes (needed by the nftables dataplane's health daemon and by
   * lvslab's traffic generator), bind-mounted read-only at IMAGE_LVSLAB_DIR. `files`: copied
   * into the export (readLvslabProgramFiles), which stays movable; `dir`: an absolute host
   * path, for deployments lvslab itself makes on this host. Neither: nothing is mounted.
   */
  lvslabPrograms?: { files: ExportFile[] } | { dir: string };
}

/** One segment's bridge, for the README and the CLI's summary. */
export interface ExportedBridge {
  segment: string;
  subnet: string;
  /** The bridge's name where it lives (host namespace or fabric container). */
  bridge: string;
  /** The containerlab node standing for it. */
  clabNode: string;
  ports: Array<{ port: string; node: string; iface: string }>;
}

export interface ContainerlabExport {
  /** `<instance>.clab.yml`, relative to the export directory. */
  topologyFile: string;
  /** Every file, paths relative to the export directory, the topology file first. */
  files: ExportFile[];
  /** Directories to create even when empty (every node's bind-mount source must exist). */
  dirs: string[];
  bridges: ExportedBridge[];
  /** Shell commands the user runs before deploy / after destroy (host bridges only). */
  hostSetup: string[];
  hostTeardown: string[];
  /** The lab with the containers' interface names (what the configs were rendered from). */
  containerLab: ResolvedLab;
}

/** containerlab's pattern for a topology name (it prefixes every container name). */
const CLAB_TOPOLOGY_NAME = /^[a-zA-Z0-9][a-zA-Z0-9-._]*$/;

/**
 * The export of `lab`. Throws LvslabError (invalid input) when the lab cannot be expressed:
 * a name containerlab or Linux would refuse, or a layout the chosen dataplane cannot run.
 */
export function renderContainerlabExport(lab: ResolvedLab, opts: ContainerlabExportOptions): ContainerlabExport {
  if (!CLAB_TOPOLOGY_NAME.test(lab.instance)) refuse(`'${lab.instance}' is not a valid containerlab topology name`);
  if (opts.dataplane === 'nftables') {
    // The same refusals `up` makes; TUN's ipip need is the deploying host's to meet.
    const problems = fallbackProblems(lab, { ipip: true });
    if (problems.length > 0) refuse(`the nftables dataplane cannot run this lab: ${problems.join('; ')}`);
  }
  let containerLab: ResolvedLab;
  try {
    containerLab = withContainerInterfaceNames(lab);
  } catch (err) {
    refuse((err as Error).message);
  }
  const bridges = exportedBridges(containerLab, opts.bridges);
  checkNames(containerLab, bridges);
  checkManagementSubnet(lab);
  const image = nodeImage(opts.imageTag);
  const setups = containerLab.nodes.map((node) => containerNodeSetup(containerLab, node, opts.dataplane));

  const hostSetup = opts.bridges === 'host' ? bridges.flatMap((b) => hostBridgeCommands(b.bridge)) : [];
  const hostTeardown = opts.bridges === 'host' ? bridges.map((b) => `ip link del ${b.bridge}`) : [];
  const topologyFile = `${lab.instance}.clab.yml`;
  const labInterfaceNames = new Map(
    containerLab.nodes.flatMap((n, ni) => n.interfaces.map((iface, ii) => [`${n.name}/${iface.name}`, lab.nodes[ni]!.interfaces[ii]!.name] as const)),
  );
  const yaml = topologyYaml(containerLab, setups, bridges, { ...opts, image, hostSetup, labInterfaceNames });
  const readme = renderExportReadme({ lab, containerLab, topologyFile, image, dataplane: opts.dataplane, bridgeMode: opts.bridges, bridges, hostSetup, hostTeardown });

  return {
    topologyFile,
    files: [
      { path: topologyFile, content: yaml },
      { path: 'README.md', content: readme },
      ...setups.flatMap((s) => s.files),
      ...(opts.lvslabPrograms && 'files' in opts.lvslabPrograms ? opts.lvslabPrograms.files : []),
    ],
    dirs: containerLab.nodes.map((n) => n.name),
    bridges,
    hostSetup,
    hostTeardown,
    containerLab,
  };
}

function lvslabBinds(programs: ContainerlabExportOptions['lvslabPrograms']): string[] {
  if (!programs) return [];
  return [`${'dir' in programs ? programs.dir : `./${EXPORTED_LVSLAB_DIR}`}:${IMAGE_LVSLAB_DIR}:ro`];
}

/** The bridge settings of the netns runtime's segments: no STP, no forwarding delay, no snooping. */
function hostBridgeCommands(bridge: string): string[] {
  return [`ip link add ${bridge} type bridge stp_state 0 forward_delay 0 mcast_snooping 0`, `ip link set dev ${bridge} up`];
}

function exportedBridges(lab: ResolvedLab, mode: BridgeMode): ExportedBridge[] {
  return lab.segments.map((seg) => ({
    segment: seg.name,
    subnet: seg.subnet,
    bridge: bridgeName(mode, lab.instance, seg.name),
    clabNode: bridgeNodeName(mode, lab.instance, seg.name),
    ports: seg.members.map((m) => ({ port: bridgePortName(lab.instance, m.node, m.iface), node: m.node, iface: m.iface })),
  }));
}

/** Generated names must be valid interface names, and distinct where they share a namespace. */
function checkNames(lab: ResolvedLab, bridges: ExportedBridge[]): void {
  const seen = new Map<string, string>();
  const claim = (name: string, what: string): void => {
    const earlier = seen.get(name);
    if (earlier) refuse(`${what} and ${earlier} would both be named ${name}`);
    seen.set(name, what);
  };
  for (const b of bridges) {
    for (const name of [b.bridge, ...b.ports.map((p) => p.port)]) {
      const problem = interfaceNameProblem(name);
      if (problem) refuse(`bridge of segment ${b.segment}: ${problem}`);
    }
    claim(b.bridge, `the bridge of segment ${b.segment}`);
    for (const p of b.ports) claim(p.port, `the bridge port of ${p.node} ${p.iface}`);
  }
  for (const node of lab.nodes) {
    for (const iface of node.interfaces) {
      if (iface.name === MANAGEMENT_INTERFACE) refuse(`${node.name} ${iface.name} would take containerlab's management interface`);
    }
  }
}

/** What containerlab gives its management network unless the topology says otherwise. */
export const CLAB_DEFAULT_MGMT_SUBNET = '172.20.20.0/24';

/**
 * Every container's eth0 sits in the management subnet, with a connected route to it: a
 * lab address in that subnet would be reached through eth0 instead of the lab.
 */
function checkManagementSubnet(lab: ResolvedLab): void {
  const mgmt = parseCidr(CLAB_DEFAULT_MGMT_SUBNET)!;
  const used = [...lab.segments.map((s) => s.subnet), ...lab.links.map((l) => l.subnet), ...lab.services.map((s) => `${s.vip}/32`)];
  for (const cidr of used) {
    const c = parseCidr(cidr);
    if (c && subnetsOverlap(c, mgmt)) refuse(`${cidr} overlaps containerlab's management network ${CLAB_DEFAULT_MGMT_SUBNET}`);
  }
}

function refuse(message: string): never {
  throw new LvslabError(`cannot export for containerlab: ${message}`, EXIT.invalidInput);
}

interface TopologyOptions extends ContainerlabExportOptions {
  image: string;
  hostSetup: string[];
  /** `node/container interface` -> the lab's name for it. */
  labInterfaceNames: Map<string, string>;
}

function topologyYaml(lab: ResolvedLab, setups: ContainerNodeSetup[], bridges: ExportedBridge[], opts: TopologyOptions): string {
  const labNameNote = (node: string, iface: string): string => {
    const original = opts.labInterfaceNames.get(`${node}/${iface}`);
    return original && original !== iface ? ` (lab ${original})` : '';
  };
  const nodes: Record<string, unknown> = {};
  for (const node of lab.nodes) {
    const setup = setups.find((s) => s.node === node.name)!;
    nodes[node.name] = {
      kind: 'linux',
      image: opts.image,
      group: node.role,
      // Relative to this file: the directory moves with it.
      // Relative to this file: the directory moves with it.
      binds: [`./${node.name}:${CONTAINER_BASE}`, ...lvslabBinds(opts.lvslabPrograms)],
      sysctls: setup.sysctls,
      exec: setup.exec,
    };
  }
  if (opts.bridges === 'fabric' && bridges.length > 0) {
    // Only holds the bridges; the image's default command keeps it running.
    nodes[FABRIC_NODE] = { kind: 'linux', image: opts.image, group: 'fabric' };
  }
  for (const b of bridges) {
    nodes[b.clabNode] = opts.bridges === 'fabric' ? { kind: 'bridge', 'network-mode': `container:${FABRIC_NODE}` } : { kind: 'bridge' };
  }

  const macOf = (node: string, iface: string): string =>
    lab.nodes.find((n) => n.name === node)!.interfaces.find((i) => i.name === iface)!.mac;
  const links: unknown[] = [];
  const linkComments: string[] = [];
  for (const b of bridges) {
    for (const p of b.ports) {
      links.push({
        type: 'veth',
        endpoints: [
          { node: p.node, interface: p.iface, mac: macOf(p.node, p.iface) },
          { node: b.clabNode, interface: p.port },
        ],
      });
      linkComments.push(` segment ${b.segment} (${b.subnet}): ${p.node} ${p.iface}${labNameNote(p.node, p.iface)}`);
    }
  }
  for (const link of lab.links) {
    links.push({
      type: 'veth',
      endpoints: link.ends.map((end) => ({ node: end.node, interface: end.iface, mac: macOf(end.node, end.iface) })),
    });
    const [a, b] = link.ends;
    linkComments.push(` link ${link.name} (${link.subnet}): ${a.node} ${a.iface}${labNameNote(a.node, a.iface)} - ${b.node} ${b.iface}${labNameNote(b.node, b.iface)}`);
  }

  const topology: Record<string, unknown> = { nodes };
  if (links.length > 0) topology.links = links;
  // YAML 1.1 quoting: containerlab reads the file with a YAML 1.1 parser, where an unquoted
  // MAC of digits only would be a base-60 number.
  const doc = new Document({ name: lab.instance, topology }, { version: '1.1' });
  doc.commentBefore = headerComment(lab, opts).join('\n');
  const linkSeq = doc.getIn(['topology', 'links'], true);
  if (isSeq(linkSeq)) {
    linkSeq.items.forEach((item, i) => {
      if (!isMap(item)) return;
      (item as YAMLMap).commentBefore = linkComments[i];
      const endpoints = item.get('endpoints', true);
      if (isSeq(endpoints)) for (const ep of endpoints.items) if (isMap(ep)) ep.flow = true;
    });
  }
  return doc.toString({ lineWidth: 0 });
}

/**
 * No '$' and no double braces anywhere: containerlab runs the file through Go templates
 * and environment-variable expansion before parsing it, comments included.
 */
function headerComment(lab: ResolvedLab, opts: TopologyOptions): string[] {
  const lines = [
    ` Generated by lvslab export for lab ${lab.name} (instance ${lab.instance}). Do not edit: re-export.`,
    ` Deploy: containerlab deploy -t ${lab.instance}.clab.yml   (see README.md next to this file)`,
    ` Dataplane on the directors: ${opts.dataplane === 'ipvs' ? 'kernel IPVS via keepalived (the host must have the ip_vs module loaded)' : 'the nftables fallback (lvslab healthd)'}.`,
    '',
    ` Interfaces: eth0 is containerlab's management interface, so lab interface ethN is eth(N+1) in`,
    ` the containers (other names are kept); every config under <node>/conf uses the container names.`,
    ` Each node's directory <node>/ is bind-mounted at ${CONTAINER_BASE}; its daemons log to <node>/log.`,
  ];
  if (opts.bridges === 'host' && opts.hostSetup.length > 0) {
    lines.push(
      '',
      ' Each L2 segment is a Linux bridge on this host (kind: bridge). containerlab does not create',
      ' host bridges: create them, as root, before deploying:',
      ...opts.hostSetup.map((cmd) => `   ${cmd}`),
    );
  } else if (opts.bridges === 'fabric' && lab.segments.length > 0) {
    lines.push(
      '',
      ` Each L2 segment is a Linux bridge inside the ${FABRIC_NODE} container, created by containerlab`,
      ' itself (containerlab 0.69 or later); nothing needs to be created on the host.',
    );
  }
  return lines;
}

