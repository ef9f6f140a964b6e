import { describe, expect, it } from 'vitest';
import { renderCompare } from '../../src/report/compare.js';
import { failoverRun, slowHelloRun } from '../fixtures/results/load-fixtures.js';
import { xmlProblem } from '../fixtures/results/xml-wellformed.js';

describe('renderCompare', () => {
  const a = failoverRun();
  const b = slowHelloRun();
  const { markdown, html } = renderCompare(a, b);

  it('puts the figures side by side with B − A and B / A', () => {
    expect(markdown).toContain('| figure | unit | A | B | B − A | B / A |');
    expect(markdown).toContain('| `outage_s` | s | 4.133 | 39.778 | +35.645 | ×9.63 |');
    expect(markdown).toContain('| `requests_failed` | count | 954 | 7\u2009880 | +6\u2009926 | ×8.26 |');
    expect(markdown).toContain('| `failed_refused` | count | 129 | 0 | −129 | ×0.00 |');
    expect(markdown).toContain('| `hc_removal_s` | s | — | — | — | — |');
    expect(markdown).toContain('| OSPF timers | hello 1 s, dead 4 s | hello 10 s, dead 40 s |');
  });

  it('names BFD\'s timers beside OSPF\'s for a run on a lab with BFD', () => {
    const bfd = structuredClone(a) as typeof a & { topology?: { ospf?: Record<string, unknown> } };
    bfd.topology!.ospf!.bfd = { intervalMs: 300, multiplier: 3 };
    const compared = renderCompare(a, bfd);
    expect(compared.markdown).toContain('| OSPF timers | hello 1 s, dead 4 s | hello 1 s, dead 4 s, BFD 300 ms x 3 |');
    expect(compared.html).toContain('hello 1 s, dead 4 s, BFD 300 ms x 3');
  });

  it('shows both runs’ assertions and one fallback notice for both', () => {
    expect(markdown).toContain('| `outage_s <= 5` | PASS (4.133 s) | FAIL (39.778 s) |');
    expect(markdown).toContain('Both runs used nftables, NOT kernel IPVS');
    expect((html.match(/class="fallback"/g) ?? []).length).toBe(1);
  });

  it('stacks both timelines on one time axis (the longer run sets it)', () => {
    expect(xmlProblem(html)).toBeUndefined();
    expect(html).not.toMatch(/https?:\/\/|<script/);
    const charts = [...html.matchAll(/<svg class="chart timeline-chart"[\s\S]*?<\/svg>/g)].map((m) => m[0]);
    expect(charts).toHaveLength(2);
    const ticks = (svg: string) => [...svg.matchAll(/>(\d+) s<\/text>/g)].map((m) => Number(m[1]));
    expect(ticks(charts[0]!)).toEqual(ticks(charts[1]!));
    expect(Math.max(...ticks(charts[0]!))).toBeGreaterThanOrEqual(70);
    // the same y scale too: identical gridline labels
    const yLabels = (svg: string) => [...svg.matchAll(/text-anchor="end" fill="#6b7280">(\d+)</g)].map((m) => m[1]);
    expect(yLabels(charts[0]!)).toEqual(yLabels(charts[1]!));
    // the 40 s run's events sit where the 75 s run's axis puts 10 s and 25 s
    expect(charts[0]).toContain('silent-failure lb2 eth0 @ 10.0 s');
    expect(charts[1]).toContain('silent-restore lb2 eth0 @ 60.0 s');
  });

  it('draws the text timelines of both runs on one ruler', () => {
    const lines = markdown.split('\n');
    const A = lines.find((l) => l.startsWith('A  '))!;
    const B = lines.find((l) => l.startsWith('B  '))!;
    expect([...A]).toHaveLength([...B].length);
    expect(A.slice(3 + 40)).toMatch(/^·+$/); // A stopped at 40 s
  });
});
