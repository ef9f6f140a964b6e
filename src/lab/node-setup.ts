// What runs on each node, and how it is started: the rendered config files and the
// daemon command lines. Planning (planNode) is pure: the runtime carries the plan out
// (lab/up.ts), and the tests check plans without a host.
import type { Dataplane, NodePaths, ResolvedLab, ResolvedNode } from '../model/types.js';
import { frrLogFile, renderFrrConf, renderFrrDaemonConfs, runsBfd } from '../render/frr.js';
import { renderKeepalivedConf, runsKeepalived } from '../render/keepalived.js';
import { nginxFiles, renderNginxConf } from '../render/nginx.js';
import type { DaemonSpec, Runtime } from '../runtime/runtime.js';
import { healthdArgv, healthdFiles, healthdScriptIn } from '../dataplane/healthd-types.js';
import { healthdConfigFor } from './dataplane-state.js';
import { FRR_HOST_DIRS } from '../host/frr-dirs.js';

export interface PlannedFile {
  path: string;
  content: string;
  /** Owner inside the node (FRR drops privileges to `frr` and must read its config). */
  owner?: string;
}

export interface NodePlan {
  node: string;
  /** Directories to create first, with owner. */
  dirs: Array<{ path: string; owner?: string }>;
  files: PlannedFile[];
  /**
   * Started first on every node (FRR): OSPF's timers run from their start, so they go
   * before anything that competes for the CPU. Then the service daemons (nginx,
   * keepalived or the fallback's health daemon). Each list is in start order.
   */
  routingDaemons: DaemonSpec[];
  serviceDaemons: DaemonSpec[];
  /** Paths of the logs experiments read (src/logs picks each parser by the file's name). */
  logs: string[];
}

export function runsFrr(node: ResolvedNode): boolean {
  return node.ospf !== undefined;
}

function runsNginx(node: ResolvedNode): boolean {
  return node.role === 'realserver' && node.serves.length > 0;
}

function runsDirectorDataplane(node: ResolvedNode): boolean {
  return node.role === 'director' && node.directs.length > 0;
}

/** FRR's daemons on a node, in start order (see planNode). */
function frrDaemonsOf(lab: Pick<ResolvedLab, 'ospf'>, node: ResolvedNode): Array<'zebra' | 'bfdd' | 'ospfd'> {
  if (!runsFrr(node)) return [];
  return runsBfd(lab, node) ? ['zebra', 'bfdd', 'ospfd'] : ['zebra', 'ospfd'];
}

/** Names of the daemons planNode starts on a node, without rendering anything. */
export function daemonsOf(lab: Pick<ResolvedLab, 'services' | 'ospf'>, node: ResolvedNode, dataplane: Dataplane): string[] {
  return [
    ...frrDaemonsOf(lab, node),
    ...(runsNginx(node) ? ['nginx'] : []),
    ...(runsKeepalived(lab, node, dataplane) ? ['keepalived'] : []),
    ...(runsDirectorDataplane(node) && dataplane === 'nftables' ? ['healthd'] : []),
  ];
}

export function planNode(lab: ResolvedLab, node: ResolvedNode, paths: NodePaths, dataplane: Dataplane): NodePlan {
  const plan: NodePlan = {
    node: node.name,
    dirs: [
      { path: paths.conf },
      { path: paths.run },
      { path: paths.log, owner: runsFrr(node) ? 'frr' : undefined },
    ],
    files: [],
    routingDaemons: [],
    serviceDaemons: [],
    logs: [],
  };

  if (runsFrr(node)) {
    plan.dirs.push({ path: paths.frrVtyDir, owner: 'frr' });
    // Each daemon reads only its own lines: given the integrated file, each would log
    // "No such command" for every line of the others into frr.log, which experiments parse.
    // frr.conf is still written, for people: it is the whole configuration in one place.
    const daemonConfs = renderFrrDaemonConfs(lab, node, paths);
    const daemons = frrDaemonsOf(lab, node);
    const confFile = (daemon: (typeof daemons)[number]): string => `${paths.conf}/${daemon}.conf`;
    plan.logs.push(frrLogFile(paths));
    plan.files.push(
      { path: `${paths.conf}/frr.conf`, content: renderFrrConf(lab, node, paths), owner: 'frr' },
      ...daemons.map((daemon) => ({ path: confFile(daemon), content: daemonConfs[daemon], owner: 'frr' })),
    );
    const privateRun = `${paths.run}/frr-rundir`;
    const privateTmp = `${paths.run}/frr-tmpdir`;
    plan.dirs.push({ path: privateRun, owner: 'frr' }, { path: privateTmp, owner: 'frr' });
    // No -N pathspace: it may not contain dots, and is not needed — sockets and pid files
    // are given explicitly and /run/frr is node-private (privateDirs below).
    const sockets = ['-z', `${paths.frrVtyDir}/zserv.api`, '--vty_socket', paths.frrVtyDir];
    // bfdd before ospfd: ospfd registers each neighbour's session through zebra as the
    // neighbour comes up, and bfdd is then already there to take it. Its control socket
    // is named like the others rather than left at FRR's default under /run/frr.
    const daemonOptions = { zebra: [], ospfd: [], bfdd: ['--bfdctl', `${paths.frrVtyDir}/bfdd.sock`] };
    for (const daemon of daemons) {
      const pidFile = `${paths.frrVtyDir}/${daemon}.pid`;
      plan.routingDaemons.push({
        name: daemon,
        argv: [`/usr/lib/frr/${daemon}`, '-d', '-f', confFile(daemon), ...sockets, ...daemonOptions[daemon], '-i', pidFile],
        pidFile,
        selfDaemonizing: true,
        privateDirs: [
          { over: FRR_HOST_DIRS[0], source: privateRun },
          { over: FRR_HOST_DIRS[1], source: privateTmp },
        ],
      });
    }
  }

  if (runsNginx(node)) {
    const conf = `${paths.conf}/nginx.conf`;
    plan.files.push({ path: conf, content: renderNginxConf(lab, node, paths) });
    plan.logs.push(nginxFiles(paths).accessLog);
    plan.serviceDaemons.push({
      name: 'nginx',
      // -e: nginx opens its error log before reading the config; keep it out of /var/log.
      argv: ['nginx', '-e', `${paths.log}/nginx-error.log`, '-c', conf],
      pidFile: `${paths.run}/nginx.pid`,
      selfDaemonizing: true,
    });
  }

  if (runsDirectorDataplane(node)) {
    // keepalived: IPVS and its health checks, and VRRP on either dataplane (on the fallback
    // it holds the VIP only, and the health daemon below does the rest).
    if (runsKeepalived(lab, node, dataplane)) {
      const conf = `${paths.conf}/keepalived.conf`;
      plan.files.push({ path: conf, content: renderKeepalivedConf(lab, node, paths, dataplane) });
      const log = `${paths.log}/keepalived.log`;
      plan.logs.push(log);
      plan.serviceDaemons.push({
        name: 'keepalived',
        // In the foreground (-n) with console logging (-l, -D detail, -G no syslog): the
        // runtime keeps its output in keepalived.log, where experiments read the checker's
        // timestamped decisions and the VRRP state changes.
        // stdbuf: keepalived's checker child writes through stdio, which is block-buffered
        // when stdout is a file; line buffering (inherited by the children) puts every
        // decision in the log when it is made.
        argv: [
          'stdbuf', '-oL', '-eL',
          'keepalived', '-n', '-l', '-D', '-G', '-f', conf,
          '-p', `${paths.run}/keepalived.pid`, '-c', `${paths.run}/keepalived-checkers.pid`, '-r', `${paths.run}/keepalived-vrrp.pid`,
        ],
        pidFile: `${paths.run}/keepalived.pid.lvslab`,
        selfDaemonizing: false,
        logFile: log,
      });
    }
    if (dataplane === 'nftables') {
      // No kernel IPVS: lvslab's health daemon programs the nftables fallback and runs
      // keepalived-style checks (src/dataplane/healthd.ts).
      const files = healthdFiles(paths);
      plan.files.push({ path: files.config, content: JSON.stringify(healthdConfigFor(lab, node, paths), null, 2) + '\n' });
      plan.serviceDaemons.push({ name: 'healthd', argv: healthdArgv(files.config, healthdScriptIn(paths.lvslab.dist), paths.lvslab.node), pidFile: files.pid, selfDaemonizing: false, logFile: files.log });
      plan.logs.push(files.log);
    }
  }
  return plan;
}

/** Writes the node's files and starts its routing daemons, in order. */
export async function startRouting(runtime: Runtime, instance: string, plan: NodePlan): Promise<void> {
  await runtime.makeDirs(instance, plan.node, plan.dirs);
  await Promise.all(plan.files.map((f) => runtime.writeFile(instance, plan.node, f.path, f.content, { owner: f.owner })));
  for (const d of plan.routingDaemons) await runtime.startDaemon(instance, plan.node, d);
}

/** Starts the node's service daemons (after startRouting). */
export async function startServices(runtime: Runtime, instance: string, plan: NodePlan): Promise<void> {
  for (const d of plan.serviceDaemons) await runtime.startDaemon(instance, plan.node, d);
}
