// Planted faults: what an exercise breaks on a student's lab right after it is up (and
// again after a reset), for the student to find and fix through `lvslab exec`. Each fault
// is one small change made through the runtime, as a careless operator would make it.
import type { LabSession } from '../lab/session.js';
import type { ResolvedLab, ResolvedService } from '../model/types.js';
import { LvslabError } from '../util/errors.js';
import type { FaultSpec } from './exercise.js';

/** What a fault does, in words (the teacher's view; never shown to students). */
export function describeFault(f: FaultSpec): string {
  switch (f.kind) {
    case 'arp-sysctls-missing':
      return `${f.node}: arp_ignore and arp_announce reset to 0 (all, lo)`;
    case 'vip-missing-on-lo':
      return `${f.node}: the VIP${f.service ? ` of ${f.service}` : ''} removed from lo`;
    case 'ospf-dead-interval':
      return `${f.node}: OSPF dead interval ${f.seconds} s${f.interface ? ` on ${f.interface}` : ''}`;
  }
}

function serviceOf(lab: ResolvedLab, name: string | undefined, node: string): ResolvedService {
  const candidates = lab.services.filter((s) => (name === undefined ? s.realServers.some((rs) => rs.node === node) : s.name === name));
  if (candidates.length === 0) throw new LvslabError(`no service of lab ${lab.name} has real server ${node}`);
  return candidates[0]!;
}

/** The argument lists a fault runs on its node, in order (pure: the tests read them). */
export function faultCommands(lab: ResolvedLab, f: FaultSpec, frrVtyDir: string): string[][] {
  switch (f.kind) {
    case 'arp-sysctls-missing':
      return [['sysctl', '-q', '-w', 'net.ipv4.conf.all.arp_ignore=0', 'net.ipv4.conf.all.arp_announce=0', 'net.ipv4.conf.lo.arp_ignore=0', 'net.ipv4.conf.lo.arp_announce=0']];
    case 'vip-missing-on-lo':
      return [['ip', 'addr', 'del', `${serviceOf(lab, f.service, f.node).vip}/32`, 'dev', 'lo']];
    case 'ospf-dead-interval': {
      const node = lab.nodes.find((n) => n.name === f.node)!;
      const iface = f.interface ?? node.interfaces.find((i) => i.ospf !== undefined)?.name ?? node.interfaces[0]!.name;
      return [['vtysh', '--vty_socket', frrVtyDir, '-c', 'configure terminal', '-c', `interface ${iface}`, '-c', `ip ospf dead-interval ${f.seconds}`]];
    }
  }
}

/** Plants every fault, in order; the first that fails stops it with an error naming it. */
export async function plantFaults(session: LabSession, faults: readonly FaultSpec[]): Promise<void> {
  for (const f of faults) {
    const vty = session.runtime.nodePaths(session.lab.instance, f.node).frrVtyDir;
    for (const argv of faultCommands(session.lab, f, vty)) {
      const r = await session.runtime.exec(session.lab.instance, f.node, argv, { timeoutMs: 10_000 });
      if (r.code !== 0) throw new LvslabError(`planting the fault "${describeFault(f)}" on ${session.lab.instance} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`);
    }
  }
}
