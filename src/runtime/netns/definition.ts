// The netns runtime's registry entry: the nodes run this host's own programs, so their
// packages are this runtime's host requirements.
import { existsSync } from 'node:fs';
import { checkTcpdump, commandCheck, fileCheck, type HostCheck } from '../../host/checks.js';
import type { RuntimeDefinition } from '../registry.js';
import { NetnsRuntime } from './netns-runtime.js';

/** FRR's own runtime directories must exist: each FRR daemon gets node-private copies bound over them. */
export function checkFrrDirs(): HostCheck {
  const missing = ['/run/frr', '/var/tmp/frr'].filter((d) => !existsSync(d));
  return {
    id: 'frr-dirs',
    ok: missing.length === 0,
    detail: missing.length === 0 ? '/run/frr and /var/tmp/frr present' : `missing ${missing.join(', ')}`,
    fix: missing.length === 0 ? undefined : `install -d -o frr -g frr ${missing.join(' ')}   (scripts/install-deps.sh does it)`,
  };
}

export const netnsRuntime: RuntimeDefinition = {
  kind: 'netns',
  help: 'network namespaces on this host',
  open: async () => new NetnsRuntime(),
  hostRequirements: [
    { neededBy: 'always', check: () => commandCheck('sysctl', 'sysctl', 'procps') },
    { neededBy: 'always', check: () => fileCheck('frr-zebra', '/usr/lib/frr/zebra', 'frr') },
    { neededBy: 'always', check: () => fileCheck('frr-ospfd', '/usr/lib/frr/ospfd', 'frr') },
    { neededBy: 'always', check: () => commandCheck('vtysh', 'vtysh', 'frr') },
    // Not `up`'s to require: it creates them itself (ensureFrrHostDirs), e.g. after a reboot emptied /run.
    { neededBy: 'doctor', check: async () => checkFrrDirs() },
    { neededBy: 'always', check: () => commandCheck('nginx', 'nginx', 'nginx-light') },
    { neededBy: 'always', check: () => commandCheck('curl', 'curl', 'curl') },
    { neededBy: 'nftables', check: () => commandCheck('nftables', 'nft', 'nftables') },
    { neededBy: 'ipvs', check: () => commandCheck('keepalived', 'keepalived', 'keepalived') },
    { neededBy: 'ipvs', check: () => commandCheck('ipvsadm', 'ipvsadm', 'ipvsadm') },
    // Only `run --capture` needs it, and checks it itself before it creates anything.
    { neededBy: 'doctor', check: checkTcpdump },
  ],
  // Its namespaces, and every instance directory whichever runtime wrote it (the instance
  // records live there): the run directory is read once for all runtimes.
  findInstances: () => new NetnsRuntime().listInstances(),
  destroyByName: (instance, _recorded, _settings, opts) => new NetnsRuntime().destroy(instance, opts),
};
