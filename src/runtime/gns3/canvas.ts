// Where lvslab puts a lab on the GNS3 canvas, so a user who opens the project in the GUI sees
// the drawing `lvslab report` shows: the same rows (render/layout.ts), one GNS3 node per lab
// node, one ethernet_switch per segment on the segment's row, and a note naming the lab. Pure.
import type { ResolvedLab } from '../../model/types.js';
import { connectorKey, layeredLayout, nodeKey, type LayoutTopology } from '../../render/layout.js';

/** GNS3 places a node by its top-left corner; its docker symbol is about 60 px wide. */
const COLUMN_PX = 170;
const ROW_PX = 110;

export interface CanvasPlan {
  nodes: Map<string, { x: number; y: number }>;
  /** Segment name -> where its switch goes. */
  switches: Map<string, { x: number; y: number }>;
  note: { x: number; y: number; text: string };
}

function layoutTopology(lab: ResolvedLab): LayoutTopology {
  return {
    nodes: lab.nodes.map((n) => ({
      name: n.name,
      role: n.role,
      interfaces: n.interfaces.map((i) => (i.attachment.kind === 'segment' ? { segment: i.attachment.segment } : { link: i.attachment.link })),
    })),
  };
}

export function canvasPlan(lab: ResolvedLab): CanvasPlan {
  const topo = layoutTopology(lab);
  const { layer } = layeredLayout(topo, 1);
  const widest = Math.max(1, ...[...new Set(layer.values())].map((l) => [...layer.values()].filter((v) => v === l).length));
  const width = widest * COLUMN_PX;
  const { x } = layeredLayout(topo, width);
  // Centred on the canvas origin, where the GUI opens.
  const at = (key: string) => ({ x: Math.round((x.get(key) ?? width / 2) - width / 2 - 30), y: Math.round((layer.get(key) ?? 0) * ROW_PX - 200) });
  const nodes = new Map(lab.nodes.map((n) => [n.name, at(nodeKey(n.name))]));
  const switches = new Map(lab.segments.map((s) => [s.name, at(connectorKey({ segment: s.name })!)]));
  return {
    nodes,
    switches,
    note: { x: Math.round(-width / 2), y: -290, text: noteText(lab) },
  };
}

/** The canvas note: which lab this is and who manages it. */
export function noteText(lab: ResolvedLab): string {
  return `lvslab lab ${lab.name} (instance ${lab.instance}): built by lvslab, removed by \`lvslab down ${lab.instance}\`. ${lab.description}`.trim();
}

/**
 * The GNS3 name of a segment's switch: the segment's own name, unless a lab node has it
 * (GNS3 node names are unique in a project).
 */
export function switchName(lab: ResolvedLab, segment: string): string {
  return lab.nodes.some((n) => n.name === segment) ? `${segment}-switch` : segment;
}
