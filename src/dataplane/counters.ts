// Named nft counters of the fallback dataplane, and reading them back.
//
// Names are `rs/<service>/<real server>/conns|pkts` and `svc/<service>/pkts|conns|refused`.
// Service and node names are lowercase letters, digits and '-', which nft accepts in
// unquoted object names; anything else is escaped (`_` + hex) so a name always parses back.
import type { RunResult } from '../util/exec.js';
import { LvslabError } from '../util/errors.js';
import { SORRY_SERVER } from './plan.js';

export const NFT_TABLE = 'lvslab';

export type RealServerCounterKind = 'conns' | 'pkts';
export type ServiceCounterKind = 'conns' | 'pkts' | 'refused';

export function realServerCounterName(service: string, realServer: string, kind: RealServerCounterKind): string {
  return `rs/${encodePart(service)}/${encodePart(realServer)}/${kind}`;
}

export function serviceCounterName(service: string, kind: ServiceCounterKind): string {
  return `svc/${encodePart(service)}/${kind}`;
}

export interface NftCounterReading {
  service: string;
  /** A real server's node name, SORRY_SERVER, or null for the service as a whole. */
  realServer: string | null;
  /**
   * New connections: per real server, those scheduled to it (IPVS "Conns"); for the
   * service, every new connection that reached the scheduler.
   */
  connections: number;
  /** Client-to-server packets and bytes (IPVS InPkts/InBytes), counted on this director. */
  packets: number;
  bytes: number;
  /** Service row only: new connections refused because no real server was available. */
  refused?: number;
}

/** Runs a command inside the director (runtime.exec bound to the node). */
export type ExecInNode = (argv: readonly string[]) => Promise<RunResult>;

/** Reads the dataplane counters of one director: one row per service and per real server. */
export async function readNftCounters(execInNode: ExecInNode): Promise<NftCounterReading[]> {
  return (await readNftCountersWithRaw(execInNode)).readings;
}

/** The same, with the command's output as read (a snapshot keeps it). */
export async function readNftCountersWithRaw(execInNode: ExecInNode): Promise<{ readings: NftCounterReading[]; raw: string }> {
  const r = await execInNode(['nft', '-j', 'list', 'counters', 'table', 'ip', NFT_TABLE]);
  if (r.code !== 0) throw new LvslabError(`reading nft counters failed: ${r.stderr.trim()}`);
  return { readings: parseNftCounters(r.stdout), raw: r.stdout };
}

/** Parses `nft -j list counters` output; counters that are not ours are ignored. */
export function parseNftCounters(json: string): NftCounterReading[] {
  const doc = JSON.parse(json) as { nftables?: Array<Record<string, unknown>> };
  const rows = new Map<string, NftCounterReading>();
  const row = (service: string, realServer: string | null): NftCounterReading => {
    const key = `${service}\u0000${realServer ?? ''}`;
    let r = rows.get(key);
    if (!r) {
      r = { service, realServer, connections: 0, packets: 0, bytes: 0 };
      if (realServer === null) r.refused = 0;
      rows.set(key, r);
    }
    return r;
  };
  for (const item of doc.nftables ?? []) {
    const c = item['counter'] as { name?: string; table?: string; packets?: number; bytes?: number } | undefined;
    if (!c || c.table !== NFT_TABLE || typeof c.name !== 'string') continue;
    const parts = c.name.split('/');
    const packets = c.packets ?? 0;
    const bytes = c.bytes ?? 0;
    if (parts[0] === 'rs' && parts.length === 4) {
      const r = row(decodePart(parts[1]!), decodePart(parts[2]!));
      if (parts[3] === 'conns') r.connections = packets;
      else if (parts[3] === 'pkts') {
        r.packets = packets;
        r.bytes = bytes;
      }
    } else if (parts[0] === 'svc' && parts.length === 3) {
      const r = row(decodePart(parts[1]!), null);
      if (parts[2] === 'conns') r.connections = packets;
      else if (parts[2] === 'refused') r.refused = packets;
      else if (parts[2] === 'pkts') {
        r.packets = packets;
        r.bytes = bytes;
      }
    }
  }
  return [...rows.values()];
}

function encodePart(text: string): string {
  if (text === SORRY_SERVER) return '_sorry';
  return [...Buffer.from(text, 'utf8')]
    .map((b) => {
      const ch = String.fromCharCode(b);
      return /[a-zA-Z0-9-]/.test(ch) ? ch : `_${b.toString(16).padStart(2, '0')}`;
    })
    .join('');
}

function decodePart(text: string): string {
  if (text === '_sorry') return SORRY_SERVER;
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '_' && /^[0-9a-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(text.charCodeAt(i));
  }
  return Buffer.from(bytes).toString('utf8');
}
