// Loading the catalogue labs end to end: parse, validate, resolve.
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { resolve as resolvePath } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLabFile, loadLabFileWithWarnings, loadLabText, loadLabTextWithWarnings } from '../../src/model/load.js';
import { LabValidationError } from '../../src/model/problems.js';
import { LvslabError, EXIT } from '../../src/util/errors.js';
import type { ResolvedLab, ResolvedNode } from '../../src/model/types.js';

const node = (lab: ResolvedLab, name: string): ResolvedNode => {
  const n = lab.nodes.find((x) => x.name === name);
  if (!n) throw new Error(`no node ${name}`);
  return n;
};

describe('catalogue lab ospf-ecmp', () => {
  it('loads without warnings, with the source recorded', async () => {
    const { lab, warnings } = await loadLabFileWithWarnings('labs/ospf-ecmp.yaml');
    expect(warnings).toEqual([]);
    expect(lab.name).toBe('ospf-ecmp');
    expect(lab.instance).toBe('ospf-ecmp');
    expect(lab.sourceFile).toBe(resolvePath('labs/ospf-ecmp.yaml'));
    expect(lab.sourceHash).toBe(createHash('sha256').update(readFileSync('labs/ospf-ecmp.yaml')).digest('hex'));
    expect(lab.dataplane).toBe('auto');
  });

  it("has the seed's addressing on one segment", async () => {
    const lab = await loadLabFile('labs/ospf-ecmp.yaml');
    expect(lab.segments).toEqual([
      {
        name: 'lan',
        subnet: '10.0.1.0/24',
        members: ['router', 'lb1', 'lb2', 'rs1', 'rs2', 'client1', 'client2'].map((n) => ({ node: n, iface: 'eth0' })),
      },
    ]);
    const addresses = Object.fromEntries(lab.nodes.map((n) => [n.name, n.interfaces[0]!.cidr]));
    expect(addresses).toEqual({
      router: '10.0.1.136/24',
      lb1: '10.0.1.133/24',
      lb2: '10.0.1.135/24',
      rs1: '10.0.1.129/24',
      rs2: '10.0.1.131/24',
      client1: '10.0.1.132/24',
      client2: '10.0.1.134/24',
    });
  });

  it('directors hold the VIP on lo, speak OSPF with priority 0, and keep OSPF routes out of the kernel', async () => {
    const lab = await loadLabFile('labs/ospf-ecmp.yaml');
    for (const name of ['lb1', 'lb2']) {
      const d = node(lab, name);
      expect(d.loopbacks).toEqual(['10.0.1.100/32']);
      expect(d.interfaces[0]!.ospf).toEqual({ retransmit: 1, cost: 1, priority: 0, hello: 1, dead: 4, network: 'broadcast', passive: false });
      expect(d.ospf).toEqual({ routerId: d.interfaces[0]!.address, networks: ['10.0.1.0/24', '10.0.1.100/32'], installRoutes: false, defaultOriginate: false });
      expect(d.directs).toEqual(['web']);
      expect(d.routes).toEqual([]);
      expect(d.ecmpHash).toBeUndefined();
    }
  });

  it('the router installs OSPF routes, hashes on l4 and answers proxy ARP', async () => {
    const r = node(await loadLabFile('labs/ospf-ecmp.yaml'), 'router');
    expect(r.ospf).toEqual({ routerId: '10.0.1.136', networks: ['10.0.1.0/24'], installRoutes: true, defaultOriginate: false });
    expect(r.interfaces[0]!.ospf?.priority).toBe(1);
    expect(r.ecmpHash).toBe('l4');
    expect(r.proxyArp).toBe(true);
    expect(r.loopbacks).toEqual([]);
  });

  it('real servers hold the VIP on lo and route through the router; clients too', async () => {
    const lab = await loadLabFile('labs/ospf-ecmp.yaml');
    for (const name of ['rs1', 'rs2']) {
      const rs = node(lab, name);
      expect(rs.loopbacks).toEqual(['10.0.1.100/32']);
      expect(rs.routes).toEqual([{ to: 'default', via: '10.0.1.136' }]);
      expect(rs.ospf).toBeUndefined();
      expect(rs.interfaces[0]!.ospf).toBeUndefined();
      expect(rs.serves).toEqual(['web']);
    }
    expect(node(lab, 'client1').loopbacks).toEqual([]);
  });

  it('clients reach the on-link VIP through the router (the seed\'s static route), not by ARP', async () => {
    const lab = await loadLabFile('labs/ospf-ecmp.yaml');
    for (const name of ['client1', 'client2']) {
      expect(node(lab, name).routes).toEqual([
        { to: 'default', via: '10.0.1.136' },
        { to: '10.0.1.100/32', via: '10.0.1.136' },
      ]);
    }
  });

  it('resolves the service as the seed configures keepalived', async () => {
    const lab = await loadLabFile('labs/ospf-ecmp.yaml');
    expect(lab.ospf).toEqual({
      area: '0.0.0.0', hello: 1, dead: 4, maxPaths: 8,
      lsaMinIntervalMs: 50, lsaMinArrivalMs: 0, spfDelayMs: 0, spfHoldMs: 50, spfMaxHoldMs: 500,
    });
    expect(lab.services).toEqual([
      {
        name: 'web',
        vip: '10.0.1.100',
        port: 80,
        protocol: 'tcp',
        scheduler: 'rr',
        forwarding: 'dr',
        directors: ['lb1', 'lb2'],
        announce: 'ospf',
        realServers: [
          { node: 'rs1', address: '10.0.1.129', port: 80, weight: 10, directors: ['lb1', 'lb2'] },
          { node: 'rs2', address: '10.0.1.131', port: 80, weight: 10, directors: ['lb1', 'lb2'] },
        ],
        persistenceTimeout: 0,
        healthCheck: { type: 'http', path: '/', status: 200, delayLoop: 5, connectTimeout: 2, retry: 1, delayBeforeRetry: 1 },
        inhibitOnFailure: true,
      },
    ]);
  });
});

describe('catalogue lab lvs-dr', () => {
  it('loads without warnings: a static lab with no OSPF speaker', async () => {
    const { lab, warnings } = await loadLabFileWithWarnings('labs/lvs-dr.yaml');
    expect(warnings).toEqual([]);
    expect(lab.nodes.every((n) => n.ospf === undefined && n.interfaces.every((i) => i.ospf === undefined))).toBe(true);
    expect(lab.services[0]!.announce).toBe('none');
    expect(lab.services[0]!.realServers.map((r) => [r.node, r.address, r.weight])).toEqual([
      ['rs1', '192.168.30.111', 1],
      ['rs2', '192.168.30.112', 1],
      ['rs3', '192.168.30.113', 2],
      ['rs4', '192.168.30.114', 2],
    ]);
    expect(node(lab, 'director').loopbacks).toEqual(['192.168.30.254/32']);
    expect(node(lab, 'director').routes).toEqual([]);
    expect(node(lab, 'rs3').routes).toEqual([{ to: 'default', via: '192.168.30.200' }]);
    expect(node(lab, 'client').routes).toEqual([{ to: 'default', via: '10.0.0.123' }]);
    expect(node(lab, 'router').interfaces.map((i) => i.name)).toEqual(['eth0', 'eth1']);
  });
});

describe('loading', () => {
  it('is deterministic: two loads give identical models', async () => {
    for (const file of ['labs/ospf-ecmp.yaml', 'labs/lvs-dr.yaml']) {
      const a = await loadLabFile(file);
      const b = await loadLabFile(file);
      expect(JSON.stringify(a)).toBe(JSON.stringify(b));
      expect(loadLabText(readFileSync(file, 'utf8'), file)).toEqual(a);
    }
  });

  it('uses the instance name for MACs, and only for them', async () => {
    const a = await loadLabFile('labs/ospf-ecmp.yaml');
    const b = await loadLabFile('labs/ospf-ecmp.yaml', { instance: 'second' });
    expect(b.instance).toBe('second');
    expect(b.nodes[0]!.interfaces[0]!.mac).not.toBe(a.nodes[0]!.interfaces[0]!.mac);
    const macs = a.nodes.flatMap((n) => n.interfaces.map((i) => i.mac));
    expect(new Set(macs).size).toBe(macs.length);
    for (const mac of macs) expect(mac).toMatch(/^02(:[0-9a-f]{2}){5}$/);
    const strip = (lab: ResolvedLab): unknown => JSON.parse(JSON.stringify(lab, (k, v: unknown) => (k === 'mac' || k === 'instance' ? undefined : v)));
    expect(strip(b)).toEqual(strip(a));
  });

  it('rejects a malformed instance name as invalid input', async () => {
    const err = await loadLabFile('labs/ospf-ecmp.yaml', { instance: 'Bad_Name' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LvslabError);
    expect((err as LvslabError).exitCode).toBe(EXIT.invalidInput);
  });

  it('reports a missing file as invalid input', async () => {
    const err = await loadLabFile('labs/no-such-lab.yaml').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LvslabError);
    expect((err as LvslabError).exitCode).toBe(EXIT.invalidInput);
    expect((err as Error).message).toContain('no such file');
  });

  it('returns warnings without failing, and fails with them listed when there are errors too', () => {
    const text = [
      'name: warn',
      'segments:',
      '  lan: {}',
      '  spare: {}',
      'nodes:',
      '  c1:',
      '    role: client',
      '    interfaces: [ { segment: lan } ]',
    ].join('\n');
    const { warnings } = loadLabTextWithWarnings(text, 'warn.yaml');
    expect(warnings.map((w) => `${w.line}:${w.column} ${w.severity} ${w.field}`)).toEqual(['4:3 warning segments.spare']);
    try {
      loadLabText(`${text}\n    gateway: nowhere\n`, 'warn.yaml');
      throw new Error('should have failed');
    } catch (err) {
      expect(err).toBeInstanceOf(LabValidationError);
      const problems = (err as LabValidationError).problems;
      expect(problems.map((p) => `${p.line}:${p.severity}`)).toEqual(['4:warning', '9:error']);
      expect((err as Error).message.split('\n')[0]).toBe('warn.yaml: 1 error in the lab file');
    }
  });
});
