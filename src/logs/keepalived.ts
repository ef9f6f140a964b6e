// keepalived's console log (`keepalived -n -l -D -G`, kept by the runtime in keepalived.log):
//
//   Sat Nov 21 11:17:12 2026: Removing service [10.0.1.129]:tcp:80 from VS [10.0.1.100]:tcp:80
//
// ctime()-style local time, whole seconds only: a line stamped 11:17:12 was written in
// [11:17:12.000, 11:17:13.000). t is the start of that second. Lines keepalived's children
// or helpers print without a timestamp (e.g. modprobe's errors) are skipped.
import type { LogLine } from '../experiment/types.js';
import type { LogParseOptions } from './frr.js';
import { monthNumber, textLines, wallClockToEpochMs } from './time.js';

/** keepalived console timestamps have whole-second resolution, in ms. */
export const KEEPALIVED_LOG_RESOLUTION_MS = 1000;

const KEEPALIVED_LINE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4}): (.*)$/;

export function parseKeepalivedLog(text: string, options: LogParseOptions): LogLine[] {
  const zone = options.timeZone ?? 'local';
  const lines: LogLine[] = [];
  for (const raw of textLines(text)) {
    const m = KEEPALIVED_LINE.exec(raw);
    if (!m) continue;
    const [, monthName, day, hour, minute, second, year, rest] = m;
    const month = monthNumber(monthName!);
    if (month === undefined) continue;
    const t = wallClockToEpochMs(
      { year: Number(year), month, day: Number(day), hour: Number(hour), minute: Number(minute), second: Number(second), fraction: '' },
      zone,
    );
    // keepalived indents continuation lines of one long message; the text keeps them as is.
    lines.push({ t, node: options.node, daemon: 'keepalived', text: rest! });
  }
  return lines;
}
