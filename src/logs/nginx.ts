// nginx access logs as LogLines: one per request, t = nginx's $msec (when the line was
// written, i.e. when the response was done, ms resolution), the raw line as text so that
// parseAccessLogLine (src/render/nginx.ts, the format's owner) reads it back.
import type { LogLine } from '../experiment/types.js';
import { parseAccessLogLine } from '../render/nginx.js';
import { textLines } from './time.js';

export function parseNginxAccessLog(text: string, options: { node: string }): LogLine[] {
  const lines: LogLine[] = [];
  for (const raw of textLines(text)) {
    const entry = parseAccessLogLine(raw);
    if (!entry) continue;
    lines.push({ t: entry.timeMs, node: options.node, daemon: 'nginx', text: raw.trimEnd() });
  }
  return lines;
}
