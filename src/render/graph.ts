// Topology drawings of a lab: Mermaid (for Markdown/HTML reports) and Graphviz DOT.
//
// Nodes are drawn by role (shape and colour), segments are nodes of their own that member
// interfaces connect to, point-to-point links are direct edges labelled with both ends'
// addresses, and a director's box lists the VIPs it directs. Pure and deterministic:
// everything is emitted in the lab's declaration order, identifiers come from positions
// (so any name is safe), names only ever appear inside escaped labels.
import type { ResolvedInterface, ResolvedLab, ResolvedNode, Role } from '../model/types.js';

interface RoleStyle {
  mermaidOpen: string;
  mermaidClose: string;
  dotShape: string;
  fill: string;
}

const ROLE_STYLE: Record<Role, RoleStyle> = {
  router: { mermaidOpen: '{{', mermaidClose: '}}', dotShape: 'hexagon', fill: '#f4a261' },
  director: { mermaidOpen: '[[', mermaidClose: ']]', dotShape: 'box3d', fill: '#2a9d8f' },
  realserver: { mermaidOpen: '[', mermaidClose: ']', dotShape: 'box', fill: '#e9c46a' },
  client: { mermaidOpen: '([', mermaidClose: '])', dotShape: 'ellipse', fill: '#a8dadc' },
};
const SEGMENT_FILL = '#eeeeee';

/** Text lines of a node's box: name, role, then what it carries. */
function nodeLabelLines(lab: ResolvedLab, node: ResolvedNode): string[] {
  const lines = [node.name, node.role];
  for (const name of node.directs) {
    const s = lab.services.find((x) => x.name === name);
    if (s) lines.push(`VIP ${s.vip}:${s.port}/${s.protocol} (${s.name}, ${s.scheduler}/${s.forwarding})`);
  }
  if (node.role !== 'director') for (const cidr of node.loopbacks) lines.push(`lo ${cidr}`);
  if (node.ospf) lines.push(`OSPF ${node.ospf.routerId}`);
  return lines;
}

const ifaceLabel = (iface: ResolvedInterface): string => `${iface.name} ${iface.cidr}`;

/** Position-based identifiers: n0.. for nodes, s0.. for segments. */
function ids(lab: ResolvedLab): { node: Map<string, string>; segment: Map<string, string> } {
  return {
    node: new Map(lab.nodes.map((n, i) => [n.name, `n${i}`])),
    segment: new Map(lab.segments.map((s, i) => [s.name, `s${i}`])),
  };
}

interface Edge {
  from: string;
  to: string;
  label: string;
}

/** One edge per segment membership and one per p2p link, in declaration order. */
function edges(lab: ResolvedLab): Edge[] {
  const id = ids(lab);
  const out: Edge[] = [];
  for (const node of lab.nodes) {
    for (const iface of node.interfaces) {
      if (iface.attachment.kind !== 'segment') continue;
      out.push({ from: id.node.get(node.name)!, to: id.segment.get(iface.attachment.segment)!, label: ifaceLabel(iface) });
    }
  }
  for (const link of lab.links) {
    const [a, b] = link.ends;
    const ifA = interfaceOf(lab, a.node, a.iface);
    const ifB = interfaceOf(lab, b.node, b.iface);
    out.push({ from: id.node.get(a.node)!, to: id.node.get(b.node)!, label: `${ifaceLabel(ifA)} -- ${ifaceLabel(ifB)}` });
  }
  return out;
}

function interfaceOf(lab: ResolvedLab, nodeName: string, ifaceName: string): ResolvedInterface {
  const iface = lab.nodes.find((n) => n.name === nodeName)?.interfaces.find((i) => i.name === ifaceName);
  if (!iface) throw new Error(`link end ${nodeName}:${ifaceName} is not an interface of the lab`);
  return iface;
}

// ---------------------------------------------------------------------------
// Mermaid
// ---------------------------------------------------------------------------

/** Mermaid entity-codes everything but plain text, so no label can close its shape. */
function mermaidText(text: string): string {
  return text.replace(/[^A-Za-z0-9 .,:/()_+-]/g, (c) => `#${c.codePointAt(0)};`);
}

const mermaidLabel = (lines: string[]): string => `"${lines.map(mermaidText).join('<br/>')}"`;

export function renderMermaid(lab: ResolvedLab): string {
  const id = ids(lab);
  const out = ['flowchart LR', `    %% lab ${mermaidText(lab.name)}, instance ${mermaidText(lab.instance)}`];
  for (const seg of lab.segments) {
    out.push(`    ${id.segment.get(seg.name)}(("${mermaidText(`${seg.name} ${seg.subnet}`)}"))`);
  }
  for (const node of lab.nodes) {
    const st = ROLE_STYLE[node.role];
    out.push(`    ${id.node.get(node.name)}${st.mermaidOpen}${mermaidLabel(nodeLabelLines(lab, node))}${st.mermaidClose}`);
  }
  for (const e of edges(lab)) out.push(`    ${e.from} ---|"${mermaidText(e.label)}"| ${e.to}`);
  for (const [role, st] of Object.entries(ROLE_STYLE)) out.push(`    classDef ${role} fill:${st.fill},stroke:#333`);
  out.push(`    classDef segment fill:${SEGMENT_FILL},stroke:#999,stroke-dasharray:4 3`);
  for (const node of lab.nodes) out.push(`    class ${id.node.get(node.name)} ${node.role}`);
  if (lab.segments.length > 0) out.push(`    class ${lab.segments.map((s) => id.segment.get(s.name)).join(',')} segment`);
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------------------
// Graphviz DOT
// ---------------------------------------------------------------------------

/** A DOT double-quoted string; lines joined with DOT's centred line break. */
function dotString(...lines: string[]): string {
  return `"${lines.map((l) => l.replace(/\\/g, '\\\\').replace(/"/g, '\\"')).join('\\n')}"`;
}

export function renderDot(lab: ResolvedLab): string {
  const id = ids(lab);
  const out = [
    `graph ${dotString(lab.instance)} {`,
    `    graph [rankdir=LR, label=${dotString(`lab ${lab.name}, instance ${lab.instance}`)}];`,
    '    node [fontname="Helvetica", style=filled];',
    '    edge [fontname="Helvetica", fontsize=10];',
  ];
  for (const seg of lab.segments) {
    out.push(
      `    ${id.segment.get(seg.name)} [label=${dotString(seg.name, seg.subnet)}, shape=box, style="rounded,dashed,filled", fillcolor="${SEGMENT_FILL}"];`,
    );
  }
  for (const node of lab.nodes) {
    const st = ROLE_STYLE[node.role];
    out.push(
      `    ${id.node.get(node.name)} [label=${dotString(...nodeLabelLines(lab, node))}, shape=${st.dotShape}, fillcolor="${st.fill}"];`,
    );
  }
  for (const e of edges(lab)) out.push(`    ${e.from} -- ${e.to} [label=${dotString(e.label)}];`);
  out.push('}');
  return out.join('\n') + '\n';
}
