// The lab drawn as layers: the clients on top, then whatever they reach through each
// segment or link, breadth first. A segment is a horizontal bus with a drop to each member;
// a point-to-point link is a line between its two nodes. Elements the timeline broke are
// marked in red (an interface: its drop or link line, crossed out; a node or daemon: the
// node's box), with the action and the time it lasted.
import type { Role } from '../../model/types.js';
import { layeredLayout, nodeKey as nKey } from '../../render/layout.js';
import type { FailedElement } from '../analysis.js';
import { escapeHtml, fmtNumber } from '../format.js';
import type { ResultsTopology, TopologyNode } from '../topology.js';
import { FAIL_COLOUR, MUTED, px, textWidth } from './util.js';

const ROLE_FILL: Record<Role, { fill: string; stroke: string }> = {
  client: { fill: '#e0f2fe', stroke: '#0284c7' },
  router: { fill: '#ffedd5', stroke: '#ea580c' },
  director: { fill: '#ccfbf1', stroke: '#0d9488' },
  realserver: { fill: '#fef9c3', stroke: '#ca8a04' },
};
const ROLE_NAME: Record<Role, string> = { client: 'client', router: 'router', director: 'director', realserver: 'real server' };

export interface TopologyDrawingOptions {
  width?: number;
  failed?: FailedElement[];
  /** Shown under the drawing when the topology was reconstructed. */
  note?: string;
}

export function topologyDrawing(topo: ResultsTopology, opts: TopologyDrawingOptions = {}): string {
  const width = opts.width ?? 720;
  const failed = opts.failed ?? [];
  const { layer, x } = layeredLayout(topo, width);
  const maxLayer = Math.max(0, ...layer.values());
  const boxH = 58;
  const nodeRowH = boxH + 60; // room for a failure label under or over the box
  const connRowH = 56;
  const top = 8;

  // y centre of every layer.
  const layerY: number[] = [];
  let cursor = top;
  for (let l = 0; l <= maxLayer; l++) {
    const isNodeRow = topo.nodes.some((n) => layer.get(nKey(n.name)) === l);
    const h = isNodeRow ? nodeRowH : connRowH;
    layerY.push(cursor + h / 2);
    cursor += h;
  }
  const height = cursor + (opts.note ? 24 : 6) + 24;

  const maxInRow = Math.max(1, ...layerY.map((_, l) => topo.nodes.filter((n) => layer.get(nKey(n.name)) === l).length));
  const boxW = Math.min(150, width / maxInRow - 16);

  const nodeY = (n: TopologyNode): number => layerY[layer.get(nKey(n.name)) ?? 0] ?? top;
  const nodeX = (n: TopologyNode): number => x.get(nKey(n.name)) ?? width / 2;

  const failedIface = (node: string, iface: string): FailedElement | undefined =>
    failed.find((f) => f.node === node && f.interface === iface && (f.action === 'silent-failure' || f.action === 'link-down'));
  const failedNode = (node: string): FailedElement | undefined => failed.find((f) => f.node === node && f.interface === undefined);
  const when = (f: FailedElement): string => `${fmtNumber(f.from, 1)}–${f.to === null ? 'end' : `${fmtNumber(f.to, 1)} s`}`;

  const lines: string[] = [];
  const marks: string[] = [];
  const boxes: string[] = [];
  const labels: string[] = [];

  // Segments: a bus spanning its members.
  for (const seg of topo.segments) {
    const key = `s:${seg.name}`;
    const l = layer.get(key);
    if (l === undefined) continue;
    const busY = layerY[l] ?? top;
    const members = topo.nodes.filter((n) => n.interfaces.some((i) => i.segment === seg.name));
    const xs = members.map(nodeX);
    const x0 = Math.max(4, Math.min(...xs) - boxW / 2);
    const x1 = Math.min(width - 4, Math.max(...xs) + boxW / 2);
    lines.push(`<line class="segment" x1="${px(x0)}" x2="${px(x1)}" y1="${px(busY)}" y2="${px(busY)}" stroke="#64748b" stroke-width="6" stroke-linecap="round"/>`);
    labels.push(
      `<text x="${px(x0)}" y="${px(busY - 8)}" font-size="11" fill="#334155" font-weight="600">${escapeHtml(`${seg.name}${seg.subnet ? ` ${seg.subnet}` : ''}`)}</text>`,
    );
    for (const n of members) {
      for (const iface of n.interfaces.filter((i) => i.segment === seg.name)) {
        const nx = nodeX(n);
        const ny = nodeY(n);
        const below = ny > busY;
        const edgeY = below ? ny - boxH / 2 : ny + boxH / 2;
        const f = failedIface(n.name, iface.name);
        lines.push(
          `<line class="drop${f ? ' failed' : ''}" x1="${px(nx)}" x2="${px(nx)}" y1="${px(busY)}" y2="${px(edgeY)}" stroke="${f ? FAIL_COLOUR : '#64748b'}" stroke-width="${f ? 3 : 2}"${f ? ' stroke-dasharray="6 4"' : ''}/>`,
        );
        const midY = (busY + edgeY) / 2;
        const text = `${iface.name}${iface.address ? ` ${hostPart(iface.address, seg.subnet)}` : ''}`;
        const gap = f ? 16 : 6;
        // Near the right edge the label goes to the left of its drop.
        const toLeft = nx + gap + textWidth(text, 10) > width;
        labels.push(
          `<text x="${px(toLeft ? nx - gap : nx + gap)}" y="${px(midY + 4)}" font-size="10"${toLeft ? ' text-anchor="end"' : ''} fill="${f ? FAIL_COLOUR : MUTED}">${escapeHtml(text)}</text>`,
        );
        if (f) marks.push(cross(nx, midY, `${f.action} ${n.name} ${iface.name}, ${when(f)}`));
      }
    }
  }

  // Point-to-point links: a line between the two ends.
  for (const link of topo.links) {
    const ends = topo.nodes.flatMap((n) => n.interfaces.filter((i) => i.link === link.name).map((i) => ({ n, i })));
    if (ends.length !== 2) continue;
    const [a, b] = ends as [{ n: TopologyNode; i: { name: string; address: string } }, { n: TopologyNode; i: { name: string; address: string } }];
    const ax = nodeX(a.n);
    const bx = nodeX(b.n);
    const ay = nodeY(a.n);
    const by = nodeY(b.n);
    const f = failedIface(a.n.name, a.i.name) ?? failedIface(b.n.name, b.i.name);
    const stroke = f ? FAIL_COLOUR : '#64748b';
    const dash = f ? ' stroke-dasharray="6 4"' : '';
    let mx: number;
    let my: number;
    if (Math.abs(ay - by) < 1) {
      const bulge = ay + boxH / 2 + 26;
      lines.push(`<path class="link${f ? ' failed' : ''}" d="M${px(ax)},${px(ay + boxH / 2)} Q${px((ax + bx) / 2)},${px(bulge + 20)} ${px(bx)},${px(by + boxH / 2)}" fill="none" stroke="${stroke}" stroke-width="${f ? 3 : 2}"${dash}/>`);
      mx = (ax + bx) / 2;
      my = bulge + 10;
    } else {
      const [up, down] = ay < by ? [{ x: ax, y: ay }, { x: bx, y: by }] : [{ x: bx, y: by }, { x: ax, y: ay }];
      lines.push(`<line class="link${f ? ' failed' : ''}" x1="${px(up.x)}" y1="${px(up.y + boxH / 2)}" x2="${px(down.x)}" y2="${px(down.y - boxH / 2)}" stroke="${stroke}" stroke-width="${f ? 3 : 2}"${dash}/>`);
      mx = (up.x + down.x) / 2;
      my = (up.y + boxH / 2 + down.y - boxH / 2) / 2;
    }
    labels.push(`<text x="${px(mx + 8)}" y="${px(my + 4)}" font-size="10" fill="${f ? FAIL_COLOUR : MUTED}">${escapeHtml(`${link.name} ${link.subnet}`)}</text>`);
    if (f) marks.push(cross(mx, my, `${f.action} ${f.node} ${f.interface ?? ''}, ${when(f)}`));
  }

  // Node boxes, and the failure callouts next to them.
  for (const n of topo.nodes) {
    const cx = nodeX(n);
    const cy = nodeY(n);
    const style = ROLE_FILL[n.role] ?? ROLE_FILL.client;
    const nodeFailure = failedNode(n.name);
    const ifaceFailures = failed.filter((f) => f.node === n.name && f.interface !== undefined);
    const hit = nodeFailure ?? ifaceFailures[0];
    const stroke = hit ? FAIL_COLOUR : style.stroke;
    const fill = nodeFailure?.action === 'node-stop' ? '#fee2e2' : style.fill;
    // Addresses are on the drops and links; the box says what the node is.
    const vip = n.role === 'director' || n.role === 'realserver' ? n.loopbacks[0] : undefined;
    boxes.push(`<g class="node node-${n.role}${hit ? ' failed' : ''}">`);
    boxes.push(
      `<rect x="${px(cx - boxW / 2)}" y="${px(cy - boxH / 2)}" width="${px(boxW)}" height="${boxH}" rx="8" fill="${fill}" stroke="${stroke}" stroke-width="${hit ? 2.5 : 1.5}"${nodeFailure ? ' stroke-dasharray="5 3"' : ''}/>`,
    );
    const nameY = vip ? cy - 8 : cy - 2;
    boxes.push(`<text x="${px(cx)}" y="${px(nameY)}" text-anchor="middle" font-size="13" font-weight="700" fill="#111827">${escapeHtml(clip(n.name, boxW, 13))}</text>`);
    boxes.push(`<text x="${px(cx)}" y="${px(nameY + 15)}" text-anchor="middle" font-size="10.5" fill="#374151">${escapeHtml(clip(ROLE_NAME[n.role] ?? n.role, boxW, 10.5))}</text>`);
    if (vip) boxes.push(`<text x="${px(cx)}" y="${px(nameY + 29)}" text-anchor="middle" font-size="10" fill="${MUTED}">${escapeHtml(clip(`lo ${vip}`, boxW, 10))}</text>`);
    boxes.push(`<title>${escapeHtml(`${n.name} (${n.role})`)}</title></g>`);

    const callouts = [...(nodeFailure ? [nodeFailure] : []), ...ifaceFailures, ...failed.filter((f) => f.node === n.name && f.interface === undefined && f !== nodeFailure)];
    const l = layer.get(nKey(n.name)) ?? 0;
    const busBelow = topo.segments.some((s) => layer.get(`s:${s.name}`) === l + 1 && n.interfaces.some((i) => i.segment === s.name));
    callouts.forEach((f, i) => {
      const what = `${f.action} ${[f.interface, f.daemon].filter(Boolean).join(' ')}`.trim();
      // The callout goes on the side away from the node's bus.
      const ty = busBelow ? cy - boxH / 2 - 10 - i * 28 - 14 : cy + boxH / 2 + 16 + i * 28;
      labels.push(
        `<text class="failure-label" x="${px(cx)}" y="${px(ty)}" text-anchor="middle" font-size="11" font-weight="700" fill="${FAIL_COLOUR}">${escapeHtml(`✕ ${what}`)}</text>`,
        `<text class="failure-label" x="${px(cx)}" y="${px(ty + 13)}" text-anchor="middle" font-size="10.5" fill="${FAIL_COLOUR}">${escapeHtml(when(f))}</text>`,
      );
    });
  }

  // Legend.
  const legendY = height - 10;
  const legend: string[] = [];
  let lx = 4;
  for (const role of ['client', 'router', 'director', 'realserver'] as const) {
    if (!topo.nodes.some((n) => n.role === role)) continue;
    legend.push(`<rect x="${lx}" y="${legendY - 10}" width="14" height="12" rx="3" fill="${ROLE_FILL[role].fill}" stroke="${ROLE_FILL[role].stroke}"/>`);
    legend.push(`<text x="${lx + 19}" y="${legendY}" font-size="11" fill="#374151">${ROLE_NAME[role]}</text>`);
    lx += 19 + textWidth(ROLE_NAME[role], 11) + 16;
  }
  if (failed.length > 0) {
    legend.push(`<line x1="${lx}" x2="${lx + 18}" y1="${legendY - 4}" y2="${legendY - 4}" stroke="${FAIL_COLOUR}" stroke-width="3" stroke-dasharray="6 4"/>`);
    legend.push(`<text x="${lx + 24}" y="${legendY}" font-size="11" fill="#374151">failed by the timeline</text>`);
  }
  if (opts.note) legend.push(`<text x="4" y="${legendY - 20}" font-size="11" fill="${MUTED}">${escapeHtml(opts.note)}</text>`);

  return [
    `<svg class="chart topology" viewBox="0 0 ${width} ${px(height)}" width="${width}" height="${px(height)}" role="img" aria-label="Lab topology" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif">`,
    '<title>Lab topology; elements failed by the timeline in red</title>',
    ...lines,
    ...boxes,
    ...marks,
    ...labels,
    ...legend,
    '</svg>',
  ].join('\n');
}

/** A red ✕ on a connection, with the failure as its tooltip. */
function cross(cx: number, cy: number, title: string): string {
  const s = 7;
  return [
    `<g class="failure-mark"><title>${escapeHtml(title)}</title>`,
    `<circle cx="${px(cx)}" cy="${px(cy)}" r="${s + 4}" fill="#ffffff" stroke="${FAIL_COLOUR}" stroke-width="2"/>`,
    `<line x1="${px(cx - s / 1.4)}" y1="${px(cy - s / 1.4)}" x2="${px(cx + s / 1.4)}" y2="${px(cy + s / 1.4)}" stroke="${FAIL_COLOUR}" stroke-width="2.5"/>`,
    `<line x1="${px(cx - s / 1.4)}" y1="${px(cy + s / 1.4)}" x2="${px(cx + s / 1.4)}" y2="${px(cy - s / 1.4)}" stroke="${FAIL_COLOUR}" stroke-width="2.5"/>`,
    '</g>',
  ].join('');
}

/**
 * The address as short as the bus label allows: on `lan 10.0.1.0/24` the host 10.0.1.133
 * is written `.133`. Other prefix lengths keep the whole address.
 */
export function hostPart(address: string, subnet: string): string {
  const m = /^(\d+\.\d+\.\d+)\.\d+\/(\d+)$/.exec(subnet);
  if (!m || Number(m[2]) !== 24 || !address.startsWith(`${m[1]}.`)) return address;
  return address.slice(m[1]!.length);
}

/** Shortens a label to fit a box, with an ellipsis. */
function clip(text: string, boxW: number, fontSize: number): string {
  const max = Math.max(4, Math.floor((boxW - 10) / (fontSize * 0.56)));
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
