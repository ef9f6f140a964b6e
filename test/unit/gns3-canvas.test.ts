// Where `--runtime gns3` puts a lab on the GNS3 canvas and what it names there: every node
// and switch at its own place, the clients' row above the routers', directors and real
// servers below, a switch on its segment's row between its members' rows, a note naming the
// lab and how to remove it; project names that `down` can find again and nobody else's.
import { beforeAll, describe, expect, it } from 'vitest';
import { listCatalogue } from '../../src/lab/catalogue.js';
import { loadLabFile } from '../../src/model/load.js';
import type { ResolvedLab } from '../../src/model/types.js';
import { canvasPlan, switchName } from '../../src/runtime/gns3/canvas.js';
import { gns3ContainerName, instanceOfProject, isContainerOfProject, projectName } from '../../src/runtime/gns3/names.js';

let catalogue: ResolvedLab[];
beforeAll(async () => {
  catalogue = await Promise.all((await listCatalogue()).map((e) => loadLabFile(e.file)));
});

describe('the GNS3 canvas plan', () => {
  it('gives every node and switch of every catalogue lab a place of its own', () => {
    for (const lab of catalogue) {
      const plan = canvasPlan(lab);
      const places = [...plan.nodes.values(), ...plan.switches.values()].map((p) => `${p.x},${p.y}`);
      expect(new Set(places).size, lab.name).toBe(places.length);
      expect([...plan.nodes.keys()].sort()).toEqual(lab.nodes.map((n) => n.name).sort());
      expect([...plan.switches.keys()].sort()).toEqual(lab.segments.map((s) => s.name).sort());
      for (const p of [...plan.nodes.values(), ...plan.switches.values()]) expect(Number.isInteger(p.x) && Number.isInteger(p.y)).toBe(true);
    }
  });

  it('draws the clients on top, each segment\'s switch between its members\' rows, as the report draws the lab', () => {
    for (const lab of catalogue) {
      const plan = canvasPlan(lab);
      const ys = (pred: (role: string) => boolean) => lab.nodes.filter((n) => pred(n.role)).map((n) => plan.nodes.get(n.name)!.y);
      expect(Math.max(...ys((r) => r === 'client')), lab.name).toBeLessThan(Math.min(...ys((r) => r !== 'client')));
      for (const seg of lab.segments) {
        const rows = seg.members.map((m) => plan.nodes.get(m.node)!.y);
        const sw = plan.switches.get(seg.name)!.y;
        expect(sw).toBeGreaterThan(Math.min(...rows));
        expect(sw).toBeLessThan(Math.max(...rows));
      }
      expect(plan.note.text).toContain(`lvslab down ${lab.instance}`);
      expect(plan.note.y).toBeLessThan(Math.min(...ys(() => true)));
    }
  });

  it('names a switch after its segment unless a node has that name', () => {
    const lab = catalogue.find((l) => l.segments.length > 0)!;
    const seg = lab.segments[0]!.name;
    expect(switchName(lab, seg)).toBe(seg);
    const clash = { ...lab, nodes: [...lab.nodes, { ...lab.nodes[0]!, name: seg }] };
    expect(switchName(clash, seg)).toBe(`${seg}-switch`);
  });
});

describe('GNS3 names', () => {
  it('finds its own projects again and nobody else\'s', () => {
    expect(projectName('ospf-ecmp')).toBe('lvslab-ospf-ecmp');
    expect(instanceOfProject(projectName('alice'))).toBe('alice');
    expect(instanceOfProject('lvslab-')).toBeUndefined();
    expect(instanceOfProject('my-lab')).toBeUndefined();
  });

  it('names containers as GNS3 does, and tells a project\'s containers from another project\'s', () => {
    const id = 'fae39f3f-1b2c-4d5e-8f90-0123456789ab';
    expect(gns3ContainerName('D1', id)).toBe(`GNS3.D1.${id}`);
    expect(isContainerOfProject(`/GNS3.D1.${id}`, id)).toBe(true);
    expect(isContainerOfProject(`GNS3.D1.${id.replace('f', 'e')}`, id)).toBe(false);
    expect(isContainerOfProject(`lvslab-ospf-ecmp-D1`, id)).toBe(false);
  });
});
