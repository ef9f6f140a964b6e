// Breaks of the long-lived connections the clients held open through the run.
import type { Figure } from '../experiment/types.js';
import type { RunContext } from './context.js';
import { absent, figure } from './figure.js';

export function longLivedBroken(ctx: RunContext): Figure {
  const events = ctx.input.longLived;
  const method = "Number of LongLivedEvent records of kind 'break' (reset, timeout, answer from another real server, or closed), all clients and connections";
  if ((ctx.input.experiment.long_lived ?? []).length === 0 && events.length === 0) {
    return absent('count', `${method}.`, 'the experiment holds no long-lived connections');
  }
  const breaks = events.filter((e) => e.kind === 'break');
  const opened = events.filter((e) => e.kind === 'open').length;
  const kinds = new Map<string, number>();
  for (const b of breaks) kinds.set(b.breakKind ?? 'unknown', (kinds.get(b.breakKind ?? 'unknown') ?? 0) + 1);
  const detail = [...kinds].map(([k, n]) => `${n} ${k}`).join(', ');
  return figure(breaks.length, 'count', `${method}; ${opened} connections were opened${detail ? `; breaks: ${detail}` : ''}.`, 1);
}
