// What a node of a BFD lab runs: bfdd between zebra and ospfd on every OSPF speaker, with its
// own config file and its control socket beside FRR's other sockets; nothing of it on a lab
// without ospf.bfd or on a node without OSPF. daemonsOf (what experiments may kill) agrees.
import { describe, expect, it } from 'vitest';
import { daemonsOf, planNode } from '../../src/lab/node-setup.js';
import { loadLabFile } from '../../src/model/load.js';
import type { Dataplane } from '../../src/model/types.js';
import { NetnsRuntime } from '../../src/runtime/netns/netns-runtime.js';

const runtime = new NetnsRuntime();

describe('node plans of a BFD lab', () => {
  it('start zebra, bfdd, ospfd on every OSPF speaker, bfdd with its own file and control socket', async () => {
    const lab = await loadLabFile('labs/ospf-ecmp-bfd.yaml', { instance: 'bfd-plan' });
    for (const name of ['router', 'lb1', 'lb2']) {
      const paths = runtime.nodePaths(lab.instance, name);
      const plan = planNode(lab, lab.nodes.find((n) => n.name === name)!, paths, 'nftables');
      expect(plan.routingDaemons.map((d) => d.name), name).toEqual(['zebra', 'bfdd', 'ospfd']);
      const bfdd = plan.routingDaemons[1]!;
      expect(bfdd.argv).toEqual([
        '/usr/lib/frr/bfdd', '-d', '-f', `${paths.conf}/bfdd.conf`,
        '-z', `${paths.frrVtyDir}/zserv.api`, '--vty_socket', paths.frrVtyDir,
        '--bfdctl', `${paths.frrVtyDir}/bfdd.sock`, '-i', `${paths.frrVtyDir}/bfdd.pid`,
      ]);
      // The same node-private FRR directories as the other daemons.
      expect(bfdd.privateDirs).toEqual(plan.routingDaemons[0]!.privateDirs);
      const file = plan.files.find((f) => f.path === `${paths.conf}/bfdd.conf`);
      expect(file?.owner).toBe('frr');
      expect(file?.content).toMatch(/^bfd\n profile lvslab\n  detect-multiplier 3\n  receive-interval 300\n  transmit-interval 300\n/m);
      expect(plan.files.find((f) => f.path === `${paths.conf}/ospfd.conf`)?.content).toContain(' ip ospf bfd profile lvslab\n');
    }
  });

  it('have no bfdd on a lab without ospf.bfd, nor on nodes that run no OSPF', async () => {
    const plain = await loadLabFile('labs/ospf-ecmp.yaml', { instance: 'bfd-plan' });
    const router = planNode(plain, plain.nodes.find((n) => n.name === 'router')!, runtime.nodePaths(plain.instance, 'router'), 'nftables');
    expect(router.routingDaemons.map((d) => d.name)).toEqual(['zebra', 'ospfd']);
    expect(router.files.map((f) => f.path).filter((p) => p.endsWith('bfdd.conf'))).toEqual([]);
    const bfd = await loadLabFile('labs/ospf-ecmp-bfd.yaml', { instance: 'bfd-plan' });
    const rs1 = planNode(bfd, bfd.nodes.find((n) => n.name === 'rs1')!, runtime.nodePaths(bfd.instance, 'rs1'), 'nftables');
    expect(rs1.routingDaemons).toEqual([]);
  });

  it('daemonsOf names exactly the daemons each plan starts', async () => {
    for (const file of ['labs/ospf-ecmp.yaml', 'labs/ospf-ecmp-bfd.yaml']) {
      const lab = await loadLabFile(file, { instance: 'bfd-plan' });
      for (const dataplane of ['ipvs', 'nftables'] as Dataplane[]) {
        for (const node of lab.nodes) {
          const plan = planNode(lab, node, runtime.nodePaths(lab.instance, node.name), dataplane);
          expect(daemonsOf(lab, node, dataplane), `${file} ${node.name}`).toEqual([...plan.routingDaemons, ...plan.serviceDaemons].map((d) => d.name));
        }
      }
    }
  });
});
