import { afterAll, describe, expect, it } from 'vitest';
import type { ResolvedNode } from '../../src/model/types.js';
import { renderNodeNetwork } from '../../src/render/network.js';
import { run, runOk } from '../../src/util/exec.js';
import { ospfEcmpResolved } from '../fixtures/ospf-ecmp.resolved.js';
import {
  createNamespace,
  deleteNamespace,
  expectGolden,
  FIXTURES,
  nodeOf,
  testNamespace,
} from './render-support.js';

const created: string[] = [];
afterAll(async () => {
  for (const ns of created) await deleteNamespace(ns);
});

interface IpAddrInfo {
  family: string;
  local: string;
  prefixlen: number;
}
interface IpLink {
  ifname: string;
  address: string;
  flags: string[];
  addr_info: IpAddrInfo[];
}
interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
}

/** A fresh namespace with `node`'s interfaces (veths under the fixture's names). */
async function namespaceFor(tag: string, node: ResolvedNode): Promise<string> {
  const ns = testNamespace(tag);
  await deleteNamespace(ns);
  created.push(ns);
  await createNamespace(ns, node.interfaces.map((i) => i.name));
  return ns;
}

describe('renderNodeNetwork', () => {
  for (const lab of FIXTURES) {
    for (const node of lab.nodes) {
      it(`${lab.instance}/${node.name} matches its golden file`, () => {
        expectGolden(`${lab.instance}/${node.name}/network.batch`, renderNodeNetwork(lab, node).join('\n') + '\n');
      });
    }
  }

  it('adds every route after every address and link', () => {
    for (const lab of FIXTURES) {
      for (const node of lab.nodes) {
        const lines = renderNodeNetwork(lab, node);
        const firstRoute = lines.findIndex((l) => l.startsWith('route '));
        const lastOther = lines.map((l) => !l.startsWith('route ')).lastIndexOf(true);
        if (firstRoute >= 0) expect(firstRoute).toBeGreaterThan(lastOther);
        expect(lines[0]).toBe('link set dev lo up');
      }
    }
  });
});

describe('renderNodeNetwork lines run with ip -batch in a namespace', () => {
  FIXTURES.forEach((lab, labIndex) => {
    lab.nodes.forEach((node, nodeIndex) => {
      it(`${lab.instance}/${node.name} gets its addresses, MACs and routes`, async () => {
        const ns = await namespaceFor(`nw${labIndex}-${nodeIndex}`, node);
        const lines = renderNodeNetwork(lab, node);
        await runOk(['ip', '-n', ns, '-batch', '-'], { input: lines.join('\n') + '\n' });

        const links = JSON.parse(await runOk(['ip', '-n', ns, '-j', 'addr', 'show'])) as IpLink[];
        const byName = new Map(links.map((l) => [l.ifname, l]));
        const ipv4 = (l: IpLink | undefined): string[] =>
          (l?.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);

        const lo = byName.get('lo');
        expect(lo?.flags).toContain('UP');
        expect(ipv4(lo).sort()).toEqual(['127.0.0.1/8', ...node.loopbacks].sort());
        for (const iface of node.interfaces) {
          const link = byName.get(iface.name);
          expect(link?.flags, iface.name).toContain('UP');
          expect(link?.address).toBe(iface.mac);
          expect(ipv4(link)).toEqual([iface.cidr]);
        }

        const routes = JSON.parse(await runOk(['ip', '-n', ns, '-j', 'route', 'show'])) as IpRoute[];
        for (const route of node.routes) {
          const dst = route.to.endsWith('/32') ? route.to.slice(0, -3) : route.to;
          expect(routes.find((r) => r.dst === dst), `route ${route.to}`).toMatchObject({ gateway: route.via });
        }
        expect(routes.filter((r) => r.gateway !== undefined)).toHaveLength(node.routes.length);
      });
    });
  });

  // The check must be able to fail: the same lines in the wrong order are refused by ip.
  it('fails when a route comes before its gateway is reachable', async () => {
    const lab = ospfEcmpResolved;
    const node = nodeOf(lab, 'client1');
    const ns = await namespaceFor('nwbad', node);
    const lines = renderNodeNetwork(lab, node);
    const routesFirst = [...lines.filter((l) => l.startsWith('route ')), ...lines.filter((l) => !l.startsWith('route '))];
    const r = await run(['ip', '-n', ns, '-batch', '-'], { input: routesFirst.join('\n') + '\n' });
    expect(r.code).not.toBe(0);
  });
});
