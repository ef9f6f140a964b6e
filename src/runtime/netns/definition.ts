// The netns runtime's registry entry: the nodes run the lab host's own programs, so their
// packages are this runtime's host requirements (checked on --host's machine when named).
import { checkTcpdump, commandCheck, fileCheck, type HostCheck } from '../../host/checks.js';
import type { RuntimeDefinition } from '../registry.js';
import { NetnsRuntime } from './netns-runtime.js';
import type { LabHost } from '../../host/host.js';
import { labHostOf } from '../../host/open.js';
import { missingFrrHostDirs } from '../../host/frr-dirs.js';

/** The lowest Node.js major that runs lvslab's programs (package.json's engines). */
const NODE_MAJOR = 20;

/** Node.js for the health daemon and traffic generator: this lvslab's own here, the host's `node` on a remote host. */
export async function checkNodeForPrograms(host: LabHost): Promise<HostCheck> {
  if (!host.remote) return { id: 'node', ok: true, detail: `lvslab's own Node.js ${process.version} runs its programs in the nodes` };
  const r = await host.run(['node', '--version']);
  const major = Number(/^v(\d+)\./.exec(r.stdout.trim())?.[1]);
  const ok = r.code === 0 && major >= NODE_MAJOR;
  return {
    id: 'node',
    ok,
    detail: r.code !== 0 ? `node not found on ${host.label} (the nodes run lvslab's health daemon and traffic generator with it)` : `node ${r.stdout.trim()} on ${host.label}${ok ? '' : `: lvslab's programs need ${NODE_MAJOR} or later`}`,
    fix: ok ? undefined : `on ${host.label}: apt-get install -y nodejs   (Debian 13 / Ubuntu 24.04 ship ${NODE_MAJOR}+; else NodeSource's packages)`,
  };
}

/** FRR's own runtime directories must exist: each FRR daemon gets node-private copies bound over them. */
export async function checkFrrDirs(host: LabHost): Promise<HostCheck> {
  const missing = await missingFrrHostDirs(host);
  return {
    id: 'frr-dirs',
    ok: missing.length === 0,
    detail: missing.length === 0 ? '/run/frr and /var/tmp/frr present' : `missing ${missing.join(', ')}`,
    fix: missing.length === 0 ? undefined : `install -d -o frr -g frr ${missing.join(' ')}   (scripts/install-deps.sh does it)`,
  };
}

export const netnsRuntime: RuntimeDefinition = {
  kind: 'netns',
  help: 'network namespaces on this host (or --host)',
  remoteHosts: true,
  open: async (settings) => new NetnsRuntime(await labHostOf(settings)),
  hostRequirements: [
    { neededBy: 'always', check: (host) => commandCheck(host, 'sysctl', 'sysctl', 'procps') },
    { neededBy: 'always', check: (host) => fileCheck(host, 'frr-zebra', '/usr/lib/frr/zebra', 'frr') },
    { neededBy: 'always', check: (host) => fileCheck(host, 'frr-ospfd', '/usr/lib/frr/ospfd', 'frr') },
    { neededBy: 'always', check: (host) => commandCheck(host, 'vtysh', 'vtysh', 'frr') },
    // Not `up`'s to require: it creates them itself (ensureFrrHostDirs), e.g. after a reboot emptied /run.
    { neededBy: 'doctor', check: checkFrrDirs },
    // A remote host's nodes run lvslab's programs with that host's own Node.js.
    { neededBy: 'always', check: checkNodeForPrograms },
    { neededBy: 'always', check: (host) => commandCheck(host, 'nginx', 'nginx', 'nginx-light') },
    { neededBy: 'always', check: (host) => commandCheck(host, 'curl', 'curl', 'curl') },
    { neededBy: 'nftables', check: (host) => commandCheck(host, 'nftables', 'nft', 'nftables') },
    { neededBy: 'keepalived', check: (host) => commandCheck(host, 'keepalived', 'keepalived', 'keepalived') },
    { neededBy: 'ipvs', check: (host) => commandCheck(host, 'ipvsadm', 'ipvsadm', 'ipvsadm') },
    // Only `run --capture` needs it, and checks it itself before it creates anything.
    { neededBy: 'doctor', check: checkTcpdump },
  ],
  // Its namespaces, and every instance directory whichever runtime wrote it (the instance
  // records live there): the run directory is read once for all runtimes.
  findInstances: async (settings) => new NetnsRuntime(await labHostOf(settings)).listInstances(),
  destroyByName: async (instance, _recorded, settings, opts) => new NetnsRuntime(await labHostOf(settings)).destroy(instance, opts),
};
