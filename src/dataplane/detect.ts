// What the running kernel offers a director: kernel IPVS, or only the nftables fallback
// (and, for the fallback's TUN forwarding, ipip tunnels).
import { gunzipSync } from 'node:zlib';
import { hostHasCommand, type LabHost } from '../host/host.js';
import { localHost } from '../host/local.js';

export interface KernelFeature {
  available: boolean;
  /** One sentence for the user: what was found and what lvslab does about it. */
  detail: string;
}

const IPVS_PROC = '/proc/net/ip_vs';

/** True when /proc/net/ip_vs exists on the lab host, after trying to load the module. */
export async function detectIpvs(host: LabHost = localHost): Promise<KernelFeature> {
  await tryModprobe(host, 'ip_vs');
  if (await host.exists(IPVS_PROC)) return { available: true, detail: `kernel IPVS is available (${IPVS_PROC} exists)` };
  const why = await whyMissing(host, 'CONFIG_IP_VS', 'ip_vs');
  return { available: false, detail: `kernel has no IP_VS (${why})` };
}

/**
 * ipip tunnels, which the fallback needs for TUN forwarding. The ipip module has a
 * parameter, so /sys/module/ipip exists whether it is built in or loaded. The health daemon
 * asks inside its node (localHost there).
 */
export async function detectIpipTunnels(host: LabHost = localHost): Promise<KernelFeature> {
  await tryModprobe(host, 'ipip');
  if (await host.exists('/sys/module/ipip')) return { available: true, detail: 'kernel has ipip tunnels' };
  const why = await whyMissing(host, 'CONFIG_NET_IPIP', 'ipip');
  return { available: false, detail: `kernel has no ipip tunnels (${why})` };
}

async function tryModprobe(host: LabHost, module: string): Promise<void> {
  // Failure is expected on kernels without modules; only the result on disk matters.
  if (await hostHasCommand(host, 'modprobe')) await host.run(['modprobe', '-q', module], { timeoutMs: 10_000 });
}

/** Reads the kernel's own configuration when it is published, to say why a feature is missing. */
async function whyMissing(host: LabHost, option: string, module: string): Promise<string> {
  const config = await kernelConfig(host);
  if (config !== undefined) {
    if (config.includes(`# ${option} is not set`)) return `${option} not set`;
    if (config.includes(`${option}=m`)) return `${option}=m but the ${module} module could not be loaded`;
  }
  return `no ${module} support found after trying to load the ${module} module`;
}

async function kernelConfig(host: LabHost): Promise<string | undefined> {
  const gz = await host.readFile('/proc/config.gz');
  try {
    return gz ? gunzipSync(gz).toString('utf8') : undefined;
  } catch {
    return undefined;
  }
}
