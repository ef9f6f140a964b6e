// Kernel feature detection: whatever this machine has, the answer must match /proc and
// say what lvslab does about it.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { detectIpipTunnels, detectIpvs } from '../../src/dataplane/detect.js';

describe('detectIpvs', () => {
  it('agrees with /proc/net/ip_vs and explains a fallback', async () => {
    const r = await detectIpvs();
    expect(r.available).toBe(existsSync('/proc/net/ip_vs'));
    if (r.available) expect(r.detail).toMatch(/IPVS is available/);
    else expect(r.detail).toMatch(/^kernel has no IP_VS \(.+\)$/);
  });

  it('names the kernel option when the kernel publishes its config', async () => {
    const r = await detectIpvs();
    if (!r.available && existsSync('/proc/config.gz')) expect(r.detail).toMatch(/CONFIG_IP_VS/);
  });
});

describe('detectIpipTunnels', () => {
  it('agrees with /sys/module/ipip', async () => {
    const r = await detectIpipTunnels();
    expect(r.available).toBe(existsSync('/sys/module/ipip'));
    if (!r.available) expect(r.detail).toMatch(/no ipip/);
  });
});
