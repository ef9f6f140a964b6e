// From what a run collected on the nodes (file name -> text per node) to LogLines,
// RouteEvents and NeighbourEvents, choosing the parser by the file's name as the runtime writes it.
import type { LogLine, NeighbourEvent, RouteEvent } from '../experiment/types.js';
import { parseFrrLog } from './frr.js';
import { parseHealthdLog } from './healthd.js';
import { parseIpMonitorNeigh, parseIpMonitorRoute } from './ip-monitor.js';
import { parseKeepalivedLog } from './keepalived.js';
import { parseNginxAccessLog } from './nginx.js';
import type { LogTimeZone } from './time.js';

type LogParser = (text: string, options: { node: string; timeZone?: LogTimeZone }) => LogLine[];

/** Log file names (in a node's log directory) and their parsers. */
export const LOG_PARSERS: Record<string, LogParser> = {
  'frr.log': parseFrrLog,
  'keepalived.log': parseKeepalivedLog,
  'healthd.log': parseHealthdLog,
  'nginx-access.log': parseNginxAccessLog,
};

/**
 * Every line of node -> file name -> text, sorted by time. A file name without a parser is
 * an error: silently dropping a log would silently drop the figures that need it.
 */
export function parseCollectedLogs(logs: Record<string, Record<string, string>>, options: { timeZone?: LogTimeZone } = {}): LogLine[] {
  const lines: LogLine[] = [];
  for (const [node, files] of Object.entries(logs)) {
    for (const [name, text] of Object.entries(files)) {
      const parse = LOG_PARSERS[name];
      if (!parse) throw new Error(`no parser for log file ${name} of ${node} (known: ${Object.keys(LOG_PARSERS).join(', ')})`);
      lines.push(...parse(text, { node, ...(options.timeZone ? { timeZone: options.timeZone } : {}) }));
    }
  }
  return lines.sort((a, b) => a.t - b.t);
}

/** RouteEvents of every router's `ip -ts monitor route` output, sorted by time. */
export function parseRouteMonitors(
  monitors: Record<string, string>,
  options: { timeZone?: LogTimeZone; present?: Record<string, Iterable<string>> } = {},
): RouteEvent[] {
  return Object.entries(monitors)
    .flatMap(([node, text]) =>
      parseIpMonitorRoute(text, {
        node,
        ...(options.timeZone ? { timeZone: options.timeZone } : {}),
        ...(options.present?.[node] ? { present: options.present[node] } : {}),
      }),
    )
    .sort((a, b) => a.t - b.t);
}

/** NeighbourEvents of every router's `ip -ts monitor neigh` output, sorted by time. */
export function parseNeighbourMonitors(monitors: Record<string, string>, options: { timeZone?: LogTimeZone } = {}): NeighbourEvent[] {
  return Object.entries(monitors)
    .flatMap(([node, text]) => parseIpMonitorNeigh(text, { node, ...(options.timeZone ? { timeZone: options.timeZone } : {}) }))
    .sort((a, b) => a.t - b.t);
}
