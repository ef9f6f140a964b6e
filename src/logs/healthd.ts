// lvslab-healthd's log (src/dataplane/healthd-messages.ts): an ISO-8601 UTC timestamp with
// milliseconds, a space, the message (keepalived's checker wording).
//
//   2026-11-21T11:17:04.722Z Disabling service [10.0.1.131]:tcp:80 from VS [10.0.1.100]:tcp:80
import type { LogLine } from '../experiment/types.js';
import { textLines } from './time.js';

/** healthd timestamps have millisecond resolution. */
export const HEALTHD_LOG_RESOLUTION_MS = 1;

const HEALTHD_LINE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z) (.*)$/;

/** Parses healthd's log; the zone is in every timestamp, so no zone option is needed. */
export function parseHealthdLog(text: string, options: { node: string }): LogLine[] {
  const lines: LogLine[] = [];
  for (const raw of textLines(text)) {
    const m = HEALTHD_LINE.exec(raw);
    if (!m) continue;
    const t = Date.parse(m[1]!);
    if (Number.isNaN(t)) continue;
    lines.push({ t, node: options.node, daemon: 'healthd', text: m[2]! });
  }
  return lines;
}
