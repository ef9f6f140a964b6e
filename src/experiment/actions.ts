// Carrying out timeline steps on a running lab, through the runtime only (so they work on
// every runtime). Each step returns an ActionRecord with when it started and finished.
import type { ResolvedNode } from '../model/types.js';
import { renderNodeNetwork } from '../render/network.js';
import type { DaemonSpec, LinkImpairment } from '../runtime/runtime.js';
import { planOf, type LabSession } from '../lab/session.js';
import type { ActionRecord, Impairment } from './types.js';
import type { BoundStep } from './bind.js';
import { pollUntil } from '../util/poll.js';

/** nft table that holds silent failures; separate from the dataplane's own table. */
export const FAULT_TABLE = 'lvslab_fault';

/** The session's runtime, lab and node plans (whose daemons name their pid files). */
export type ActionContext = Pick<LabSession, 'runtime' | 'lab' | 'plans'>;

export async function performStep(ctx: ActionContext, step: BoundStep, plannedAt: number): Promise<ActionRecord> {
  const startedAt = Date.now();
  let ok = true;
  let detail: string;
  try {
    detail = await perform(ctx, step);
  } catch (err) {
    ok = false;
    detail = err instanceof Error ? err.message : String(err);
  }
  return {
    step: step.step,
    action: step.action,
    node: step.node.name,
    ...(step.iface ? { interface: step.iface } : {}),
    ...(step.daemon ? { daemon: step.daemon } : {}),
    ...(step.address ? { address: step.address } : {}),
    plannedAt,
    startedAt,
    doneAt: Date.now(),
    ok,
    detail,
  };
}

async function perform(ctx: ActionContext, step: BoundStep): Promise<string> {
  const { node } = step;
  switch (step.action) {
    case 'link-down':
      await ctx.runtime.setCarrier(ctx.lab.instance, node.name, step.iface!, false);
      return `ip link set ${step.iface} down on ${node.name} (carrier lost)`;
    case 'link-up':
      await ctx.runtime.setCarrier(ctx.lab.instance, node.name, step.iface!, true);
      await restoreStaticRoutes(ctx, node);
      return `ip link set ${step.iface} up on ${node.name}, static routes restored`;
    case 'silent-failure':
      // A runtime with a failure of its own (GNS3's link suspend) uses it: that is what its users pull.
      if (ctx.runtime.silentFailure) return ctx.runtime.silentFailure(ctx.lab.instance, node.name, step.iface!, true);
      await must(ctx, node.name, ['nft', '-f', '-'], silentFailureRules(step.iface!));
      return `every frame in and out of ${node.name}:${step.iface} dropped (netdev ingress+egress), carrier up`;
    case 'silent-restore':
      if (ctx.runtime.silentFailure) return ctx.runtime.silentFailure(ctx.lab.instance, node.name, step.iface!, false);
      await must(ctx, node.name, ['nft', 'delete', 'table', 'netdev', faultTableName(step.iface!)]);
      return `${node.name}:${step.iface} passes traffic again`;
    case 'link-impair': {
      const impairment = linkImpairment(step.impair!);
      if (ctx.runtime.impairLink) return ctx.runtime.impairLink(ctx.lab.instance, node.name, step.iface!, impairment);
      return impairInNode(ctx, node.name, step.iface!, impairment);
    }
    case 'link-clear':
      if (ctx.runtime.impairLink) return ctx.runtime.impairLink(ctx.lab.instance, node.name, step.iface!, undefined);
      return clearInNode(ctx, node.name, step.iface!);
    case 'kill':
      return `SIGKILL ${step.daemon} on ${node.name}: ${await signalDaemon(ctx, node, step.daemon!, 'KILL')}`;
    case 'pause':
      return `SIGSTOP ${step.daemon} on ${node.name}: ${await signalDaemon(ctx, node, step.daemon!, 'STOP')}`;
    case 'resume':
      return `SIGCONT ${step.daemon} on ${node.name}: ${await signalDaemon(ctx, node, step.daemon!, 'CONT')}`;
    case 'start': {
      const spec = daemonSpecs(ctx, node).find((d) => d.name === step.daemon);
      if (!spec) throw new Error(`${node.name} has no ${step.daemon} to start`);
      await ctx.runtime.startDaemon(ctx.lab.instance, node.name, spec);
      return `${step.daemon} started on ${node.name}`;
    }
    case 'node-stop': {
      const killed = [];
      for (const d of daemonSpecs(ctx, node)) killed.push(`${d.name}: ${await signalDaemon(ctx, node, d.name, 'KILL')}`);
      for (const i of node.interfaces) await ctx.runtime.setCarrier(ctx.lab.instance, node.name, i.name, false);
      return `${node.name} stopped (${killed.join('; ') || 'no daemons'}; all interfaces down)`;
    }
    case 'address-down':
      // Seed 003's `ifconfig lo:0 down`: ospfd sees the address go (zebra tells it) and
      // re-originates its router-LSA without the /32; nothing else on the node changes.
      await must(ctx, node.name, ['ip', 'addr', 'del', step.address!, 'dev', 'lo']);
      return `${step.address} taken off lo on ${node.name} (ip addr del)`;
    case 'address-up':
      await must(ctx, node.name, ['ip', 'addr', 'add', step.address!, 'dev', 'lo']);
      return `${step.address} back on lo on ${node.name} (ip addr add)`;
    case 'node-start': {
      for (const i of node.interfaces) await ctx.runtime.setCarrier(ctx.lab.instance, node.name, i.name, true);
      await restoreStaticRoutes(ctx, node);
      const plan = planOf(ctx, node.name);
      for (const d of [...plan.routingDaemons, ...plan.serviceDaemons]) await ctx.runtime.startDaemon(ctx.lab.instance, node.name, d);
      return `${node.name} started (interfaces up, daemons ${[...plan.routingDaemons, ...plan.serviceDaemons].map((d) => d.name).join(', ') || 'none'})`;
    }
  }
}

export function faultTableName(iface: string): string {
  // one table per interface so restoring one leaves another failure in place
  return `${FAULT_TABLE}_${iface.replace(/[^a-zA-Z0-9_]/g, '_')}`;
}

/** nft ruleset that drops every frame on `iface` both ways while its carrier stays up. */
export function silentFailureRules(iface: string): string {
  const table = faultTableName(iface);
  return [
    `table netdev ${table} {`,
    `  chain ingress_drop { type filter hook ingress device "${iface}" priority -500; policy drop; }`,
    `  chain egress_drop { type filter hook egress device "${iface}" priority -500; policy drop; }`,
    `}`,
    '',
  ].join('\n');
}

export function linkImpairment(i: Impairment): LinkImpairment {
  return {
    ...(i.loss_percent !== undefined ? { lossPercent: i.loss_percent } : {}),
    ...(i.drop_every !== undefined ? { dropEvery: i.drop_every } : {}),
    ...(i.delay_ms !== undefined ? { delayMs: i.delay_ms } : {}),
    ...(i.jitter_ms !== undefined ? { jitterMs: i.jitter_ms } : {}),
    ...(i.corrupt_percent !== undefined ? { corruptPercent: i.corrupt_percent } : {}),
  };
}

/** nft table that holds an interface's frame loss; one per interface, as for silent failures. */
export function impairTableName(iface: string): string {
  return `lvslab_impair_${iface.replace(/[^a-zA-Z0-9_]/g, '_')}`;
}

/**
 * Loss and every-n-th drops on `iface` in both directions (netdev ingress and egress, each
 * with its own counter, as GNS3's filters act on each direction); loss in 1/10,000 steps.
 */
export function impairRules(iface: string, imp: LinkImpairment): string | undefined {
  const rules: string[] = [];
  if (imp.lossPercent) rules.push(imp.lossPercent >= 100 ? 'drop' : `numgen random mod 10000 < ${Math.round(imp.lossPercent * 100)} drop`);
  if (imp.dropEvery) rules.push(`numgen inc mod ${imp.dropEvery} == 0 drop`);
  if (rules.length === 0) return undefined;
  const table = impairTableName(iface);
  const chain = (name: string, hook: string) => [`  chain ${name} {`, `    type filter hook ${hook} device "${iface}" priority -400; policy accept;`, ...rules.map((r) => `    ${r}`), '  }'];
  return [`table netdev ${table} {`, ...chain('ingress_impair', 'ingress'), ...chain('egress_impair', 'egress'), '}', ''].join('\n');
}

/** tc's netem arguments for delay and corruption; undefined when neither is asked. */
export function netemArgs(imp: LinkImpairment): string[] | undefined {
  const args: string[] = [];
  if (imp.delayMs) args.push('delay', `${imp.delayMs}ms`, ...(imp.jitterMs ? [`${imp.jitterMs}ms`] : []));
  if (imp.corruptPercent) args.push('corrupt', `${imp.corruptPercent}%`);
  return args.length > 0 ? args : undefined;
}

/**
 * Without a runtime of its own: loss and drops both ways with nftables, delay and corruption
 * with netem on the node's egress (the kernel has no netem ingress; the link's other
 * direction is impaired on a point-to-point peer only by an experiment step on that peer).
 */
async function impairInNode(ctx: ActionContext, node: string, iface: string, imp: LinkImpairment): Promise<string> {
  await clearInNode(ctx, node, iface);
  const done: string[] = [];
  const rules = impairRules(iface, imp);
  if (rules) {
    await must(ctx, node, ['nft', '-f', '-'], rules);
    done.push(`${[imp.lossPercent ? `${imp.lossPercent}% loss` : '', imp.dropEvery ? `every ${imp.dropEvery}th frame dropped` : ''].filter(Boolean).join(', ')} both ways (nftables netdev hooks)`);
  }
  const netem = netemArgs(imp);
  if (netem) {
    const r = await ctx.runtime.exec(ctx.lab.instance, node, ['tc', 'qdisc', 'replace', 'dev', iface, 'root', 'netem', ...netem]);
    if (r.code !== 0) throw new Error(`tc netem on ${node}:${iface} failed (does this kernel have sch_netem?): ${(r.stderr || r.stdout).trim()}`);
    done.push(`${netem.join(' ')} on ${iface}'s egress (tc netem)`);
  }
  return `${node}:${iface} impaired: ${done.join('; ')}`;
}

async function clearInNode(ctx: ActionContext, node: string, iface: string): Promise<string> {
  // Either may be absent: clearing what is not there is not an error.
  await ctx.runtime.exec(ctx.lab.instance, node, ['nft', 'delete', 'table', 'netdev', impairTableName(iface)]);
  await ctx.runtime.exec(ctx.lab.instance, node, ['tc', 'qdisc', 'del', 'dev', iface, 'root']);
  return `${node}:${iface} unimpaired`;
}

function daemonSpecs(ctx: ActionContext, node: ResolvedNode): DaemonSpec[] {
  const plan = planOf(ctx, node.name);
  return [...plan.routingDaemons, ...plan.serviceDaemons];
}

/**
 * Pid files of a daemon's processes. keepalived runs a parent and a checker (and VRRP)
 * child: signals go to all of them, or a "killed" keepalived would keep checking.
 */
function pidFilesOf(ctx: ActionContext, node: ResolvedNode, daemon: string): string[] {
  const spec = daemonSpecs(ctx, node).find((d) => d.name === daemon);
  if (!spec) throw new Error(`${node.name} runs no ${daemon}`);
  if (daemon !== 'keepalived') return [spec.pidFile];
  const run = ctx.runtime.nodePaths(ctx.lab.instance, node.name).run;
  return [spec.pidFile, `${run}/keepalived-checkers.pid`, `${run}/keepalived-vrrp.pid`];
}

async function signalDaemon(ctx: ActionContext, node: ResolvedNode, daemon: string, signal: 'KILL' | 'STOP' | 'CONT'): Promise<string> {
  const pids: string[] = [];
  for (const file of pidFilesOf(ctx, node, daemon)) {
    const text = await ctx.runtime.readFile(ctx.lab.instance, node.name, file);
    const pid = text?.trim();
    if (pid && /^\d+$/.test(pid)) pids.push(pid);
  }
  if (pids.length === 0) throw new Error(`${daemon} on ${node.name} has no pid file: is it running?`);
  // The daemon's children too (nginx workers hold the listening socket; keepalived's checker
  // does the checks): a SIGKILLed master whose workers live on is not a dead daemon. They
  // are listed first and signalled after the master, so a master cannot respawn them.
  const children: string[] = [];
  for (const pid of pids) {
    const r = await ctx.runtime.exec(ctx.lab.instance, node.name, ['pgrep', '-P', pid]);
    children.push(...r.stdout.split(/\s+/).filter((p) => /^\d+$/.test(p)));
  }
  const r = await ctx.runtime.exec(ctx.lab.instance, node.name, ['kill', '-s', signal, ...pids]);
  if (r.code !== 0 && signal !== 'KILL') throw new Error(`kill -s ${signal} ${pids.join(' ')}: ${r.stderr.trim()}`);
  if (children.length > 0) await ctx.runtime.exec(ctx.lab.instance, node.name, ['kill', '-s', signal, ...children]);
  const signalled = `pid ${pids.join(', ')}${children.length ? ` and children ${children.join(', ')}` : ''}`;
  if (signal !== 'KILL') return signalled;
  // kill(1) returns once the signal is sent, but a process lets go of its sockets only when it
  // exits: until then nginx's listening socket still takes connections (and resets them as it
  // goes). The step is done when the daemon is dead, so the run's clock says when it was.
  // pollUntil counts a failed check as not done and keeps no error: the last one is kept here for the message.
  let psError: string | undefined;
  const gone = await pollUntil(async () => {
    try {
      const alive = await livingProcesses(ctx, node, [...pids, ...children]);
      return { done: alive.length === 0, value: alive };
    } catch (err) {
      psError = err instanceof Error ? err.message : String(err);
      throw err;
    }
  }, { timeoutMs: KILL_DEADLINE_MS, intervalMs: 10 });
  if (!gone.ok)
    throw new Error(
      gone.value === undefined
        ? `${daemon} on ${node.name}: could not tell whether ${signalled} exited after SIGKILL: ${psError ?? 'no answer'}`
        : `${daemon} on ${node.name}: pid ${gone.value.join(', ')} still running ${KILL_DEADLINE_MS / 1000} s after SIGKILL`,
    );
  return `${signalled}, all exited`;
}

/** How long a SIGKILLed process may take to exit: milliseconds normally, far more only if the node is wedged. */
const KILL_DEADLINE_MS = 5_000;

/**
 * The pids that still run: not exited and not a zombie (state Z: exited, its files closed,
 * waiting for a parent that may never reap it, such as a container's init).
 */
async function livingProcesses(ctx: ActionContext, node: ResolvedNode, pids: string[]): Promise<string[]> {
  // ps exits 1 when none of the pids exists: that is an answer, not a failure.
  const r = await ctx.runtime.exec(ctx.lab.instance, node.name, ['ps', '-o', 'pid=,stat=', '-p', pids.join(',')]);
  if (r.code !== 0 && r.code !== 1) throw new Error(`ps on ${node.name} (exit ${r.code}): ${r.stderr.trim()}`);
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([pid, stat]) => pid && stat && !stat.startsWith('Z'))
    .map(([pid]) => pid!);
}

/** A link going down flushes the IPv4 routes through it: put the node's static routes back. */
async function restoreStaticRoutes(ctx: ActionContext, node: ResolvedNode): Promise<void> {
  const routes = renderNodeNetwork(ctx.lab, node)
    .filter((l) => l.startsWith('route add '))
    .map((l) => l.replace(/^route add /, 'route replace '));
  if (routes.length === 0) return;
  await must(ctx, node.name, ['ip', '-batch', '-'], routes.join('\n') + '\n');
}

async function must(ctx: ActionContext, node: string, argv: string[], input?: string): Promise<void> {
  const r = await ctx.runtime.exec(ctx.lab.instance, node, argv, input !== undefined ? { input } : {});
  if (r.code !== 0) throw new Error(`${argv.join(' ')} on ${node} failed: ${r.stderr.trim()}`);
}
