// Binding an experiment to a lab: "the uplink of the second director" becomes lb2:eth0,
// "every client" becomes client1 and client2, "dataplane" becomes keepalived or healthd.
// An experiment that asks for something the lab lacks is refused before anything runs,
// with the experiment file's line and column.
import type { Dataplane, ResolvedLab, ResolvedNode, ResolvedService } from '../model/types.js';
import { compareProblems, LabValidationError, type LabIssue, type PathSegment, type Problem } from '../model/problems.js';
import type { LoadedExperiment } from './load.js';
import { daemonsOf } from '../lab/node-setup.js';
import type { Action, Impairment, NodeSelector, TargetSelector } from './types.js';

export interface BoundTraffic {
  client: string;
  service: ResolvedService;
  rate: number;
  timeoutMs: number;
}

export interface BoundLongLived {
  client: string;
  service: ResolvedService;
  connections: number;
  heartbeatMs: number;
}

export interface BoundStep {
  step: number;
  at: number;
  action: Action;
  node: ResolvedNode;
  iface?: string;
  /** Concrete daemon name as the node runs it (zebra, ospfd, nginx, keepalived, healthd). */
  daemon?: string;
  /** For link-impair. */
  impair?: Impairment;
  /** For address-down/up: the address on the node's lo, as a /32. */
  address?: string;
}

export interface BoundExperiment {
  name: string;
  description: string;
  durationS: number;
  seed: number;
  traffic: BoundTraffic[];
  longLived: BoundLongLived[];
  steps: BoundStep[];
  expect: string[];
  /** The service most figures are about (the first one traffic goes to). */
  service: ResolvedService;
}

export function bindExperiment(loaded: LoadedExperiment, lab: ResolvedLab, dataplane: Dataplane): BoundExperiment {
  const exp = loaded.experiment;
  const issues: LabIssue[] = [];
  const err = (path: PathSegment[], message: string, accepted?: string): void => {
    issues.push({ path, message, severity: 'error', ...(accepted ? { accepted } : {}) });
  };

  const serviceNamed = (name: string | undefined, path: PathSegment[]): ResolvedService | undefined => {
    if (lab.services.length === 0) {
      err(path, `lab ${lab.name} has no service to send traffic to`);
      return undefined;
    }
    if (name === undefined) return lab.services[0];
    const svc = lab.services.find((s) => s.name === name);
    if (!svc) err([...path, 'service'], `lab ${lab.name} has no service '${name}'`, lab.services.map((s) => s.name).join(', '));
    return svc;
  };

  const pick = (sel: NodeSelector | undefined, path: PathSegment[], fallbackRole: ResolvedNode['role'] | undefined, one: boolean): ResolvedNode[] => {
    const s: NodeSelector = sel ?? (fallbackRole ? { role: fallbackRole } : {});
    if (s.node) {
      const n = lab.nodes.find((x) => x.name === s.node);
      if (!n) {
        err([...path, 'node'], `lab ${lab.name} has no node '${s.node}'`, lab.nodes.map((x) => x.name).join(', '));
        return [];
      }
      if (s.role && n.role !== s.role) err([...path, 'role'], `node ${n.name} is a ${n.role}, not a ${s.role}`);
      return [n];
    }
    const ofRole = lab.nodes.filter((n) => n.role === s.role);
    if (ofRole.length === 0) {
      err([...path, 'role'], `lab ${lab.name} has no ${s.role ?? 'matching'} node`);
      return [];
    }
    if (s.index !== undefined) {
      const n = ofRole[s.index - 1];
      if (!n) err([...path, 'index'], `lab ${lab.name} has ${ofRole.length} ${s.role}${ofRole.length === 1 ? '' : 's'}; there is no number ${s.index}`, `1 to ${ofRole.length}`);
      return n ? [n] : [];
    }
    if (one && ofRole.length > 1) {
      err(path, `lab ${lab.name} has ${ofRole.length} ${s.role}s: say which with index`, `index: 1 to ${ofRole.length}`);
      return [];
    }
    return ofRole;
  };

  const traffic: BoundTraffic[] = [];
  (exp.traffic ?? []).forEach((t, i) => {
    const svc = serviceNamed(t.service, ['traffic', i]);
    for (const c of pick(t.from, ['traffic', i, 'from'], 'client', false)) {
      if (svc) traffic.push({ client: c.name, service: svc, rate: t.rate, timeoutMs: t.timeout_ms ?? 1000 });
    }
  });
  const longLived: BoundLongLived[] = [];
  (exp.long_lived ?? []).forEach((l, i) => {
    const svc = serviceNamed(l.service, ['long_lived', i]);
    for (const c of pick(l.from, ['long_lived', i, 'from'], 'client', false)) {
      if (svc) longLived.push({ client: c.name, service: svc, connections: l.connections, heartbeatMs: l.heartbeat_ms ?? 200 });
    }
  });

  const steps: BoundStep[] = [];
  (exp.timeline ?? []).forEach((step, i) => {
    const path: PathSegment[] = ['timeline', i];
    const [node] = pick(step.target, [...path, 'target'], undefined, true);
    if (!node) return;
    const bound: BoundStep = { step: i, at: step.at, action: step.action, node, ...(step.impair ? { impair: step.impair } : {}) };
    if (step.target.interface) {
      const iface = interfaceFor(lab, node, step.target);
      if (typeof iface === 'string') bound.iface = iface;
      else err([...path, 'target', 'interface'], iface.message, iface.accepted);
    }
    if (step.daemon) {
      const daemon = step.daemon === 'dataplane' ? (dataplane === 'ipvs' ? 'keepalived' : 'healthd') : step.daemon;
      const runs = daemonsOf(lab, node, dataplane);
      if (!runs.includes(daemon)) {
        err([...path, 'daemon'], `${node.name} (${node.role}) does not run ${daemon}${step.daemon === 'dataplane' ? ` (the ${dataplane} dataplane)` : ''}`, runs.join(', ') || 'no daemon runs there');
      } else bound.daemon = daemon;
    }
    if (step.action === 'address-down' || step.action === 'address-up') {
      const address = loopbackFor(node, step.address, lab.services.find((s) => s.name === exp.traffic?.[0]?.service) ?? lab.services[0]);
      if (typeof address === 'string') bound.address = address;
      else err([...path, step.address !== undefined ? 'address' : 'action'], address.message, address.accepted);
    }
    steps.push(bound);
  });
  steps.sort((a, b) => a.at - b.at || a.step - b.step);

  const problems: Problem[] = issues.map((i) => loaded.problemAt(i)).sort(compareProblems);
  if (problems.length > 0) {
    throw new LabValidationError(
      problems.map((p) => ({ ...p, message: `${p.message} (on lab ${lab.name})` })),
      'experiment',
    );
  }
  const service = traffic[0]?.service ?? longLived[0]?.service ?? lab.services[0]!;
  return {
    name: exp.name,
    description: exp.description ?? '',
    durationS: exp.duration,
    seed: exp.seed ?? 1,
    traffic,
    longLived,
    steps,
    expect: exp.expect ?? [],
    service,
  };
}

/**
 * The /32 an address step takes off (or puts back on) the node's lo: the one named, or the
 * experiment's service VIP; it must be one of the node's loopbacks, so the step undoes
 * exactly what `up` configured and nothing else.
 */
function loopbackFor(node: ResolvedNode, given: string | undefined, service: ResolvedService | undefined): string | { message: string; accepted: string } {
  const held = node.loopbacks.filter((c) => c.endsWith('/32'));
  const accepted = held.length > 0 ? held.join(', ') : `none: ${node.name} has no address on lo`;
  const wanted = given !== undefined ? (given.includes('/') ? given : `${given}/32`) : service ? `${service.vip}/32` : undefined;
  if (wanted === undefined) return { message: 'no address given and the lab has no service whose VIP could stand in', accepted };
  if (!held.includes(wanted)) {
    const what = given !== undefined ? wanted : `the VIP ${wanted} of service ${service!.name} (the default)`;
    return { message: `${node.name} (${node.role}) has not got ${what} on lo`, accepted };
  }
  return wanted;
}

function interfaceFor(lab: ResolvedLab, node: ResolvedNode, target: TargetSelector): string | { message: string; accepted: string } {
  const names = node.interfaces.map((i) => i.name);
  const want = target.interface!;
  if (want !== 'uplink' && want !== 'downlink') {
    return names.includes(want) ? want : { message: `${node.name} has no interface ${want}`, accepted: ['uplink', 'downlink', ...names].join(', ') };
  }
  // Only a director has a downlink (toward its real servers), and a router has no uplink
  // (it is what an uplink leads to): anything else would pick an interface by accident.
  if (want === 'downlink' && node.role !== 'director') {
    return { message: `downlink is a director's interface toward its real servers; ${node.name} is a ${node.role}`, accepted: ['uplink', ...names].join(', ') };
  }
  if (want === 'uplink' && node.role === 'router') {
    return { message: `uplink is the interface toward a router; ${node.name} is the router`, accepted: names.join(', ') };
  }
  const attachment = (i: ResolvedNode['interfaces'][number]) => (i.attachment.kind === 'segment' ? `s:${i.attachment.segment}` : `l:${i.attachment.link}`);
  const sharedWith = (roles: ResolvedNode['role'][]) =>
    new Set(lab.nodes.filter((n) => n !== node && roles.includes(n.role)).flatMap((n) => n.interfaces.map(attachment)));
  // uplink: toward a router; downlink: toward the node's real servers (director) or directors (real server).
  const peers = want === 'uplink' ? sharedWith(['router']) : sharedWith(['realserver']);
  const hit = node.interfaces.find((i) => peers.has(attachment(i)));
  return hit ? hit.name : { message: `${node.name} has no ${want} (no interface shares a segment or link with a ${want === 'uplink' ? 'router' : 'peer'})`, accepted: names.join(', ') };
}
