// What the running kernel offers a director: kernel IPVS, or only the nftables fallback
// (and, for the fallback's TUN forwarding, ipip tunnels).
import { access, readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { haveCommand, run } from '../util/exec.js';

export interface KernelFeature {
  available: boolean;
  /** One sentence for the user: what was found and what lvslab does about it. */
  detail: string;
}

const IPVS_PROC = '/proc/net/ip_vs';

/** True when /proc/net/ip_vs exists, after trying to load the module. */
export async function detectIpvs(): Promise<KernelFeature> {
  await tryModprobe('ip_vs');
  if (await exists(IPVS_PROC)) return { available: true, detail: `kernel IPVS is available (${IPVS_PROC} exists)` };
  const why = await whyMissing('CONFIG_IP_VS', 'ip_vs');
  return { available: false, detail: `kernel has no IP_VS (${why})` };
}

/**
 * ipip tunnels, which the fallback needs for TUN forwarding. The ipip module has a
 * parameter, so /sys/module/ipip exists whether it is built in or loaded.
 */
export async function detectIpipTunnels(): Promise<KernelFeature> {
  await tryModprobe('ipip');
  if (await exists('/sys/module/ipip')) return { available: true, detail: 'kernel has ipip tunnels' };
  const why = await whyMissing('CONFIG_NET_IPIP', 'ipip');
  return { available: false, detail: `kernel has no ipip tunnels (${why})` };
}

async function tryModprobe(module: string): Promise<void> {
  // Failure is expected on kernels without modules; only the result on disk matters.
  if (await haveCommand('modprobe')) await run(['modprobe', '-q', module], { timeoutMs: 10_000 });
}

/** Reads the kernel's own configuration when it is published, to say why a feature is missing. */
async function whyMissing(option: string, module: string): Promise<string> {
  const config = await kernelConfig();
  if (config !== undefined) {
    if (config.includes(`# ${option} is not set`)) return `${option} not set`;
    if (config.includes(`${option}=m`)) return `${option}=m but the ${module} module could not be loaded`;
  }
  return `no ${module} support found after trying to load the ${module} module`;
}

async function kernelConfig(): Promise<string | undefined> {
  try {
    return gunzipSync(await readFile('/proc/config.gz')).toString('utf8');
  } catch {
    return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
