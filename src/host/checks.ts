// What this host has, each with the exact fix: the kit every check is made of, and the
// checks every runtime needs (root, iproute2, the kernel's IPVS). Each runtime brings its own
// checks in its registry entry (src/runtime/registry.ts); src/host/requirements.ts puts
// them together for `doctor` and for `up`'s preflight.
import { detectIpvs } from '../dataplane/detect.js';
import { hostHasCommand, type LabHost } from './host.js';
import type { RuntimeSettings } from '../runtime/runtime.js';

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
 * A check and who needs it: `up` runs the `always` ones plus those of its dataplane, and
 * `keepalived` ones wherever keepalived runs (kernel IPVS, or a VRRP-held VIP on either
 * dataplane); `doctor` runs all of them, `doctor`-only ones included.
 */
export interface HostRequirement {
  neededBy: 'always' | 'ipvs' | 'nftables' | 'keepalived' | 'doctor';
  /**
   * Checks the lab host: this machine, or the one --host names. `settings` are the runtime
   * flags doctor was given (GNS3's server, computes and compute hosts); empty for `up`.
   */
  check: (host: LabHost, settings: RuntimeSettings) => Promise<HostCheck>;
  /** Only means something on a host reached over SSH (doctor leaves it out for this machine). */
  remoteOnly?: true;
}

const INSTALL = 'scripts/install-deps.sh   (or: apt-get install -y';

export async function commandCheck(host: LabHost, id: string, cmd: string, pkg: string, optional = false): Promise<HostCheck> {
  const ok = await hostHasCommand(host, cmd);
  return { id, ok, detail: ok ? `${cmd} found` : `${cmd} not found`, fix: ok ? undefined : `${INSTALL} ${pkg})`, optional };
}

export async function fileCheck(host: LabHost, id: string, path: string, pkg: string): Promise<HostCheck> {
  const ok = (await host.run(['test', '-x', path])).code === 0;
  return { id, ok, detail: ok ? `${path} found` : `${path} missing`, fix: ok ? undefined : `${INSTALL} ${pkg})` };
}

export async function checkRoot(host: LabHost): Promise<HostCheck> {
  if (host.remote) {
    const ok = (await host.run(['id', '-u'])).stdout.trim() === '0';
    return {
      id: 'root',
      ok,
      detail: ok ? `logged in to ${host.label} as root` : `${host.label} is not a root login: namespaces, interfaces and daemons need root there`,
      fix: ok ? undefined : `--host root@${host.label.replace(/^[^@]*@/, '')}   (with your key in root's ~/.ssh/authorized_keys)`,
    };
  }
  const ok = process.getuid?.() === 0;
  return {
    id: 'root',
    ok,
    detail: ok ? 'running as root' : 'not running as root: namespaces, interfaces and daemons need it',
    fix: ok ? undefined : 'sudo lvslab ...',
  };
}

export async function checkIpvs(host: LabHost): Promise<HostCheck> {
  const ipvs = await detectIpvs(host);
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
export async function checkTcpdump(host: LabHost): Promise<HostCheck> {
  const found = await commandCheck(host, 'tcpdump', 'tcpdump', 'tcpdump', true);
  return found.ok ? found : { ...found, detail: `${found.detail} (only run --capture needs it)` };
}

/** Per-command round trip on a remote lab host above which doctor warns (an up runs hundreds of commands). */
const SLOW_COMMAND_MS = 200;

/**
 * On a remote lab host: how long one command takes there (median of 5 `true`s over the
 * connection), since sshd runs each through the login shell and its rc files.
 */
export async function checkCommandLatency(host: LabHost): Promise<HostCheck> {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await host.run(['true']);
    times.push(performance.now() - t0);
  }
  const median = times.sort((a, b) => a - b)[2]!;
  const ok = median <= SLOW_COMMAND_MS;
  return {
    id: 'ssh-latency',
    ok,
    optional: true,
    detail: `one command on ${host.label} takes ${median.toFixed(0)} ms (median of 5)${ok ? '' : `: slow; an up runs hundreds`}`,
    fix: ok ? undefined : "make the login shell's rc files (root's ~/.bashrc: pyenv init, nvm, ...) quick and quiet for non-interactive shells; sshd runs every command through them",
  };
}

/** What every runtime needs of this host, whichever runs the nodes. */
export const HOST_WIDE_REQUIREMENTS: readonly HostRequirement[] = [
  { neededBy: 'always', check: checkRoot },
  { neededBy: 'always', check: (host) => commandCheck(host, 'iproute2', 'ip', 'iproute2') },
  // `up` probes IPVS itself when it decides the dataplane.
  { neededBy: 'doctor', check: checkIpvs },
  { neededBy: 'doctor', check: checkCommandLatency, remoteOnly: true },
];
