// What this host has, each with the exact fix. `lvslab doctor` prints all of them; `up`
// runs the ones its lab needs before it changes anything.
import { access, constants } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { detectIpvs } from '../dataplane/detect.js';
import { haveCommand } from '../util/exec.js';
import { requireEngine } from '../docker/engine.js';
import { CONTAINERLAB_INSTALL_HINT } from '../runtime/containerlab/containerlab-runtime.js';
import type { LvslabError } from '../util/errors.js';

export interface HostCheck {
  id: string;
  ok: boolean;
  /** What was found. */
  detail: string;
  /** The exact command that fixes it (when not ok). */
  fix?: string;
  /** A missing optional part only limits what can run (e.g. Docker). */
  optional?: boolean;
}

const INSTALL = 'scripts/install-deps.sh   (or: apt-get install -y';

async function commandCheck(id: string, cmd: string, pkg: string, optional = false): Promise<HostCheck> {
  const ok = await haveCommand(cmd);
  return { id, ok, detail: ok ? `${cmd} found` : `${cmd} not found`, fix: ok ? undefined : `${INSTALL} ${pkg})`, optional };
}

async function fileCheck(id: string, path: string, pkg: string): Promise<HostCheck> {
  const ok = await access(path, constants.X_OK).then(() => true, () => false);
  return { id, ok, detail: ok ? `${path} found` : `${path} missing`, fix: ok ? undefined : `${INSTALL} ${pkg})` };
}

export async function checkRoot(): Promise<HostCheck> {
  const ok = process.getuid?.() === 0;
  return {
    id: 'root',
    ok,
    detail: ok ? 'running as root' : 'not running as root: namespaces, interfaces and daemons need it',
    fix: ok ? undefined : 'sudo lvslab ...',
  };
}

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

export async function checkIpvs(): Promise<HostCheck> {
  const ipvs = await detectIpvs();
  return {
    id: 'ip_vs',
    ok: ipvs.available,
    detail: ipvs.detail,
    fix: ipvs.available ? undefined : 'modprobe ip_vs (needs a kernel with CONFIG_IP_VS); without it lvslab uses its nftables fallback dataplane',
    optional: true,
  };
}

async function checkDocker(): Promise<HostCheck> {
  try {
    const { version } = await requireEngine();
    return { id: 'docker', ok: true, detail: `Docker engine ${version} answers (--runtime docker)`, optional: true };
  } catch (err) {
    const e = err as LvslabError;
    return { id: 'docker', ok: false, detail: `${e.message} (only needed for --runtime docker)`, fix: e.hint, optional: true };
  }
}

async function checkContainerlab(): Promise<HostCheck> {
  const ok = await haveCommand('containerlab');
  return {
    id: 'containerlab',
    ok,
    detail: ok ? 'containerlab found (--runtime containerlab)' : 'containerlab not installed (only needed for --runtime containerlab)',
    fix: ok ? undefined : CONTAINERLAB_INSTALL_HINT,
    optional: true,
  };
}

/**
 * Every host requirement once, with who needs it: `up` needs the `always` ones plus those
 * of its dataplane; `doctor` shows all. `forNodes` marks the programs the lab's nodes run:
 * on netns they come from this host, in containers from the node image, so container
 * runtimes do not ask the host for them. FRR's directories are not `up`'s to require: it
 * creates them itself (ensureFrrHostDirs), e.g. after a reboot emptied /run.
 */
const REQUIREMENTS: Array<{ neededBy: 'always' | 'ipvs' | 'nftables' | 'doctor'; forNodes?: true; check: () => Promise<HostCheck> }> = [
  { neededBy: 'always', check: checkRoot },
  { neededBy: 'always', check: () => commandCheck('iproute2', 'ip', 'iproute2') },
  { neededBy: 'always', forNodes: true, check: () => commandCheck('sysctl', 'sysctl', 'procps') },
  { neededBy: 'always', forNodes: true, check: () => fileCheck('frr-zebra', '/usr/lib/frr/zebra', 'frr') },
  { neededBy: 'always', forNodes: true, check: () => fileCheck('frr-ospfd', '/usr/lib/frr/ospfd', 'frr') },
  { neededBy: 'always', forNodes: true, check: () => commandCheck('vtysh', 'vtysh', 'frr') },
  { neededBy: 'doctor', check: async () => checkFrrDirs() },
  { neededBy: 'always', forNodes: true, check: () => commandCheck('nginx', 'nginx', 'nginx-light') },
  { neededBy: 'always', forNodes: true, check: () => commandCheck('curl', 'curl', 'curl') },
  { neededBy: 'nftables', forNodes: true, check: () => commandCheck('nftables', 'nft', 'nftables') },
  { neededBy: 'ipvs', forNodes: true, check: () => commandCheck('keepalived', 'keepalived', 'keepalived') },
  { neededBy: 'ipvs', forNodes: true, check: () => commandCheck('ipvsadm', 'ipvsadm', 'ipvsadm') },
  { neededBy: 'doctor', check: checkIpvs },
  { neededBy: 'doctor', check: checkDocker },
  { neededBy: 'doctor', check: checkContainerlab },
];

/** Everything `lvslab doctor` reports. */
export async function allHostChecks(): Promise<HostCheck[]> {
  return Promise.all(REQUIREMENTS.map((r) => r.check()));
}

/**
 * What `up` needs, probed once before the dataplane is decided; `missing(dataplane)` lists
 * the failed checks that dataplane needs.
 */
export async function upPreflight(opts: { nodesOnHost: boolean }): Promise<{ missing(dataplane: 'ipvs' | 'nftables'): HostCheck[] }> {
  const needed = REQUIREMENTS.filter((r) => r.neededBy !== 'doctor' && (opts.nodesOnHost || !r.forNodes));
  const results = await Promise.all(needed.map(async (r) => ({ neededBy: r.neededBy, check: await r.check() })));
  return {
    missing: (dataplane) => results.filter((r) => (r.neededBy === 'always' || r.neededBy === dataplane) && !r.check.ok).map((r) => r.check),
  };
}
