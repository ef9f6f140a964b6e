// How long the health checks took to take a failed real server out: from the failure event
// to the moment the last director logged that it removed (or, with inhibit_on_failure,
// disabled) that server.
import type { ActionRecord, Figure } from '../experiment/types.js';
import { parseCheckerDecision, takesServerOut } from '../logs/checker.js';
import { FAILURE_ACTIONS, type RunContext, describeStep, eventSpreadS, eventSpreadText, eventTime, rel } from './context.js';
import { absent, figure } from './figure.js';

/** Daemons whose logs carry the checker's decisions, with their timestamp resolution in ms. */
const CHECKER_LOGS: Record<string, number> = { keepalived: 1000, healthd: 1 };

/** Failure steps that make a real server fail its health check (a kill/pause of another daemon does not). */
function failsRealServer(ctx: RunContext, action: ActionRecord): boolean {
  if (!FAILURE_ACTIONS.has(action.action)) return false;
  if (!ctx.service.realServers.some((r) => r.node === action.node)) return false;
  if (action.action === 'kill' || action.action === 'pause') return action.daemon === undefined || action.daemon === 'nginx';
  return true;
}

export function hcRemoval(ctx: RunContext): Figure {
  const method =
    `Real-server failure event -> the last of the directors that forward to it (of ${ctx.service.directors.join(', ')}) to log 'Removing service' / 'Disabling service' ` +
    `for that server from VS [${ctx.service.vip}]:${ctx.service.protocol}:${ctx.service.port} (keepalived or lvslab-healthd log), each director's first such line after the event`;
  // Seed 003: nothing checks an anycast server; there is no removal to time, which is the finding.
  if (ctx.service.directors.length === 0) return absent('s', `${method}.`, `service ${ctx.service.name} has no director (announce: ${ctx.service.announce}), so no health check exists to remove a failed server`);
  const action = ctx.events.find((a) => failsRealServer(ctx, a));
  if (!action) return absent('s', `${method}.`, `no timeline step fails a real server of service ${ctx.service.name}`);
  const rs = ctx.service.realServers.find((r) => r.node === action.node)!;
  const t0 = eventTime(action);
  const stepText = describeStep(ctx, action);
  const found: Array<{ director: string; t: number; resolutionMs: number }> = [];
  const silent: string[] = [];
  // Only the directors that forward to it check it (its cluster, or every director).
  for (const director of rs.directors) {
    const line = ctx.input.logs
      .filter((l) => l.node === director && CHECKER_LOGS[l.daemon] !== undefined)
      // keepalived truncates to the second: a line stamped in the event's own second may follow it.
      .filter((l) => l.t >= t0 - (CHECKER_LOGS[l.daemon]! > 1 ? CHECKER_LOGS[l.daemon]! : 0))
      .sort((a, b) => a.t - b.t)
      .find((l) => {
        const d = parseCheckerDecision(l.text);
        return (
          d !== undefined &&
          takesServerOut(d) &&
          d.realServer.address === rs.address &&
          d.realServer.port === rs.port &&
          d.virtualServer.address === ctx.service.vip &&
          d.virtualServer.port === ctx.service.port &&
          d.virtualServer.protocol === ctx.service.protocol
        );
      });
    if (line) found.push({ director, t: line.t, resolutionMs: CHECKER_LOGS[line.daemon]! });
    else silent.push(director);
  }
  if (silent.length > 0) {
    return absent('s', `${method}.`, `director(s) ${silent.join(', ')} never logged removing ${rs.node} ([${rs.address}]:${ctx.service.protocol}:${rs.port}) after ${stepText}`);
  }
  const last = found.reduce((a, b) => (b.t > a.t ? b : a));
  const coarsest = Math.max(...found.map((f) => f.resolutionMs));
  const truncation =
    coarsest >= 1000
      ? " keepalived's console log has whole seconds (truncated), so the true time lies up to 1 s after the value."
      : ' lvslab-healthd logs milliseconds.';
  return figure(
    Math.max(0, last.t - t0) / 1000,
    's',
    `${method}: ${stepText} -> ${found.map((f) => `${f.director} at ${rel(ctx, f.t)}`).join(', ')}; the last is ${last.director}.` +
      `${truncation} Plus ${eventSpreadText(action)}.`,
    coarsest / 1000 + eventSpreadS(action),
  );
}
