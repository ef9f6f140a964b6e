import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderFrrConf } from '../../src/render/frr.js';
import type { ResolvedLab } from '../../src/model/types.js';
import { run } from '../../src/util/exec.js';
import { ospfEcmpResolved } from '../fixtures/ospf-ecmp.resolved.js';
import { cloneLab, expectGolden, FIXTURES, goldenPaths, nodeOf, tempPaths } from './render-support.js';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'lvtr-frr-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** `vtysh --dryrun -f` on `text`; exit code and everything it printed. */
async function vtyshDryrun(text: string, name: string): Promise<{ code: number; output: string }> {
  const file = join(tmp, name);
  writeFileSync(file, text);
  const r = await run(['vtysh', '--dryrun', '-f', file], { timeoutMs: 20_000 });
  return { code: r.code, output: (r.stdout + r.stderr).trim() };
}

/** A variant of ospf-ecmp exercising what the seed labs leave at defaults. */
function variantLab(): ResolvedLab {
  const lab = cloneLab(ospfEcmpResolved);
  lab.ospf.referenceBandwidth = 1000;
  lab.ospf.spfDelayMs = 10;
  const router = nodeOf(lab, 'router');
  router.ospf!.defaultOriginate = true;
  router.interfaces.push({
    name: 'uplink0',
    mac: '02:00:00:00:00:01',
    address: '10.21.21.1',
    cidr: '10.21.21.1/30',
    prefixLength: 30,
    subnet: '10.21.21.0/30',
    attachment: { kind: 'link', link: 'up', peer: { node: 'lb1', iface: 'eth1' } },
    ospf: { retransmit: 2, cost: 10, priority: 1, hello: 1, dead: 4, network: 'point-to-point', passive: true },
  });
  router.ospf!.networks.push('10.21.21.0/30');
  return lab;
}

describe('renderFrrConf', () => {
  for (const lab of FIXTURES) {
    for (const node of lab.nodes) {
      it(`${lab.instance}/${node.name} matches its golden file (empty when no OSPF)`, () => {
        const text = renderFrrConf(lab, node, goldenPaths(lab, node));
        if (!node.ospf) {
          expect(text).toBe('');
          return;
        }
        expectGolden(`${lab.instance}/${node.name}/frr.conf`, text);
      });
    }
  }

  it('filters OSPF routes out of the kernel on directors only (seed 001)', () => {
    const lab = ospfEcmpResolved;
    const director = renderFrrConf(lab, nodeOf(lab, 'lb1'), goldenPaths(lab, nodeOf(lab, 'lb1')));
    const router = renderFrrConf(lab, nodeOf(lab, 'router'), goldenPaths(lab, nodeOf(lab, 'router')));
    expect(director).toMatch(/^route-map LVSLAB-NO-OSPF deny 10$/m);
    expect(director).toMatch(/^ip protocol ospf route-map LVSLAB-NO-OSPF$/m);
    expect(router).not.toMatch(/route-map/);
    expect(director).toMatch(/^ network 10\.0\.1\.100\/32 area 0\.0\.0\.0$/m);
    expect(router).not.toMatch(/10\.0\.1\.100/);
  });

  it('logs with millisecond timestamps into the node log directory', () => {
    const lab = ospfEcmpResolved;
    const node = nodeOf(lab, 'router');
    const text = renderFrrConf(lab, node, goldenPaths(lab, node));
    expect(text).toContain(`log file /run/lvslab/ospf-ecmp/nodes/router/log/frr.log\nlog timestamp precision 3\n`);
  });

  it('renders passive, p2p, reference bandwidth and default originate', () => {
    const lab = variantLab();
    const node = nodeOf(lab, 'router');
    const text = renderFrrConf(lab, node, goldenPaths(lab, node));
    expect(text).toContain(
      'interface uplink0\n ip ospf network point-to-point\n ip ospf hello-interval 1\n ip ospf dead-interval 4\n' +
        ' ip ospf retransmit-interval 2\n ip ospf cost 10\n ip ospf priority 1\n ip ospf passive\nexit\n',
    );
    expect(text).toMatch(/^ auto-cost reference-bandwidth 1000$/m);
    expect(text).toMatch(/^ default-information originate always$/m);
    expect(text).toMatch(/^ timers throttle spf 10 50 5000$/m);
    expect(text).toMatch(/^ network 10\.21\.21\.0\/30 area 0\.0\.0\.0$/m);
  });

  it('is deterministic', () => {
    const lab = ospfEcmpResolved;
    const node = nodeOf(lab, 'lb2');
    expect(renderFrrConf(lab, node, goldenPaths(lab, node))).toBe(renderFrrConf(cloneLab(lab), node, goldenPaths(lab, node)));
  });
});

describe('renderFrrConf output passes vtysh --dryrun (FRR 8.4)', () => {
  const cases: Array<[string, ResolvedLab]> = [
    ...FIXTURES.map((lab): [string, ResolvedLab] => [lab.instance, lab]),
    ['variant', variantLab()],
  ];
  for (const [label, lab] of cases) {
    for (const node of lab.nodes.filter((n) => n.ospf)) {
      it(`${label}/${node.name}`, async () => {
        const text = renderFrrConf(lab, node, tempPaths(tmp, lab, node));
        const r = await vtyshDryrun(text, `${label}-${node.name}.conf`);
        expect(r.output).toBe('');
        expect(r.code).toBe(0);
      });
    }
  }

  // The validator must be able to say no, or the checks above prove nothing.
  it('rejects a config with a misspelled command or a bad value', async () => {
    const lab = ospfEcmpResolved;
    const node = nodeOf(lab, 'lb1');
    const good = renderFrrConf(lab, node, tempPaths(tmp, lab, node));
    const misspelled = await vtyshDryrun(good.replace(' maximum-paths ', ' maximum-pathz '), 'bad1.conf');
    expect(misspelled.code).not.toBe(0);
    expect(misspelled.output).toMatch(/Unknown command.*maximum-pathz/);
    const outOfRange = await vtyshDryrun(good.replace(' ip ospf cost 1', ' ip ospf cost 0'), 'bad2.conf');
    expect(outOfRange.code).not.toBe(0);
  });
});
