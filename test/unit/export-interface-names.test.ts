// The container interface names of an export: lab ethN -> eth(N+1), other names kept.
import { describe, expect, it } from 'vitest';
import { containerInterfaceName, withContainerInterfaceNames } from '../../src/export/interface-names.js';
import { bridgeNodeName, bridgePortName, hostBridgeName, FABRIC_NODE } from '../../src/export/clab-names.js';
import { isValidInterfaceName, isValidNodeName } from '../../src/model/names.js';
import { loadLabFile } from '../../src/model/load.js';
import { CATALOGUE_DIR } from '../../src/lab/catalogue.js';

describe('containerInterfaceName', () => {
  it('moves ethN up by one and keeps other names', () => {
    expect(containerInterfaceName('eth0')).toBe('eth1');
    expect(containerInterfaceName('eth1')).toBe('eth2');
    expect(containerInterfaceName('eth9')).toBe('eth10');
    expect(containerInterfaceName('uplink')).toBe('uplink');
    expect(containerInterfaceName('eth0.100')).toBe('eth0.100');
    expect(containerInterfaceName('veth0')).toBe('veth0');
  });

  it('is one-to-one and never yields eth0', () => {
    const names = ['eth0', 'eth1', 'eth2', 'eth01', 'eth001', 'eth10', 'eth9', 'ethx', 'e0', 'lan0'];
    const mapped = names.map(containerInterfaceName);
    expect(new Set(mapped).size).toBe(names.length);
    expect(mapped).not.toContain('eth0');
    // eth01 is not "eth1": it keeps its name rather than colliding with eth1's eth2
    expect(containerInterfaceName('eth01')).toBe('eth01');
  });

  it('refuses a name that would outgrow Linux\'s 15 characters', () => {
    expect(containerInterfaceName('eth99999999998')).toBe('eth99999999999');
    expect(() => containerInterfaceName('eth999999999999')).toThrow(/too long/);
  });
});

describe('withContainerInterfaceNames', () => {
  it('renames every reference and nothing else', async () => {
    const lab = await loadLabFile(`${CATALOGUE_DIR}ospf-ecmp-p2p.yaml`);
    const renamed = withContainerInterfaceNames(lab);
    expect(lab.nodes[0]!.interfaces[0]!.name).toBe('eth0'); // the input is not modified
    for (const [ni, node] of renamed.nodes.entries()) {
      for (const [ii, iface] of node.interfaces.entries()) {
        const original = lab.nodes[ni]!.interfaces[ii]!;
        expect(iface.name).toBe(containerInterfaceName(original.name));
        expect({ ...iface, name: original.name, attachment: original.attachment }).toEqual(original);
        if (iface.attachment.kind === 'link' && original.attachment.kind === 'link') {
          expect(iface.attachment.peer).toEqual({ node: original.attachment.peer.node, iface: containerInterfaceName(original.attachment.peer.iface) });
        }
      }
    }
    const ifaceSet = new Set(renamed.nodes.flatMap((n) => n.interfaces.map((i) => `${n.name}:${i.name}`)));
    for (const seg of renamed.segments) for (const m of seg.members) expect(ifaceSet.has(`${m.node}:${m.iface}`)).toBe(true);
    for (const link of renamed.links) for (const e of link.ends) expect(ifaceSet.has(`${e.node}:${e.iface}`)).toBe(true);
    expect(renamed.services).toEqual(lab.services);
  });
});

describe('generated containerlab names', () => {
  it('fit Linux interface names, differ per instance, and bridge nodes never look like lab nodes', () => {
    const a = hostBridgeName('ospf-ecmp', 'servers-and-more');
    const b = hostBridgeName('other-lab', 'servers-and-more');
    expect(a).not.toBe(b);
    for (const name of [a, b, hostBridgeName('x'.repeat(24), 'y'.repeat(15))]) {
      expect(isValidInterfaceName(name), name).toBe(true);
      expect(isValidNodeName(name), name).toBe(false); // a containerlab node beside the lab's
    }
    expect(isValidInterfaceName(bridgePortName('x'.repeat(24), 'n'.repeat(24), 'eth9'))).toBe(true);
    expect(bridgeNodeName('fabric', 'lab', 'lan')).toBe(`lan|${FABRIC_NODE}`);
    expect(isValidNodeName(FABRIC_NODE)).toBe(false);
    expect(bridgePortName('lab', 'rs1', 'eth1')).not.toBe(bridgePortName('lab', 'rs1', 'eth2'));
  });
});
