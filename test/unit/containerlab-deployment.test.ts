// The topology `--runtime containerlab` deploys: valid against containerlab's published
// schema for every catalogue lab, no management network, the lab's interface names and MACs
// on every endpoint, segments as bridges inside the lab's fabric container, and lvslab's
// labels on every container so `down` finds them.
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ValidateFunction } from 'ajv';
import { listCatalogue } from '../../src/lab/catalogue.js';
import { loadLabFile } from '../../src/model/load.js';
import type { ResolvedLab } from '../../src/model/types.js';
import { clabContainerName, renderDeploymentTopology } from '../../src/runtime/containerlab/topology.js';
import { FABRIC_NODE } from '../../src/export/clab-names.js';
import { LABEL_INSTANCE, LABEL_NODE } from '../../src/runtime/docker/names.js';
import { loadClabValidator } from '../support/clab-schema.js';

interface Topo {
  name: string;
  topology: {
    nodes: Record<string, { kind: string; 'network-mode'?: string; labels?: Record<string, string>; binds?: string[]; sysctls?: Record<string, string>; 'cap-add'?: string[] }>;
    links?: Array<{ endpoints: Array<{ node: string; interface: string; mac?: string }> }>;
  };
}

let validate: ValidateFunction;
let catalogue: ResolvedLab[];
beforeAll(async () => {
  validate = loadClabValidator();
  catalogue = await Promise.all((await listCatalogue()).map((e) => loadLabFile(e.file)));
});

const render = (lab: ResolvedLab) =>
  parse(renderDeploymentTopology(lab, { image: 'lvslab/node:abc', lvslabDir: '/usr/lib/lvslab', sysctls: () => ({ 'net.ipv4.ip_forward': '1' }) }), { version: '1.1' }) as Topo;

describe('the containerlab deployment topology', () => {
  it('validates against containerlab\'s schema for every catalogue lab', () => {
    for (const lab of catalogue) {
      const topo = render(lab);
      expect(validate(topo), `${lab.name}: ${JSON.stringify(validate.errors)}`).toBe(true);
      expect(topo.name).toBe(lab.instance);
    }
  });

  it('wires exactly the lab: lab names and MACs, no management network, labelled containers', () => {
    for (const lab of catalogue) {
      const topo = render(lab);
      const endpoints = (topo.topology.links ?? []).flatMap((l) => l.endpoints).filter((e) => lab.nodes.some((n) => n.name === e.node));
      const expected = lab.nodes.flatMap((n) => n.interfaces.map((i) => `${n.name}:${i.name}:${i.mac}`)).sort();
      expect(endpoints.map((e) => `${e.node}:${e.interface}:${e.mac}`).sort(), lab.name).toEqual(expected);
      for (const node of lab.nodes) {
        const n = topo.topology.nodes[node.name]!;
        expect(n['network-mode']).toBe('none');
        expect(n.labels).toEqual({ [LABEL_INSTANCE]: lab.instance, [LABEL_NODE]: node.name });
        expect(n.binds).toEqual(['/usr/lib/lvslab:/opt/lvslab:ro']);
        expect(n['cap-add']).toEqual(['NET_ADMIN', 'SYS_ADMIN', 'NET_RAW']);
      }
      if (lab.segments.length > 0) {
        expect(topo.topology.nodes[FABRIC_NODE]!['network-mode']).toBe('none');
        for (const seg of lab.segments) expect(topo.topology.nodes[`${seg.name}|${FABRIC_NODE}`]!['network-mode']).toBe(`container:${FABRIC_NODE}`);
      }
    }
  });

  it("names containers as containerlab does", () => {
    expect(clabContainerName('ospf-ecmp', 'lb1')).toBe('clab-ospf-ecmp-lb1');
  });
});
