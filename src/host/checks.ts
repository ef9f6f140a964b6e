// What this host has, each with the exact fix: the kit every check is made of, and the
// checks every runtime needs (root, iproute2, the kernel's IPVS). Each runtime brings its own
// checks in its registry entry (src/runtime/registry.ts); src/host/requirements.ts puts
// them together for `doctor` and for `up`'s preflight.
import { access, constants } from 'node:fs/promises';
import { detectIpvs } from '../dataplane/detect.js';
import { haveCommand } from '../util/exec.js';

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

/**
 * A check and who needs it: `up` runs the `always` ones plus those of its dataplane;
 * `doctor` runs all of them, `doctor`-only ones included.
 */
export interface HostRequirement {
  neededBy: 'always' | 'ipvs' | 'nftables' | 'doctor';
  check: () => Promise<HostCheck>;
}

const INSTALL = 'scripts/install-deps.sh   (or: apt-get install -y';

export async function commandCheck(id: string, cmd: string, pkg: string, optional = false): Promise<HostCheck> {
  const ok = await haveCommand(cmd);
  return { id, ok, detail: ok ? `${cmd} found` : `${cmd} not found`, fix: ok ? undefined : `${INSTALL} ${pkg})`, optional };
}

export async function fileCheck(id: string, path: string, pkg: string): Promise<HostCheck> {
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

/**
 * tcpdump on this host: `run --capture` runs it inside the nodes of a runtime without a
 * capture of its own, and netns nodes run this host's programs. Only --capture needs it.
 */
export async function checkTcpdump(): Promise<HostCheck> {
  const found = await commandCheck('tcpdump', 'tcpdump', 'tcpdump', true);
  return found.ok ? found : { ...found, detail: `${found.detail} (only run --capture needs it)` };
}

/** What every runtime needs of this host, whichever runs the nodes. */
export const HOST_WIDE_REQUIREMENTS: readonly HostRequirement[] = [
  { neededBy: 'always', check: checkRoot },
  { neededBy: 'always', check: () => commandCheck('iproute2', 'ip', 'iproute2') },
  // `up` probes IPVS itself when it decides the dataplane.
  { neededBy: 'doctor', check: checkIpvs },
];
