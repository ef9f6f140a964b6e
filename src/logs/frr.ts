// FRR's log file (one per node, shared by zebra, ospfd and bfdd):
//
//   2026/11/21 11:16:31.467 OSPF: [Y05P2-YJVXY] AdjChg: Nbr 10.0.1.135, NbrIP 10.0.1.135 (default) on eth0:10.0.1.136: Full -> Deleted (InactivityTimer)
//   2026/12/02 15:38:02.910 BFD: [SEY1D-NT8EQ] state-change: [mhop:no peer:10.0.1.135 local:0.0.0.0 vrf:default ifname:eth0] up -> down reason:control-expired
//
// Local time with the precision `log timestamp precision` asks for (lvslab renders 3: ms).
// The daemon tag becomes the daemon's program name; the text keeps everything after the
// tag, the message id in brackets included, so nothing of the line is lost.
import type { LogLine } from '../experiment/types.js';
import { type LogTimeZone, textLines, wallClockToEpochMs } from './time.js';

export interface LogParseOptions {
  /** Node the log file belongs to. */
  node: string;
  /** How the file's wall-clock times are read (default: the host's local zone). */
  timeZone?: LogTimeZone;
}

const FRR_LINE = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))? ([A-Z0-9]+): (.*)$/;

/** FRR's log tags and the daemons that write them. */
const TAG_DAEMONS: Record<string, string> = {
  OSPF: 'ospfd',
  OSPF6: 'ospf6d',
  ZEBRA: 'zebra',
  BGP: 'bgpd',
  BFD: 'bfdd',
  STATICD: 'staticd',
  MGMTD: 'mgmtd',
  WATCHFRR: 'watchfrr',
};

/** Parses an FRR log; lines without FRR's timestamp (crash dumps, continuations) are skipped. */
export function parseFrrLog(text: string, options: LogParseOptions): LogLine[] {
  const zone = options.timeZone ?? 'local';
  const lines: LogLine[] = [];
  for (const raw of textLines(text)) {
    const m = FRR_LINE.exec(raw);
    if (!m) continue;
    const [, year, month, day, hour, minute, second, fraction, tag, rest] = m;
    const t = wallClockToEpochMs(
      {
        year: Number(year),
        month: Number(month),
        day: Number(day),
        hour: Number(hour),
        minute: Number(minute),
        second: Number(second),
        fraction: fraction ?? '',
      },
      zone,
    );
    lines.push({ t, node: options.node, daemon: TAG_DAEMONS[tag!] ?? tag!.toLowerCase(), text: rest! });
  }
  return lines;
}

/** An ospfd neighbour state change (`AdjChg:` line). */
export interface OspfAdjacencyChange {
  /** The neighbour's router id. */
  neighborId: string;
  /** The neighbour's interface address (FRR 8 prints it as NbrIP). */
  neighborAddress?: string;
  /** Local interface name and address, e.g. eth0 and 10.0.1.136. */
  iface?: string;
  localAddress?: string;
  from: string;
  to: string;
  /** The NSM event that caused it, e.g. InactivityTimer, KillNbr, HelloReceived. */
  event?: string;
}

// FRR 8.x:  AdjChg: Nbr 10.0.1.135, NbrIP 10.0.1.135 (default) on eth0:10.0.1.136: Full -> Deleted (InactivityTimer)
// FRR 7.x:  AdjChg: Nbr 10.0.1.135(default) on eth0:10.0.1.136: Full -> Down (InactivityTimer)
const ADJ_CHANGE =
  /AdjChg: Nbr ([0-9.]+)(?:, NbrIP ([0-9.]+))?\s*(?:\([^)]*\))? on ([^:\s]+):([0-9.]+): (\S+) -> (\S+)(?: \(([^)]*)\))?/;

/** Reads an ospfd `AdjChg:` message; undefined for any other text. */
export function parseOspfAdjacencyChange(text: string): OspfAdjacencyChange | undefined {
  const m = ADJ_CHANGE.exec(text);
  if (!m) return undefined;
  const [, neighborId, neighborAddress, iface, localAddress, from, to, event] = m;
  return {
    neighborId: neighborId!,
    ...(neighborAddress !== undefined ? { neighborAddress } : {}),
    iface: iface!,
    localAddress: localAddress!,
    from: from!,
    to: to!,
    ...(event !== undefined ? { event } : {}),
  };
}

/** True when a change means the adjacency was lost (the neighbour went Down or was deleted). */
export function isAdjacencyLoss(change: OspfAdjacencyChange): boolean {
  return (change.to === 'Down' || change.to === 'Deleted') && change.from !== 'Down' && change.from !== 'Deleted';
}

/** A bfdd session state change (`state-change:` line; logged with `debug bfd peer`). */
export interface BfdStateChange {
  /** The session's key as bfdd prints it: peer, local, vrf, ifname, mhop (and label when configured). */
  peer: string;
  local?: string;
  vrf?: string;
  iface?: string;
  multihop: boolean;
  /** bfdd's state names: admin-down, down, init, up. */
  from: string;
  to: string;
  /** The local diagnostic, e.g. control-expired (no control packet within the detection time). */
  reason?: string;
}

// FRR 8.4:  state-change: [mhop:no peer:10.0.1.135 local:0.0.0.0 vrf:default ifname:eth0] up -> down reason:control-expired
const BFD_STATE_CHANGE = /state-change: \[([^\]]*)\] (\S+) -> (\S+)(?: reason:(\S+))?/;

/** Reads a bfdd `state-change:` message; undefined for any other text. */
export function parseBfdStateChange(text: string): BfdStateChange | undefined {
  const m = BFD_STATE_CHANGE.exec(text);
  if (!m) return undefined;
  const [, key, from, to, reason] = m;
  const fields = new Map<string, string>();
  for (const word of key!.split(' ')) {
    const colon = word.indexOf(':');
    if (colon > 0) fields.set(word.slice(0, colon), word.slice(colon + 1));
  }
  const peer = fields.get('peer');
  if (peer === undefined) return undefined;
  const local = fields.get('local');
  const vrf = fields.get('vrf');
  const iface = fields.get('ifname');
  return {
    peer,
    ...(local !== undefined ? { local } : {}),
    ...(vrf !== undefined ? { vrf } : {}),
    ...(iface !== undefined ? { iface } : {}),
    multihop: fields.get('mhop') === 'yes',
    from: from!,
    to: to!,
    ...(reason !== undefined ? { reason } : {}),
  };
}

/** True when an established session was lost (up -> down: the peer stopped answering, or said it went down). */
export function isBfdSessionLoss(change: BfdStateChange): boolean {
  return change.from === 'up' && change.to === 'down';
}
