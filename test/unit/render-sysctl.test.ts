import { afterAll, describe, expect, it } from 'vitest';
import type { ResolvedLab, ResolvedNode } from '../../src/model/types.js';
import { renderSysctls, type Sysctl } from '../../src/render/sysctl.js';
import { runOk } from '../../src/util/exec.js';
import { lvsDrResolved } from '../fixtures/lvs-dr.resolved.js';
import { ospfEcmpResolved } from '../fixtures/ospf-ecmp.resolved.js';
import {
  cloneLab,
  createNamespace,
  deleteNamespace,
  expectGolden,
  FIXTURES,
  inNamespace,
  nodeOf,
  testNamespace,
} from './render-support.js';

const created: string[] = [];
afterAll(async () => {
  for (const ns of created) await deleteNamespace(ns);
});

const asText = (sysctls: Sysctl[]): string => sysctls.map(([k, v]) => `${k} = ${v}`).join('\n') + '\n';
const valueOf = (sysctls: Sysctl[], key: string): string | undefined => sysctls.find(([k]) => k === key)?.[1];

/**
 * Applies `sysctls` in order inside a fresh namespace holding `node`'s interfaces, then reads
 * every key back: proves each key exists in a namespace and the final values are the
 * rendered ones (a later write undoing an earlier one would show here).
 */
async function applyAndReadBack(tag: string, node: ResolvedNode, sysctls: Sysctl[]): Promise<string[]> {
  const ns = testNamespace(tag);
  await deleteNamespace(ns);
  created.push(ns);
  await createNamespace(ns, node.interfaces.map((i) => i.name));
  await runOk(inNamespace(ns, ['sysctl', '-q', '-w', ...sysctls.map(([k, v]) => `${k}=${v}`)]));
  const out = await runOk(inNamespace(ns, ['sysctl', '-n', ...sysctls.map(([k]) => k)]));
  return out.trim().split('\n');
}

describe('renderSysctls', () => {
  for (const lab of FIXTURES) {
    for (const node of lab.nodes) {
      it(`${lab.instance}/${node.name} matches its golden file`, () => {
        expectGolden(`${lab.instance}/${node.name}/sysctl.conf`, asText(renderSysctls(lab, node, 'ipvs')));
      });
    }
  }

  it('does not depend on the dataplane (only IP-level settings here)', () => {
    for (const lab of FIXTURES) {
      for (const node of lab.nodes) expect(renderSysctls(lab, node, 'nftables')).toEqual(renderSysctls(lab, node, 'ipvs'));
    }
  });

  it('forwards on routers and directors only, and sets ip_forward first', () => {
    for (const lab of FIXTURES) {
      for (const node of lab.nodes) {
        const s = renderSysctls(lab, node, 'ipvs');
        expect(s[0]).toEqual(['net.ipv4.ip_forward', node.role === 'router' || node.role === 'director' ? '1' : '0']);
        const sendsRedirects = valueOf(s, 'net.ipv4.conf.all.send_redirects');
        expect(sendsRedirects).toBe(node.role === 'router' || node.role === 'director' ? '0' : undefined);
        expect(valueOf(s, 'net.ipv4.conf.all.rp_filter')).toBe('0');
        expect(valueOf(s, 'net.ipv4.conf.all.accept_redirects')).toBe('0');
      }
    }
  });

  it('hides the VIP from ARP on real servers only (seed 001: all and lo)', () => {
    const rs = renderSysctls(ospfEcmpResolved, nodeOf(ospfEcmpResolved, 'rs2'), 'ipvs');
    for (const scope of ['all', 'lo']) {
      expect(valueOf(rs, `net.ipv4.conf.${scope}.arp_ignore`)).toBe('1');
      expect(valueOf(rs, `net.ipv4.conf.${scope}.arp_announce`)).toBe('2');
    }
    // The lvs-dr director must keep answering ARP for the VIP it holds on lo.
    const director = renderSysctls(lvsDrResolved, nodeOf(lvsDrResolved, 'director'), 'ipvs');
    expect(director.some(([k]) => k.includes('arp_'))).toBe(false);
    // A NAT real server holds no VIP, so it needs no ARP tweaks.
    const nat = cloneLab(lvsDrResolved);
    nat.services[0]!.forwarding = 'nat';
    nodeOf(nat, 'rs1').loopbacks = [];
    expect(renderSysctls(nat, nodeOf(nat, 'rs1'), 'ipvs').some(([k]) => k.includes('arp_'))).toBe(false);
  });

  it('sets the router hash policy and proxy_arp from the model', () => {
    const lab = cloneLab(ospfEcmpResolved);
    const router = nodeOf(lab, 'router');
    expect(valueOf(renderSysctls(lab, router, 'ipvs'), 'net.ipv4.fib_multipath_hash_policy')).toBe('1');
    expect(valueOf(renderSysctls(lab, router, 'ipvs'), 'net.ipv4.conf.eth0.proxy_arp')).toBe('1');
    router.ecmpHash = 'l3';
    router.proxyArp = false;
    expect(valueOf(renderSysctls(lab, router, 'ipvs'), 'net.ipv4.fib_multipath_hash_policy')).toBe('0');
    expect(renderSysctls(lab, router, 'ipvs').some(([k]) => k.endsWith('proxy_arp'))).toBe(false);
  });
});

describe('renderSysctls keys exist and stick in a network namespace', () => {
  FIXTURES.forEach((lab: ResolvedLab, labIndex) => {
    lab.nodes.forEach((node, nodeIndex) => {
      it(`${lab.instance}/${node.name}`, async () => {
        const sysctls = renderSysctls(lab, node, 'ipvs');
        const values = await applyAndReadBack(`sy${labIndex}-${nodeIndex}`, node, sysctls);
        expect(values).toEqual(sysctls.map(([, v]) => v));
      });
    });
  });

  it('writes an interface name with a dot as sysctl expects', async () => {
    const lab = cloneLab(lvsDrResolved);
    const router = nodeOf(lab, 'router');
    router.interfaces[1]!.name = 'eth1.30';
    router.proxyArp = true;
    const sysctls = renderSysctls(lab, router, 'ipvs');
    expect(valueOf(sysctls, 'net.ipv4.conf.eth1/30.proxy_arp')).toBe('1');
    const values = await applyAndReadBack('sydot', router, sysctls);
    expect(values).toEqual(sysctls.map(([, v]) => v));
  });

  // The check must be able to fail: a key that does not exist is refused.
  it('rejects a key that does not exist', async () => {
    const node = nodeOf(ospfEcmpResolved, 'rs1');
    await expect(applyAndReadBack('sybad', node, [['net.ipv4.conf.eth9.rp_filter', '0']])).rejects.toThrow(/eth9/);
  });
});
