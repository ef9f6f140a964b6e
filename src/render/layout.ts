// Where each node, segment and link of a lab goes on a drawing: rows breadth first from the
// clients (segments and links between the node rows), each row ordered under what it was
// reached from. The report's topology drawing and the GNS3 canvas both place from it, so a
// lab looks the same in both. Pure: no I/O.
import type { Role } from '../model/types.js';

/** What the layout needs of a lab: nodes with roles, and what each interface is on. */
export interface LayoutTopology {
  nodes: ReadonlyArray<{ name: string; role: Role; interfaces: ReadonlyArray<{ segment?: string; link?: string }> }>;
}

const ROLE_RANK: Record<Role, number> = { client: 0, router: 1, director: 2, realserver: 3 };

export type VertexKey = string; // "n:NAME" | "s:NAME" | "l:NAME"

export interface Layout {
  /** Row of every vertex (node, segment, link), from 0 at the top. */
  layer: Map<VertexKey, number>;
  /** Horizontal centre of every vertex, within the width asked for. */
  x: Map<VertexKey, number>;
}

/** A node's vertex key. */
export const nodeKey = (name: string): VertexKey => `n:${name}`;
const nKey = nodeKey;

/** The vertex of the segment or link an interface is on. */
export function connectorKey(i: { segment?: string; link?: string }): VertexKey | undefined {
  if (i.segment !== undefined) return `s:${i.segment}`;
  if (i.link !== undefined) return `l:${i.link}`;
  return undefined;
}

function adjacency(topo: LayoutTopology): Map<VertexKey, VertexKey[]> {
  const adj = new Map<VertexKey, VertexKey[]>();
  const link = (a: VertexKey, b: VertexKey): void => {
    if (!adj.has(a)) adj.set(a, []);
    if (!adj.has(b)) adj.set(b, []);
    if (!adj.get(a)!.includes(b)) adj.get(a)!.push(b);
    if (!adj.get(b)!.includes(a)) adj.get(b)!.push(a);
  };
  for (const n of topo.nodes) {
    adj.set(nKey(n.name), adj.get(nKey(n.name)) ?? []);
    for (const i of n.interfaces) {
      const c = connectorKey(i);
      if (c) link(nKey(n.name), c);
    }
  }
  return adj;
}

/** Breadth-first layers from the clients (else routers, else the first node). */
function layers(topo: LayoutTopology, adj: Map<VertexKey, VertexKey[]>): Map<VertexKey, number> {
  const layer = new Map<VertexKey, number>();
  const bfs = (starts: VertexKey[]): void => {
    const queue = [...starts];
    for (const s of starts) layer.set(s, 0);
    while (queue.length > 0) {
      const v = queue.shift()!;
      for (const w of adj.get(v) ?? []) {
        if (layer.has(w)) continue;
        layer.set(w, layer.get(v)! + 1);
        queue.push(w);
      }
    }
  };
  for (const role of ['client', 'router'] as const) {
    const starts = topo.nodes.filter((n) => n.role === role).map((n) => nKey(n.name));
    if (starts.length > 0) {
      bfs(starts);
      break;
    }
  }
  for (const n of topo.nodes) if (!layer.has(nKey(n.name))) bfs([nKey(n.name)]);
  return layer;
}

/** Rows breadth first from the clients; in each node row, nodes ordered under what reaches them. */
export function layeredLayout(topo: LayoutTopology, width: number): Layout {
  const adj = adjacency(topo);
  const layer = layers(topo, adj);
  const x = new Map<VertexKey, number>();
  const maxLayer = Math.max(0, ...layer.values());
  const order = new Map(topo.nodes.map((n, i) => [nKey(n.name), i]));
  const roleOf = new Map(topo.nodes.map((n) => [nKey(n.name), n.role]));
  for (let l = 0; l <= maxLayer; l++) {
    const members = [...layer.entries()].filter(([, v]) => v === l).map(([k]) => k);
    const upper = (k: VertexKey): number[] =>
      (adj.get(k) ?? []).filter((w) => (layer.get(w) ?? 0) < l && x.has(w)).map((w) => x.get(w)!);
    const bary = (k: VertexKey): number => {
      const xs = upper(k);
      return xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : width / 2;
    };
    if (l % 2 === 1 || members.every((k) => !k.startsWith('n:'))) {
      // Connectors sit above the middle of the members they were reached from; several
      // reached from the same place (a router with a segment per site, seed 000) would sit
      // on one spot, so such a row is spread evenly in that order instead.
      const at = new Map(members.map((k) => [k, bary(k)]));
      const spots = new Set([...at.values()].map((v) => Math.round(v)));
      if (spots.size === members.length) {
        for (const k of members) x.set(k, at.get(k)!);
      } else {
        const sorted = [...members].sort((a, b) => at.get(a)! - at.get(b)! || a.localeCompare(b));
        const spacing = width / members.length;
        sorted.forEach((k, i) => x.set(k, spacing * (i + 0.5)));
      }
      continue;
    }
    members.sort(
      (a, b) =>
        bary(a) - bary(b) ||
        ROLE_RANK[roleOf.get(a) ?? 'client'] - ROLE_RANK[roleOf.get(b) ?? 'client'] ||
        (order.get(a) ?? 0) - (order.get(b) ?? 0),
    );
    const spacing = width / Math.max(members.length, 1);
    members.forEach((k, i) => x.set(k, spacing * (i + 0.5)));
  }
  return { layer, x };
}
