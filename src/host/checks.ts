// What this host has, each with the exact fix. `lvslab doctor` prints all of them; `up`
// runs the ones its lab needs before it changes anything.
import { access, constants } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { detectIpvs } from '../dataplane/detect.js';
import { haveCommand, run } from '../util/exec.js';

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
  const client = await haveCommand('docker');
  if (!client) return { id: 'docker', ok: false, detail: 'docker not installed (only needed for --runtime docker)', fix: 'apt-get install -y docker.io', optional: true };
  const r = await run(['docker', 'info', '--format', '{{.ServerVersion}}'], { timeoutMs: 5000 });
  const ok = r.code === 0;
  return {
    id: 'docker',
    ok,
    detail: ok ? `docker engine ${r.stdout.trim()} running` : 'docker client found but no engine answers',
    fix: ok ? undefined : 'start the engine: dockerd >/var/log/dockerd.log 2>&1 &   (or systemctl start docker)',
    optional: true,
  };
}

/** Everything `lvslab doctor` reports. */
export async function allHostChecks(): Promise<HostCheck[]> {
  return Promise.all([
    checkRoot(),
    commandCheck('iproute2', 'ip', 'iproute2'),
    commandCheck('sysctl', 'sysctl', 'procps'),
    fileCheck('frr-zebra', '/usr/lib/frr/zebra', 'frr'),
    fileCheck('frr-ospfd', '/usr/lib/frr/ospfd', 'frr'),
    commandCheck('vtysh', 'vtysh', 'frr'),
    Promise.resolve(checkFrrDirs()),
    commandCheck('nginx', 'nginx', 'nginx-light'),
    commandCheck('curl', 'curl', 'curl'),
    commandCheck('nftables', 'nft', 'nftables'),
    commandCheck('keepalived', 'keepalived', 'keepalived'),
    commandCheck('ipvsadm', 'ipvsadm', 'ipvsadm'),
    checkIpvs(),
    checkDocker(),
  ]);
}

/** The checks `up` needs to pass before it touches the host, for the chosen dataplane. */
export async function upPreflight(dataplane: 'ipvs' | 'nftables'): Promise<HostCheck[]> {
  const checks = await Promise.all([
    checkRoot(),
    commandCheck('iproute2', 'ip', 'iproute2'),
    commandCheck('sysctl', 'sysctl', 'procps'),
    fileCheck('frr-zebra', '/usr/lib/frr/zebra', 'frr'),
    fileCheck('frr-ospfd', '/usr/lib/frr/ospfd', 'frr'),
    commandCheck('vtysh', 'vtysh', 'frr'),
    Promise.resolve(checkFrrDirs()),
    commandCheck('nginx', 'nginx', 'nginx-light'),
    commandCheck('curl', 'curl', 'curl'),
    dataplane === 'ipvs' ? commandCheck('keepalived', 'keepalived', 'keepalived') : commandCheck('nftables', 'nft', 'nftables'),
    ...(dataplane === 'ipvs' ? [commandCheck('ipvsadm', 'ipvsadm', 'ipvsadm')] : []),
  ]);
  return checks.filter((c) => !c.ok);
}
