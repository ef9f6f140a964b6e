// What `keepalived --config-test` does on this host (no kernel IPVS), found by trying it:
//  - it parses virtual_server blocks completely (schedulers, forwarding methods, real
//    servers, checkers): a valid file exits 0 and prints nothing; an unknown keyword, a bad
//    number or scheduler exits 5 and prints "(FILE: Line N) ..." lines. It never touches IPVS.
//  - for vrrp_instance it also checks that `interface` exists in the current network
//    namespace, so VRRP configs are tested inside a throwaway namespace that has it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEDULERS, type Dataplane, type ResolvedLab } from '../../src/model/types.js';
import { loadLabFile, loadLabText } from '../../src/model/load.js';
import { renderKeepalivedConf, vrrpInterface } from '../../src/render/keepalived.js';
import { run } from '../../src/util/exec.js';
import { lvsDrResolved } from '../fixtures/lvs-dr.resolved.js';
import { ospfEcmpResolved } from '../fixtures/ospf-ecmp.resolved.js';
import {
  cloneLab,
  createNamespace,
  deleteNamespace,
  expectGolden,
  FIXTURES,
  goldenPaths,
  inNamespace,
  nodeOf,
  testNamespace,
} from './render-support.js';

const VRRP_NS = testNamespace('kad');
let tmp: string;
/** The catalogue's VRRP baseline, as the loader resolves it. */
let keepalivedVrrp: ResolvedLab;
beforeAll(async () => {
  keepalivedVrrp = await loadLabFile(fileURLToPath(new URL('../../labs/keepalived-vrrp.yaml', import.meta.url)));
  tmp = mkdtempSync(join(tmpdir(), 'lvtr-keepalived-'));
  await deleteNamespace(VRRP_NS);
  await createNamespace(VRRP_NS, ['eth0']);
});
afterAll(async () => {
  await deleteNamespace(VRRP_NS);
  rmSync(tmp, { recursive: true, force: true });
});

let fileCounter = 0;
/** `keepalived --config-test -f` on `text` (inside `ns` when given). */
async function configTest(text: string, ns?: string): Promise<{ code: number; output: string }> {
  const file = join(tmp, `keepalived-${fileCounter++}.conf`);
  writeFileSync(file, text);
  const argv = ['keepalived', '--config-test', '-f', file];
  const r = await run(ns ? inNamespace(ns, argv) : argv, { timeoutMs: 20_000 });
  return { code: r.code, output: (r.stdout + r.stderr).trim() };
}

function render(lab: ResolvedLab, name: string): string {
  const node = nodeOf(lab, name);
  return renderKeepalivedConf(lab, node, goldenPaths(lab, node));
}

/** ospf-ecmp's web service turned into a VRRP pair lb1 (150) / lb2 (140). */
function vrrpLab(): ResolvedLab {
  const lab = cloneLab(ospfEcmpResolved);
  const web = lab.services[0]!;
  web.announce = 'vrrp';
  web.vrrp = { virtualRouterId: 51, advertInt: 1, priorities: { lb1: 150, lb2: 140 } };
  return lab;
}

describe('renderKeepalivedConf', () => {
  for (const lab of FIXTURES) {
    for (const node of lab.nodes) {
      it(`${lab.instance}/${node.name} matches its golden file (empty when it directs nothing)`, () => {
        const text = renderKeepalivedConf(lab, node, goldenPaths(lab, node));
        if (node.directs.length === 0) {
          expect(text).toBe('');
          return;
        }
        expectGolden(`${lab.instance}/${node.name}/keepalived.conf`, text);
      });
    }
  }

  it('writes no VRRP for OSPF- or ARP-announced services', () => {
    expect(render(ospfEcmpResolved, 'lb1')).not.toContain('vrrp');
    expect(render(lvsDrResolved, 'director')).not.toContain('vrrp');
  });

  it('writes options only when set: persistence, sorry server, TCP check, NAT', () => {
    const lab = cloneLab(lvsDrResolved);
    const web = lab.services[0]!;
    expect(render(lab, 'director')).not.toMatch(/persistence_timeout|sorry_server|inhibit_on_failure/);
    web.persistenceTimeout = 300;
    web.sorryServer = { address: '192.168.30.200', port: 8080 };
    web.inhibitOnFailure = true;
    web.forwarding = 'nat';
    web.healthCheck = { ...web.healthCheck, type: 'tcp', connectTimeout: 3, retry: 2, delayBeforeRetry: 4 };
    const text = render(lab, 'director');
    expect(text).toMatch(/^ {4}persistence_timeout 300$/m);
    expect(text).toMatch(/^ {4}sorry_server 192\.168\.30\.200 8080$/m);
    expect(text).toMatch(/^ {4}inhibit_on_failure$/m);
    expect(text).toMatch(/^ {4}lvs_method NAT$/m);
    expect(text).toContain(
      '        TCP_CHECK {\n            connect_timeout 3\n            retry 2\n            delay_before_retry 4\n        }\n',
    );
    expect(text).not.toContain('HTTP_GET');
  });

  it('gives the highest VRRP priority MASTER, on the interface whose subnet holds the VIP', () => {
    const lab = vrrpLab();
    const lb1 = render(lab, 'lb1');
    const lb2 = render(lab, 'lb2');
    expect(lb1).toContain(
      'vrrp_instance VI_web {\n    state MASTER\n    interface eth0\n    virtual_router_id 51\n    priority 150\n' +
        '    advert_int 1\n    garp_master_refresh 1\n    virtual_ipaddress {\n        10.0.1.100/32 dev eth0\n    }\n}\n',
    );
    expect(lb2).toMatch(/state BACKUP\n {4}interface eth0\n {4}virtual_router_id 51\n {4}priority 140\n/);
    expect(vrrpInterface(lab, nodeOf(lab, 'lb1'), lab.services[0]!)).toBe('eth0');
  });

  describe('the keepalived-vrrp catalogue lab', () => {
    const renderOn = (name: string, dataplane: Dataplane): string => {
      const node = nodeOf(keepalivedVrrp, name);
      return renderKeepalivedConf(keepalivedVrrp, node, goldenPaths(keepalivedVrrp, node), dataplane);
    };

    for (const dataplane of ['ipvs', 'nftables'] as const) {
      for (const name of ['lb1', 'lb2']) {
        it(`${name} on ${dataplane} matches its golden file`, () => {
          expectGolden(`keepalived-vrrp/${name}/keepalived${dataplane === 'nftables' ? '.nftables' : ''}.conf`, renderOn(name, dataplane));
        });
      }
    }

    it('lb1 (150) starts MASTER and lb2 (100) BACKUP, advertising every second on the router\'s segment', () => {
      expect(renderOn('lb1', 'ipvs')).toMatch(/state MASTER\n {4}interface eth0\n {4}virtual_router_id 51\n {4}priority 150\n {4}advert_int 1\n/);
      expect(renderOn('lb2', 'ipvs')).toMatch(/state BACKUP\n {4}interface eth0\n {4}virtual_router_id 51\n {4}priority 100\n {4}advert_int 1\n/);
    });

    it('holds the VIP only on the nftables fallback, where lvslab-healthd checks and forwards', () => {
      const ipvs = renderOn('lb1', 'ipvs');
      const fallback = renderOn('lb1', 'nftables');
      expect(ipvs).toContain('virtual_server 10.0.1.100 80 {');
      expect(fallback).toContain('vrrp_instance VI_web {');
      expect(fallback).not.toMatch(/virtual_server|real_server|HTTP_GET/);
      // An OSPF lab's directors need no keepalived at all on the fallback.
      const lb1 = nodeOf(ospfEcmpResolved, 'lb1');
      expect(renderKeepalivedConf(ospfEcmpResolved, lb1, goldenPaths(ospfEcmpResolved, lb1), 'nftables')).toBe('');
    });
  });

  it('puts the VIP on the interface whose subnet holds it, not the one toward the real servers', () => {
    const lab = loadLabText(
      `
name: two-armed
segments: { front: { subnet: 10.7.0.0/24 }, back: { subnet: 10.7.1.0/24 } }
nodes:
  r: { role: router, ospf: false, interfaces: [ { segment: front, address: 10.7.0.1 } ] }
  d1: { role: director, interfaces: [ { segment: back, address: 10.7.1.2 }, { segment: front, address: 10.7.0.2 } ] }
  d2: { role: director, interfaces: [ { segment: back, address: 10.7.1.3 }, { segment: front, address: 10.7.0.3 } ] }
  s: { role: realserver, interfaces: [ { segment: back, address: 10.7.1.10 } ] }
services:
  web:
    vip: 10.7.0.100
    port: 80
    announce: vrrp
    vrrp: { virtual_router_id: 9 }
    real_servers: [ { node: s } ]
`,
      'two-armed.yaml',
    );
    expect(vrrpInterface(lab, nodeOf(lab, 'd1'), lab.services[0]!)).toBe('eth1');
    expect(render(lab, 'd2')).toContain('10.7.0.100/32 dev eth1');
  });

  it('refuses a real or sorry server port that DR/TUN cannot deliver to', () => {
    const lab = cloneLab(lvsDrResolved);
    lab.services[0]!.realServers[2]!.port = 8080;
    expect(() => render(lab, 'director')).toThrow(/real server rs3 port 8080 differs from the service port 80/);
    lab.services[0]!.forwarding = 'nat';
    expect(render(lab, 'director')).toContain('real_server 192.168.30.113 8080 {');
    const tun = cloneLab(lvsDrResolved);
    tun.services[0]!.forwarding = 'tun';
    tun.services[0]!.sorryServer = { address: '192.168.30.200', port: 81 };
    expect(() => render(tun, 'director')).toThrow(/sorry server port 81/);
  });

  it('refuses values that would change the file structure', () => {
    const lab = cloneLab(lvsDrResolved);
    lab.services[0]!.healthCheck.path = '/a b';
    expect(() => render(lab, 'director')).toThrow(/health-check path/);
  });
});

describe('renderKeepalivedConf output passes keepalived --config-test (2.2.7)', () => {
  for (const lab of FIXTURES) {
    for (const node of lab.nodes.filter((n) => n.directs.length > 0)) {
      it(`${lab.instance}/${node.name}`, async () => {
        const r = await configTest(renderKeepalivedConf(lab, node, goldenPaths(lab, node)));
        expect(r.output).toBe('');
        expect(r.code).toBe(0);
      });
    }
  }

  it('accepts every scheduler of the model, mh and twos included', async () => {
    const lab = cloneLab(lvsDrResolved);
    for (const scheduler of SCHEDULERS) {
      lab.services[0]!.scheduler = scheduler;
      const r = await configTest(render(lab, 'director'));
      expect({ scheduler, ...r }).toEqual({ scheduler, code: 0, output: '' });
    }
  }, 30_000);

  it('accepts the optional settings and every forwarding method', async () => {
    const lab = cloneLab(lvsDrResolved);
    const web = lab.services[0]!;
    web.persistenceTimeout = 300;
    web.sorryServer = { address: '192.168.30.200', port: 80 };
    web.inhibitOnFailure = true;
    web.healthCheck.type = 'tcp';
    for (const forwarding of ['dr', 'nat', 'tun'] as const) {
      web.forwarding = forwarding;
      const r = await configTest(render(lab, 'director'));
      expect({ forwarding, ...r }).toEqual({ forwarding, code: 0, output: '' });
    }
    // Only NAT may move the port.
    web.forwarding = 'nat';
    web.sorryServer.port = 8080;
    for (const rs of web.realServers) rs.port = 8080;
    const nat = await configTest(render(lab, 'director'));
    expect(nat).toEqual({ code: 0, output: '' });
  });

  it('ospf-multisite: each director lists only its own cluster\'s real servers, and --config-test accepts both', async () => {
    const multisite = await loadLabFile(fileURLToPath(new URL('../../labs/ospf-multisite.yaml', import.meta.url)));
    const realServerLines = (text: string) => text.split('\n').filter((l) => /^\s*real_server /.test(l)).map((l) => l.trim());
    const lb1 = render(multisite, 'lb1');
    const lb2 = render(multisite, 'lb2');
    expect(realServerLines(lb1)).toEqual(['real_server 192.168.128.11 80 {', 'real_server 192.168.128.12 80 {']);
    expect(realServerLines(lb2)).toEqual(['real_server 192.168.129.11 80 {', 'real_server 192.168.129.12 80 {']);
    for (const [name, text] of [['lb1', lb1], ['lb2', lb2]] as const) {
      const r = await configTest(text);
      expect({ name, ...r }).toEqual({ name, code: 0, output: '' });
    }
  });

  it('accepts the keepalived-vrrp lab\'s configs on both dataplanes in a namespace that has eth0', async () => {
    for (const dataplane of ['ipvs', 'nftables'] as const) {
      for (const name of ['lb1', 'lb2']) {
        const node = nodeOf(keepalivedVrrp, name);
        const r = await configTest(renderKeepalivedConf(keepalivedVrrp, node, goldenPaths(keepalivedVrrp, node), dataplane), VRRP_NS);
        expect({ name, dataplane, ...r }).toEqual({ name, dataplane, code: 0, output: '' });
      }
    }
  });

  it('accepts the VRRP instance in a namespace that has the interface', async () => {
    const lab = vrrpLab();
    for (const name of ['lb1', 'lb2']) {
      const r = await configTest(render(lab, name), VRRP_NS);
      expect({ name, ...r }).toEqual({ name, code: 0, output: '' });
    }
  });

  // The validator must be able to say no, or the checks above prove nothing.
  it('rejects a misspelled keyword, a bad scheduler and a missing interface', async () => {
    const good = render(ospfEcmpResolved, 'lb1');
    const misspelled = await configTest(good.replace('delay_before_retry', 'delay_before_retyr'));
    expect(misspelled.code).not.toBe(0);
    expect(misspelled.output).toContain("Unknown keyword 'delay_before_retyr'");
    const badScheduler = await configTest(good.replace('lvs_sched rr', 'lvs_sched roundrobin'));
    expect(badScheduler.code).not.toBe(0);
    expect(badScheduler.output).toContain('Invalid lvs_scheduler');
    const refresh = await configTest(render(vrrpLab(), 'lb1').replace('garp_master_refresh', 'garp_master_refersh'), VRRP_NS);
    expect(refresh.code).not.toBe(0);
    expect(refresh.output).toContain("Unknown keyword 'garp_master_refersh'");
    const noInterface = await configTest(render(vrrpLab(), 'lb1').replaceAll('eth0', 'nosuch0'), VRRP_NS);
    expect(noInterface.code).not.toBe(0);
    expect(noInterface.output).toContain("interface nosuch0 for vrrp_instance VI_web doesn't exist");
  });
});
