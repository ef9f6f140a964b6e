// Which links `run --capture` records and what their files are called: one per segment member
// (its link to the segment's switch, as GNS3 draws it) and one per point-to-point link on its
// first end, named node-interface.pcap, and never a name that leaves the run's captures/.
import { describe, expect, it } from 'vitest';
import { loadLabFile } from '../../src/model/load.js';
import type { ResolvedLab } from '../../src/model/types.js';
import { captureBaseName, capturePath, captureRelativePath, captureTargets } from '../../src/capture/links.js';

const REPO = new URL('../../', import.meta.url).pathname;
const lab = (name: string) => loadLabFile(`${REPO}labs/${name}.yaml`);
const plain = (targets: ReturnType<typeof captureTargets>) => targets.map((t) => `${t.fileName} ${t.node}:${t.iface} ${t.segment ? `segment ${t.segment}` : `link ${t.link}`}`);

describe('the links a run captures, per catalogue lab', () => {
  it('ospf-ecmp: every member of its one segment', async () => {
    expect(plain(captureTargets(await lab('ospf-ecmp')))).toEqual([
      'router-eth0.pcap router:eth0 segment lan',
      'lb1-eth0.pcap lb1:eth0 segment lan',
      'lb2-eth0.pcap lb2:eth0 segment lan',
      'rs1-eth0.pcap rs1:eth0 segment lan',
      'rs2-eth0.pcap rs2:eth0 segment lan',
      'client1-eth0.pcap client1:eth0 segment lan',
      'client2-eth0.pcap client2:eth0 segment lan',
    ]);
  });

  it('lvs-dr: the members of both segments, the router once per segment', async () => {
    expect(plain(captureTargets(await lab('lvs-dr')))).toEqual([
      'router-eth0.pcap router:eth0 segment outside',
      'client-eth0.pcap client:eth0 segment outside',
      'router-eth1.pcap router:eth1 segment lan',
      'director-eth0.pcap director:eth0 segment lan',
      'rs1-eth0.pcap rs1:eth0 segment lan',
      'rs2-eth0.pcap rs2:eth0 segment lan',
      'rs3-eth0.pcap rs3:eth0 segment lan',
      'rs4-eth0.pcap rs4:eth0 segment lan',
    ]);
  });

  it('ospf-ecmp-p2p: segment members, then each point-to-point uplink once, on its first end', async () => {
    expect(plain(captureTargets(await lab('ospf-ecmp-p2p')))).toEqual([
      'switch-eth3.pcap switch:eth3 segment servers',
      'lb1-eth1.pcap lb1:eth1 segment servers',
      'lb2-eth1.pcap lb2:eth1 segment servers',
      'lb3-eth1.pcap lb3:eth1 segment servers',
      'rs1-eth0.pcap rs1:eth0 segment servers',
      'rs2-eth0.pcap rs2:eth0 segment servers',
      'switch-eth4.pcap switch:eth4 segment clients',
      'client1-eth0.pcap client1:eth0 segment clients',
      'client2-eth0.pcap client2:eth0 segment clients',
      'switch-eth0.pcap switch:eth0 link up-lb1',
      'switch-eth1.pcap switch:eth1 link up-lb2',
      'switch-eth2.pcap switch:eth2 link up-lb3',
    ]);
  });

  it('is one capture per GNS3 link of the lab (segment members plus links), each file once', async () => {
    for (const name of ['ospf-ecmp', 'lvs-dr', 'ospf-ecmp-p2p']) {
      const l = await lab(name);
      const targets = captureTargets(l);
      expect(targets.length, name).toBe(l.segments.reduce((n, s) => n + s.members.length, 0) + l.links.length);
      expect(new Set(targets.map((t) => t.fileName)).size, name).toBe(targets.length);
    }
  });
});

describe('capture file names', () => {
  it('are node-interface, with dots and dashes kept', () => {
    expect(captureBaseName('lb1', 'eth0')).toBe('lb1-eth0');
    expect(captureBaseName('rs-2', 'eth0.10')).toBe('rs-2-eth0.10');
  });

  it('make anything else a plain file name: no separator, no "..", no hidden file', () => {
    expect(captureBaseName('../etc', 'passwd')).toBe('_._etc-passwd');
    expect(captureBaseName('a/b', 'c\\d')).toBe('a_b-c_d');
    expect(captureBaseName('.hidden', '..')).toBe('_hidden-_.');
    expect(captureBaseName('', 'eth0')).toBe('_-eth0');
    expect(captureBaseName('nœud', 'eth 0')).toBe('n_ud-eth_0');
    for (const [node, iface] of [['../../x', 'y'], ['..', '..'], ['/abs', 'eth0']]) {
      const name = `${captureBaseName(node!, iface!)}.pcap`;
      expect(capturePath('/tmp/run', name)).toBe(`/tmp/run/captures/${name}`);
    }
  });

  it('get a number where two would collide ("a-b" + "c" and "a" + "b-c")', () => {
    const fake = {
      segments: [{ name: 's', subnet: '10.0.0.0/24', members: [{ node: 'a-b', iface: 'c' }, { node: 'a', iface: 'b-c' }] }],
      links: [{ name: 'l', subnet: '10.0.1.0/30', ends: [{ node: 'a', iface: 'b-c' }, { node: 'x', iface: 'y' }] }],
    } as unknown as ResolvedLab;
    expect(captureTargets(fake).map((t) => t.fileName)).toEqual(['a-b-c.pcap', 'a-b-c-2.pcap', 'a-b-c-3.pcap']);
  });

  it('are refused where a write would land outside captures/', () => {
    for (const bad of ['../x.pcap', 'a/b.pcap', '/etc/passwd', '..', '.', '', 'a\\b.pcap']) {
      expect(() => capturePath('/tmp/run', bad), bad).toThrow(/would not be a file directly in/);
    }
    expect(capturePath('/tmp/run/', 'lb1-eth0.pcap')).toBe('/tmp/run/captures/lb1-eth0.pcap');
    expect(captureRelativePath('lb1-eth0.pcap')).toBe('captures/lb1-eth0.pcap');
  });
});
