// "Ready" means what a user of the lab relies on, observed on the running nodes:
//  - every router's OSPF adjacency with each node announcing a VIP to it (directors; the
//    real servers themselves in an anycast lab) is Full,
//  - on a lab with BFD, every router's BFD session with each of them is up (a failure
//    would otherwise only be noticed by the dead timer, which is what BFD is there to beat),
//  - every router's kernel route to each OSPF-announced VIP has one next hop per announcer,
//  - every VRRP-held VIP is held by exactly one director (the MASTER), and each router on
//    its segment has a resolved neighbour entry for it naming that director's MAC,
//  - every director sees every real server healthy (IPVS table, or the fallback's health state),
//  - every client gets an answer from every VIP.
// Each check returns a one-line diagnosis so a timeout can say exactly what is missing.
import { realServersOf } from '../model/clusters.js';
import type { Dataplane, ResolvedLab, ResolvedNode, ResolvedService } from '../model/types.js';
import type { Runtime } from '../runtime/runtime.js';
import { readFallbackHealth } from './dataplane-state.js';
import {
  directorWithMac,
  neighbourResolved,
  nextHopsOf,
  parseIpvsadmList,
  readBfdPeers,
  readKernelRoute,
  readNeighbour,
  readOspfNeighbors,
  readVipHolders,
  announcedOverOspf,
  vipAnnouncers,
  vipNeighbourRouters,
} from './observe.js';

export interface ReadinessCheck {
  /** e.g. "ospf router~lb1", "route router 10.0.1.100/32", "health lb1 web", "reach client1 web". */
  name: string;
  ok: boolean;
  detail: string;
}

export interface ReadinessReport {
  ready: boolean;
  checks: ReadinessCheck[];
}

export async function checkReadiness(runtime: Runtime, lab: ResolvedLab, dataplane: Dataplane): Promise<ReadinessReport> {
  const checks = (
    await Promise.all([
      ...routers(lab).map((r) => checkAdjacencies(runtime, lab, r)),
      ...(lab.ospf.bfd ? routers(lab).map((r) => checkBfdSessions(runtime, lab, r)) : []),
      ...routers(lab).filter((r) => r.ospf?.installRoutes).map((r) => checkVipRoutes(runtime, lab, r)),
      ...lab.services.filter((s) => s.announce === 'vrrp').map((s) => checkVrrp(runtime, lab, s)),
      ...lab.nodes.filter((n) => n.role === 'director').map((d) => checkHealth(runtime, lab, d, dataplane)),
      ...lab.nodes.filter((n) => n.role === 'client').map((c) => checkReach(runtime, lab, c)),
    ])
  ).flat();
  return { ready: checks.every((c) => c.ok), checks };
}

function routers(lab: ResolvedLab): ResolvedNode[] {
  return lab.nodes.filter((n) => n.role === 'router' && n.ospf);
}

/**
 * The nodes announcing a VIP over OSPF (directors, or anycast real servers) that run OSPF on
 * an active interface sharing a segment or link with `router`: its neighbours that matter.
 */
export function expectedOspfPeers(lab: ResolvedLab, router: ResolvedNode): ResolvedNode[] {
  const announcing = new Set(lab.services.filter(announcedOverOspf).flatMap((s) => vipAnnouncers(lab, s).map((n) => n.name)));
  return lab.nodes.filter((n) => announcing.has(n.name) && sharedOspfAddresses(router, n).length > 0);
}

/** Addresses of `peer`'s active OSPF interfaces on the segments and links where `router` runs OSPF too. */
function sharedOspfAddresses(router: ResolvedNode, peer: ResolvedNode): string[] {
  const attachments = new Set(router.interfaces.filter((i) => i.ospf && !i.ospf.passive).map((i) => attachmentKey(i.attachment)));
  return peer.interfaces.filter((i) => i.ospf && !i.ospf.passive && attachments.has(attachmentKey(i.attachment))).map((i) => i.address);
}

function attachmentKey(a: ResolvedNode['interfaces'][number]['attachment']): string {
  return a.kind === 'segment' ? `segment:${a.segment}` : `link:${a.link}`;
}

/**
 * One check per director `router` should hear over OSPF, all judged from one reading of the
 * router's daemon (`read`); while that daemon does not answer, each check says so.
 */
async function checkPerPeer<T>(
  lab: ResolvedLab,
  router: ResolvedNode,
  kind: 'ospf' | 'bfd',
  daemon: string,
  read: () => Promise<T>,
  judge: (peer: ResolvedNode, state: T) => Omit<ReadinessCheck, 'name'>,
): Promise<ReadinessCheck[]> {
  const peers = expectedOspfPeers(lab, router);
  if (peers.length === 0) return [];
  const state = await read().catch(() => undefined);
  return peers.map((peer) => {
    const name = `${kind} ${router.name}~${peer.name}`;
    if (state === undefined) return { name, ok: false, detail: `${daemon} on ${router.name} does not answer yet` };
    return { name, ...judge(peer, state) };
  });
}

function checkAdjacencies(runtime: Runtime, lab: ResolvedLab, router: ResolvedNode): Promise<ReadinessCheck[]> {
  return checkPerPeer(lab, router, 'ospf', 'ospfd', () => readOspfNeighbors(runtime, lab, router.name), (peer, neighbors) => {
    const entry = neighbors.find((n) => n.routerId === peer.ospf!.routerId);
    if (!entry) return { ok: false, detail: `${router.name} has no OSPF neighbour ${peer.ospf!.routerId} (${peer.name}) yet` };
    const ok = entry.state.startsWith('Full');
    return { ok, detail: `${router.name} sees ${peer.name} (${entry.routerId}) ${entry.state}${ok ? '' : ', expected Full'}` };
  });
}

/**
 * The router's bfdd has a session up with each of the director's addresses it shares with
 * the router (ospfd asks for one per neighbour once it is 2-Way).
 */
function checkBfdSessions(runtime: Runtime, lab: ResolvedLab, router: ResolvedNode): Promise<ReadinessCheck[]> {
  return checkPerPeer(lab, router, 'bfd', 'bfdd', () => readBfdPeers(runtime, lab, router.name), (peer, sessions) => {
    const states = sharedOspfAddresses(router, peer).map((address) => ({ address, status: sessions.find((s) => s.peer === address)?.status }));
    const ok = states.every((s) => s.status === 'up');
    const said = states.map((s) => `${s.address} ${s.status ?? 'no session yet'}`).join(', ');
    return { ok, detail: `${router.name}'s BFD session with ${peer.name}: ${said}${ok ? '' : ', expected up'}` };
  });
}

/** The next hops a router's route to an OSPF-announced VIP should have: one per announcer, up to maximum-paths. */
export function expectedNextHops(lab: ResolvedLab, service: ResolvedService): number {
  return Math.min(vipAnnouncers(lab, service).length, lab.ospf.maxPaths);
}

async function checkVipRoutes(runtime: Runtime, lab: ResolvedLab, router: ResolvedNode): Promise<ReadinessCheck[]> {
  const services = lab.services.filter(announcedOverOspf);
  return Promise.all(
    services.map(async (svc) => {
      const name = `route ${router.name} ${svc.vip}/32`;
      const want = expectedNextHops(lab, svc);
      const route = await readKernelRoute(runtime, lab.instance, router.name, `${svc.vip}/32`).catch(() => undefined);
      if (!route) return { name, ok: false, detail: `${router.name} has no kernel route to ${svc.vip}/32 yet (want ${want} next hops)` };
      const hops = nextHopsOf(route);
      const have = hops.length;
      const via = hops.join(', ');
      return {
        name,
        ok: have === want,
        detail: `${router.name}: ${svc.vip}/32 has ${have} next hop${have === 1 ? '' : 's'} (via ${via}), want ${want}`,
      };
    }),
  );
}

/**
 * A VRRP pair is ready when exactly one director holds the VIP and every router on its
 * segment sends to that director: its neighbour entry for the VIP names the holder's MAC.
 * The entry appears once the router forwards a first packet to the VIP (the clients'
 * reach checks send one).
 */
async function checkVrrp(runtime: Runtime, lab: ResolvedLab, service: ResolvedService): Promise<ReadinessCheck[]> {
  const name = `vrrp ${service.name}`;
  const holders = await readVipHolders(runtime, lab, service).catch((err: unknown) => err as Error);
  if (holders instanceof Error) return [{ name, ok: false, detail: `cannot read who holds ${service.vip}: ${holders.message}` }];
  const master = holders.length === 1 ? holders[0]! : undefined;
  let detail: string;
  if (master) detail = `${master} holds ${service.vip} (MASTER)`;
  else if (holders.length === 0) detail = `no director holds ${service.vip} yet (VRRP has not elected a MASTER among ${service.directors.join(', ')})`;
  else detail = `${holders.join(' and ')} all hold ${service.vip}, want exactly one`;
  const holding: ReadinessCheck = { name, ok: master !== undefined, detail };
  const neighbours = await Promise.all(
    vipNeighbourRouters(lab, service).map(async (router): Promise<ReadinessCheck> => {
      const check = `neighbour ${router.name} ${service.vip}`;
      const entry = await readNeighbour(runtime, lab.instance, router.name, service.vip).catch(() => undefined);
      const pointsAt = directorWithMac(lab, entry?.lladdr);
      if (!entry || !neighbourResolved(entry)) {
        return { name: check, ok: false, detail: `${router.name} has no resolved neighbour entry for ${service.vip} yet${entry ? ` (${entry.state.join(',')})` : ''}` };
      }
      const ok = master !== undefined && pointsAt === master;
      return {
        name: check,
        ok,
        detail: `${router.name}: ${service.vip} is at ${entry.lladdr} (${pointsAt ?? 'no director'}, ${entry.state.join(',')})${ok ? '' : `, want ${master ?? 'the MASTER'}'s MAC`}`,
      };
    }),
  );
  return [holding, ...neighbours];
}

async function checkHealth(runtime: Runtime, lab: ResolvedLab, director: ResolvedNode, dataplane: Dataplane): Promise<ReadinessCheck[]> {
  const services = lab.services.filter((s) => s.directors.includes(director.name));
  if (dataplane === 'ipvs') {
    const r = await runtime.exec(lab.instance, director.name, ['ipvsadm', '-Ln']);
    const table = r.code === 0 ? parseIpvsadmList(r.stdout) : undefined;
    return services.map((svc) => {
      const name = `health ${director.name} ${svc.name}`;
      if (!table) return { name, ok: false, detail: `ipvsadm on ${director.name} failed: ${r.stderr.trim()}` };
      const vs = table.find((v) => v.address === `${svc.vip}:${svc.port}` && v.protocol === svc.protocol.toUpperCase());
      if (!vs) return { name, ok: false, detail: `${director.name}: no IPVS service ${svc.vip}:${svc.port} yet` };
      const mine = realServersOf(svc, director.name);
      const missing = mine
        .filter((rs) => rs.weight > 0)
        .filter((rs) => !vs.realServers.some((x) => x.address === `${rs.address}:${rs.port}` && x.weight > 0))
        .map((rs) => rs.node);
      return {
        name,
        ok: missing.length === 0,
        detail: missing.length === 0
          ? `${director.name}: all ${mine.length} real servers of ${svc.name} in IPVS`
          : `${director.name}: ${missing.join(', ')} not (yet) active in IPVS for ${svc.name}`,
      };
    });
  }
  const health = await readFallbackHealth(runtime, lab, director.name);
  return services.map((svc) => {
    const name = `health ${director.name} ${svc.name}`;
    if (!health) return { name, ok: false, detail: `${director.name}: health checker has not reported yet` };
    const mine = realServersOf(svc, director.name);
    const down = mine.filter((rs) => rs.weight > 0 && health.get(svc.name)?.get(rs.node) !== true).map((rs) => rs.node);
    return {
      name,
      ok: down.length === 0,
      detail: down.length === 0
        ? `${director.name}: all ${mine.length} real servers of ${svc.name} healthy`
        : `${director.name}: ${down.join(', ')} not healthy for ${svc.name}`,
    };
  });
}

async function checkReach(runtime: Runtime, lab: ResolvedLab, client: ResolvedNode): Promise<ReadinessCheck[]> {
  return Promise.all(
    lab.services
      .filter((s) => s.protocol === 'tcp')
      .map(async (svc) => {
        const name = `reach ${client.name} ${svc.name}`;
        const r = await runtime.exec(lab.instance, client.name, [
          'curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '1', `http://${svc.vip}:${svc.port}/`,
        ]);
        const ok = r.stdout.trim() === '200';
        return { name, ok, detail: `${client.name} -> ${svc.vip}:${svc.port}: ${ok ? 'HTTP 200' : `no answer (${r.stdout.trim() || `curl exit ${r.code}`})`}` };
      }),
  );
}
