// What one node's container needs, as containerlab can express it: the files to bind-mount
// at CONTAINER_BASE, node-wide sysctls, and the `exec:` lines containerlab runs inside the
// container once its links exist. Built from the same pieces `lvslab up` uses (planNode,
// renderSysctls, renderNodeNetwork), so both runtimes configure a node the same way.
//
// containerlab splits each exec line like a POSIX shell would (quotes, no expansion) and runs
// it without a shell; it also expands `$VAR` and Go template braces anywhere in the topology
// file. Every word written here is therefore checked to be a plain token (commandLine), and
// the one shell used (to start a foreground daemon in the background) gets a fixed script
// made of such tokens.
import { planNode, type NodePlan } from '../lab/node-setup.js';
import { FRR_HOST_DIRS } from '../host/frr-dirs.js';
import type { Dataplane, NodePaths, ResolvedLab, ResolvedNode } from '../model/types.js';
import { renderNodeNetwork } from '../render/network.js';
import { renderSysctls, type Sysctl } from '../render/sysctl.js';
import type { DaemonSpec } from '../runtime/runtime.js';
import { CONTAINER_BASE, containerNodePaths, IMAGE_LVSLAB_DIR } from '../images/node-image.js';

/** A file of the export, its path relative to the export directory. */
export interface ExportFile {
  path: string;
  content: string;
}

export interface ContainerNodeSetup {
  node: string;
  /** Written below `<node>/`, which the container sees at CONTAINER_BASE. */
  files: ExportFile[];
  /** Node-wide sysctls for containerlab's `sysctls:` (set when the container is created). */
  sysctls: Record<string, string>;
  /** containerlab `exec:` lines, in the order they must run. */
  exec: string[];
}

/**
 * `lab` must already carry the containers' interface names (withContainerInterfaceNames):
 * every config, sysctl key and `ip` command below names interfaces as given.
 */
export function containerNodeSetup(lab: ResolvedLab, node: ResolvedNode, dataplane: Dataplane): ContainerNodeSetup {
  const paths = containerNodePaths(`${IMAGE_LVSLAB_DIR}/dist`);
  const plan = planNode(lab, node, paths, dataplane);
  const sysctls = renderSysctls(lab, node, dataplane);
  return {
    node: node.name,
    files: plan.files.map((f) => ({ path: `${node.name}/${pathBelowBase(f.path)}`, content: f.content })),
    sysctls: Object.fromEntries(sysctls.filter(([key]) => isNodeWide(key))),
    exec: [
      ...sysctlLines(sysctls),
      ...networkLines(lab, node),
      ...directoryLines(plan, paths),
      ...[...plan.routingDaemons, ...plan.serviceDaemons].map(daemonLine),
    ],
  };
}

/**
 * Every sysctl again, in renderSysctls' order: Docker applies the `sysctls:` map in no
 * particular order, and writing ip_forward rewrites conf.all.accept_redirects. Interface
 * keys can only be written here anyway: the lab's interfaces do not exist yet when Docker
 * creates the container.
 */
function sysctlLines(sysctls: Sysctl[]): string[] {
  return sysctls.map(([key, value]) => commandLine(['sysctl', '-q', '-w', `${key}=${value}`]));
}

/** Keys that exist before containerlab adds the lab's interfaces. */
function isNodeWide(key: string): boolean {
  const m = /^net\.ipv4\.conf\.([^.]+)\./.exec(key);
  return !m || m[1] === 'all' || m[1] === 'default';
}

function networkLines(lab: ResolvedLab, node: ResolvedNode): string[] {
  return [
    // Docker's default route points into containerlab's management network: lab traffic
    // must never leave that way, and a lab default route could not be added beside it.
    // The management subnet itself stays reachable (connected route on eth0).
    commandLine(['ip', '-4', 'route', 'flush', 'exact', '0.0.0.0/0']),
    ...renderNodeNetwork(lab, node).map((line) => commandLine(['ip', ...line.split(' ')])),
  ];
}

function directoryLines(plan: NodePlan, paths: NodePaths): string[] {
  const lines = [
    // Pid files and sockets of a previous deployment would make daemons refuse to start.
    commandLine(['rm', '-rf', paths.run]),
    commandLine(['mkdir', '-p', ...plan.dirs.map((d) => d.path)]),
  ];
  const owned = new Map<string, string[]>();
  const own = (owner: string | undefined, path: string): void => {
    if (owner) owned.set(owner, [...(owned.get(owner) ?? []), path]);
  };
  for (const d of plan.dirs) own(d.owner, d.path);
  for (const f of plan.files) own(f.owner, f.path);
  if (plan.routingDaemons.length > 0) {
    // The netns runtime bind-mounts node-private copies over these; a container has its
    // own, but a minimal image may lack them (FRR writes ospfd-gr.json and crash logs there).
    lines.push(commandLine(['mkdir', '-p', ...FRR_HOST_DIRS]));
    for (const dir of FRR_HOST_DIRS) own('frr', dir);
  }
  for (const [owner, targets] of owned) lines.push(commandLine(['chown', `${owner}:${owner}`, ...targets]));
  return lines;
}

/**
 * The exec line that starts one daemon. Self-daemonizing programs (FRR -d, nginx) return
 * once they run in the background. Foreground ones (keepalived -n, healthd) are detached
 * with `setsid -f`, their output appended to their log as the netns runtime does: exec
 * waits for the command's output to end, so a foreground daemon would block the deployment.
 */
function daemonLine(spec: DaemonSpec): string {
  const argv = spec.argv;
  if (spec.selfDaemonizing) return commandLine(argv);
  const log = spec.logFile ?? '/dev/null';
  const script = `exec ${commandLine(argv)} >>${commandLine([log])} 2>&1 </dev/null`;
  return `setsid -f sh -c '${script}'`;
}

/** A path planNode put below CONTAINER_BASE, relative to it. */
function pathBelowBase(path: string): string {
  const prefix = `${CONTAINER_BASE}/`;
  if (!path.startsWith(prefix)) throw new Error(`node file ${path} lies outside ${CONTAINER_BASE}`);
  return path.slice(prefix.length);
}

/**
 * Words containerlab passes through unchanged: no blanks, quotes, '$', braces, '#' or
 * other characters a shell-like split or containerlab's variable expansion would touch.
 */
const PLAIN_TOKEN = /^[A-Za-z0-9_./:=@%+,-]+$/;

/** Joins words into an exec line, refusing any word that is not a plain token. */
export function commandLine(argv: readonly string[]): string {
  for (const word of argv) {
    if (!PLAIN_TOKEN.test(word)) throw new Error(`cannot write ${JSON.stringify(word)} into a containerlab exec line`);
  }
  return argv.join(' ');
}
