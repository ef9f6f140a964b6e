// Graphviz is not installed here (and must not be), so DOT output is checked structurally:
// balanced braces outside strings, balanced quotes, every edge between declared ids.
import { describe, expect, it } from 'vitest';
import type { ResolvedLab } from '../../src/model/types.js';
import { renderDot, renderMermaid } from '../../src/render/graph.js';
import { ospfEcmpResolved } from '../fixtures/ospf-ecmp.resolved.js';
import { cloneLab, expectGolden, FIXTURES, nodeOf } from './render-support.js';

/** ospf-ecmp plus a p2p link router:up0 -- lb1:up0. */
function withLink(): ResolvedLab {
  const lab = cloneLab(ospfEcmpResolved);
  const end = (node: string, address: string, peer: string) => {
    nodeOf(lab, node).interfaces.push({
      name: 'up0',
      mac: '02:00:00:00:00:0' + (node === 'router' ? '1' : '2'),
      address,
      cidr: `${address}/30`,
      prefixLength: 30,
      subnet: '10.21.21.0/30',
      attachment: { kind: 'link', link: 'up1', peer: { node: peer, iface: 'up0' } },
    });
  };
  end('router', '10.21.21.1', 'lb1');
  end('lb1', '10.21.21.2', 'router');
  lab.links.push({ name: 'up1', subnet: '10.21.21.0/30', ends: [{ node: 'router', iface: 'up0' }, { node: 'lb1', iface: 'up0' }] });
  return lab;
}

/** Strips double-quoted strings (with backslash escapes) so structure can be counted. */
function outsideStrings(text: string): string {
  return text.replace(/"(?:[^"\\]|\\.)*"/g, '""');
}

interface MermaidShape {
  declared: Set<string>;
  edges: Array<[string, string]>;
}

function mermaidShape(text: string): MermaidShape {
  const declared = new Set<string>();
  const edges: Array<[string, string]> = [];
  for (const line of text.split('\n').slice(1)) {
    const t = outsideStrings(line.trim());
    const edge = /^(\w+) ---\|""\| (\w+)$/.exec(t);
    if (edge) edges.push([edge[1]!, edge[2]!]);
    else if (/^(\w+)(\{\{""\}\}|\[\[""\]\]|\[""\]|\(\[""\]\)|\(\(""\)\))$/.test(t)) declared.add(t.match(/^\w+/)![0]);
    else if (t !== '' && !/^(%%|classDef |class )/.test(t)) throw new Error(`unexpected Mermaid line: ${line}`);
  }
  return { declared, edges };
}

describe('renderMermaid', () => {
  for (const lab of FIXTURES) {
    it(`${lab.instance} matches its golden file`, () => {
      expectGolden(`${lab.instance}/topology.mmd`, renderMermaid(lab));
    });
  }

  it('declares every node and segment once and only links declared ids', () => {
    for (const lab of [...FIXTURES, withLink()]) {
      const text = renderMermaid(lab);
      expect(text.startsWith('flowchart LR\n')).toBe(true);
      const { declared, edges } = mermaidShape(text);
      expect(declared.size).toBe(lab.nodes.length + lab.segments.length);
      const members = lab.segments.reduce((n, s) => n + s.members.length, 0);
      expect(edges).toHaveLength(members + lab.links.length);
      for (const [a, b] of edges) expect(declared.has(a) && declared.has(b), `${a} -- ${b}`).toBe(true);
    }
  });

  it('shows roles, VIPs on directors and p2p links with both addresses', () => {
    const text = renderMermaid(withLink());
    expect(text).toContain('n1[["lb1<br/>director<br/>VIP 10.0.1.100:80/tcp (web, rr/dr)<br/>OSPF 10.0.1.133"]]');
    expect(text).toContain('n0{{"router<br/>router<br/>OSPF 10.0.1.136"}}');
    expect(text).toContain('n0 ---|"up0 10.21.21.1/30 -- up0 10.21.21.2/30"| n1');
    expect(text).toContain('class n1 director');
  });

  it('escapes text that could close a label', () => {
    const lab = cloneLab(ospfEcmpResolved);
    lab.segments[0]!.name = 'a"b]c';
    const line = renderMermaid(lab).split('\n').find((l) => l.includes('a#'))!;
    expect(line).toBe('    s0(("a#34;b#93;c 10.0.1.0/24"))');
  });
});

describe('renderDot', () => {
  for (const lab of FIXTURES) {
    it(`${lab.instance} matches its golden file`, () => {
      expectGolden(`${lab.instance}/topology.dot`, renderDot(lab));
    });
  }

  it('is one balanced undirected graph whose edges join declared ids', () => {
    for (const lab of [...FIXTURES, withLink()]) {
      const text = renderDot(lab);
      expect(text.startsWith(`graph "${lab.instance}" {\n`)).toBe(true);
      expect(text.endsWith('}\n')).toBe(true);
      const bare = outsideStrings(text);
      expect(bare.match(/"/g)!.length % 2).toBe(0);
      expect(bare.split('{').length).toBe(bare.split('}').length);
      expect(bare).not.toContain('->');
      const declared = new Set([...bare.matchAll(/^ {4}([ns]\d+) \[/gm)].map((m) => m[1]!));
      expect(declared.size).toBe(lab.nodes.length + lab.segments.length);
      const edges = [...bare.matchAll(/^ {4}(\w+) -- (\w+) \[/gm)];
      expect(edges.length).toBeGreaterThan(0);
      for (const [, a, b] of edges) expect(declared.has(a!) && declared.has(b!), `${a} -- ${b}`).toBe(true);
    }
  });

  it('draws roles with distinct shapes and escapes quotes', () => {
    const lab = cloneLab(ospfEcmpResolved);
    lab.description = 'ignored';
    lab.segments[0]!.name = 'say "hi"';
    const text = renderDot(lab);
    expect(text).toMatch(/^ {4}n0 \[label="router\\nrouter\\nOSPF 10\.0\.1\.136", shape=hexagon, /m);
    expect(text).toMatch(/^ {4}n1 \[label="lb1\\ndirector\\nVIP 10\.0\.1\.100:80\/tcp \(web, rr\/dr\)\\nOSPF 10\.0\.1\.133", shape=box3d, /m);
    expect(text).toMatch(/^ {4}n3 \[label="rs1\\nrealserver\\nlo 10\.0\.1\.100\/32", shape=box, /m);
    expect(text).toMatch(/^ {4}n5 \[label="client1\\nclient", shape=ellipse, /m);
    expect(text).toContain('s0 [label="say \\"hi\\"\\n10.0.1.0/24"');
  });
});
