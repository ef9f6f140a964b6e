// What `up`, `status` and `inspect` show about an instance: one structure (also the --json
// output) and its text rendering.
import type { Runtime } from '../runtime/runtime.js';
import type { InstanceState } from '../runtime/instance-record.js';
import type { ReadinessReport } from '../lab/readiness.js';
import { announcedOverOspf, directorWithMac, nextHopsOf, readKernelRoute, readNeighbour, readOspfNetworks, readVipHolders, vipNeighbourRouters } from '../lab/observe.js';
import { guardedAnnouncements } from '../render/announce.js';
import { table } from './commands/shared.js';

export interface InstanceDescription {
  instance: string;
  lab: string;
  labFile: string;
  runtime: string;
  dataplane: string;
  dataplaneDetail: string;
  phase: string;
  readyMs?: number;
  nodes: Array<{
    name: string;
    role: string;
    interfaces: Array<{ name: string; address: string; mac: string; attachedTo: string }>;
    loopbacks: string[];
    processes?: Array<{ pid: number; command: string }>;
  }>;
  /** Each OSPF-announced VIP as the routers' kernels see it. */
  vipRoutes: Array<{ router: string; vip: string; nextHops: string[]; text: string }>;
  /** Each VRRP-held VIP: the directors holding it now, and whom each router on its segment sends to. */
  vrrpVips: Array<{
    service: string;
    vip: string;
    priorities: Record<string, number>;
    holders: string[];
    neighbours: Array<{ router: string; lladdr?: string; state: string[]; director?: string }>;
  }>;
  /**
   * With announce_only_when_serving: per director and guarded VIP, whether its running ospfd
   * announces it now (its checks add the statement while a real server is healthy), or
   * undefined when ospfd could not be asked.
   */
  guardedAnnouncements?: Array<{ director: string; service: string; vip: string; announced?: boolean }>;
  checks?: ReadinessReport['checks'];
}

export async function describeInstance(
  runtime: Runtime,
  state: InstanceState,
  readiness?: ReadinessReport,
  opts: { processes?: boolean } = {},
): Promise<InstanceDescription> {
  const lab = state.lab;
  const inspection = opts.processes ? await runtime.inspect(lab.instance) : [];
  const vipRoutes: InstanceDescription['vipRoutes'] = [];
  for (const router of lab.nodes.filter((n) => n.role === 'router' && n.ospf?.installRoutes)) {
    for (const svc of lab.services.filter(announcedOverOspf)) {
      const route = await readKernelRoute(runtime, lab.instance, router.name, `${svc.vip}/32`).catch(() => undefined);
      const text = (await runtime.exec(lab.instance, router.name, ['ip', 'route', 'show', 'exact', `${svc.vip}/32`])).stdout.trim();
      vipRoutes.push({
        router: router.name,
        vip: svc.vip,
        nextHops: nextHopsOf(route),
        text,
      });
    }
  }
  const vrrpVips: InstanceDescription['vrrpVips'] = [];
  for (const svc of lab.services.filter((s) => s.announce === 'vrrp')) {
    const holders = await readVipHolders(runtime, lab, svc).catch(() => []);
    const neighbours = await Promise.all(
      vipNeighbourRouters(lab, svc).map(async (router) => {
        const entry = await readNeighbour(runtime, lab.instance, router.name, svc.vip).catch(() => undefined);
        const director = directorWithMac(lab, entry?.lladdr);
        return { router: router.name, ...(entry?.lladdr ? { lladdr: entry.lladdr } : {}), state: entry?.state ?? [], ...(director ? { director } : {}) };
      }),
    );
    vrrpVips.push({ service: svc.name, vip: svc.vip, priorities: svc.vrrp?.priorities ?? {}, holders, neighbours });
  }
  const guarded: NonNullable<InstanceDescription['guardedAnnouncements']> = [];
  for (const node of lab.nodes) {
    const services = guardedAnnouncements(lab, node);
    if (services.length === 0) continue;
    const networks = await readOspfNetworks(runtime, lab.instance, node.name).catch(() => undefined);
    for (const s of services) guarded.push({ director: node.name, service: s.name, vip: s.vip, ...(networks ? { announced: networks.includes(`${s.vip}/32`) } : {}) });
  }
  return {
    instance: lab.instance,
    lab: lab.name,
    labFile: lab.sourceFile,
    runtime: state.runtime,
    dataplane: state.dataplane,
    dataplaneDetail: state.dataplaneDetail,
    phase: state.phase,
    readyMs: state.readyMs,
    nodes: lab.nodes.map((n) => ({
      name: n.name,
      role: n.role,
      interfaces: n.interfaces.map((i) => ({
        name: i.name,
        address: i.cidr,
        mac: i.mac,
        attachedTo: i.attachment.kind === 'segment' ? `segment ${i.attachment.segment}` : `link ${i.attachment.link} to ${i.attachment.peer.node}`,
      })),
      loopbacks: n.loopbacks,
      processes: opts.processes ? inspection.find((x) => x.name === n.name)?.processes : undefined,
    })),
    vipRoutes,
    vrrpVips,
    ...(guarded.length > 0 ? { guardedAnnouncements: guarded } : {}),
    checks: readiness?.checks,
  };
}

export function formatSummary(d: InstanceDescription, opts: { detail?: boolean } = {}): string {
  const lines: string[] = [];
  const ready = d.readyMs !== undefined ? ` — ready in ${(d.readyMs / 1000).toFixed(1)} s` : '';
  lines.push(`${d.instance}: lab ${d.lab}, runtime ${d.runtime}, ${d.phase}${ready}`);
  lines.push(
    d.dataplane === 'nftables'
      ? `dataplane: NFTABLES FALLBACK, not kernel IPVS (${d.dataplaneDetail})`
      : `dataplane: kernel IPVS (${d.dataplaneDetail})`,
  );
  lines.push('');
  const rows = [['NODE', 'ROLE', 'ADDRESSES', 'ON LO']];
  for (const n of d.nodes) {
    rows.push([n.name, n.role, n.interfaces.map((i) => `${i.name} ${i.address}`).join(', '), n.loopbacks.join(', ')]);
  }
  lines.push(table(rows));
  if (opts.detail) {
    for (const n of d.nodes) {
      lines.push('', `${n.name} (${n.role})`);
      for (const i of n.interfaces) lines.push(`  ${i.name.padEnd(6)} ${i.address.padEnd(18)} ${i.mac}  ${i.attachedTo}`);
      if (n.processes) lines.push(`  processes: ${n.processes.map((p) => `${p.command}[${p.pid}]`).join(' ') || 'none'}`);
    }
  }
  for (const r of d.vipRoutes) {
    lines.push('', `${r.router}: ip route show ${r.vip}  (${r.nextHops.length} next hop${r.nextHops.length === 1 ? '' : 's'})`);
    lines.push(...(r.text ? r.text.split('\n').map((l) => `  ${l}`) : ['  (no route)']));
  }
  for (const v of d.vrrpVips ?? []) {
    const priorities = Object.entries(v.priorities).map(([dir, p]) => `${dir} ${p}`).join(', ');
    const held = v.holders.length === 1 ? `held by ${v.holders[0]} (MASTER)` : v.holders.length === 0 ? 'held by no director' : `held by ${v.holders.join(' and ')} at once`;
    lines.push('', `VRRP ${v.vip} (service ${v.service}, priorities ${priorities}): ${held}`);
    for (const n of v.neighbours) {
      const at = n.lladdr ? `${n.lladdr} (${n.director ?? 'not a director'})` : 'unresolved';
      lines.push(`  ${n.router}: neighbour ${v.vip} at ${at}${n.state.length > 0 ? `, ${n.state.join(',')}` : ''}`);
    }
  }
  if (d.guardedAnnouncements?.length) {
    lines.push('', 'announce only when serving (the VIP in each director\'s running ospfd):');
    for (const g of d.guardedAnnouncements) {
      const now = g.announced === undefined ? 'unknown (ospfd did not answer)' : g.announced ? 'announced' : 'withdrawn (no healthy real server)';
      lines.push(`  ${g.director}: ${g.vip}/32 (service ${g.service}) ${now}`);
    }
  }
  if (d.checks && (opts.detail || d.checks.some((c) => !c.ok))) {
    lines.push('', 'checks:');
    for (const c of d.checks) lines.push(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.detail}`);
  }
  return lines.join('\n');
}
