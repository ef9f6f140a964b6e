import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../src/report/markdown.js';
import { EVIL, evilRun, failoverRun, repeatRuns, repeatSummary } from '../fixtures/results/load-fixtures.js';

/** The lines of a Markdown section, up to the next heading of the same or a higher level. */
function section(md: string, heading: string): string {
  const lines = md.split('\n');
  const start = lines.findIndex((l) => l === heading);
  expect(start, `section ${heading}`).toBeGreaterThanOrEqual(0);
  const level = heading.match(/^#+/)![0].length;
  const end = lines.findIndex((l, i) => i > start && /^#+ /.test(l) && l.match(/^#+/)![0].length <= level);
  return lines.slice(start, end === -1 ? undefined : end).join('\n');
}

describe('renderMarkdown (one run)', () => {
  const md = renderMarkdown(failoverRun());

  it('has every section, in order', () => {
    const headings = md.split('\n').filter((l) => /^#{1,2} /.test(l));
    expect(headings).toEqual([
      '# Experiment failover-test: run 1',
      '## Assertions',
      '## Figures',
      '## Hits',
      '## Router VIP routes',
      '## Timeline',
      '## Cross-check',
      '## Manifest',
    ]);
    expect(md).toContain('**Result: FAILED** (3 of 4 assertions passed)');
    expect(md).toContain('| runtime | netns |');
  });

  it('says loudly that nftables is the fallback, and says nothing of it for ipvs', () => {
    expect(md).toMatch(/FALLBACK DATAPLANE: nftables, NOT kernel IPVS/);
    expect(md).toContain('**nftables (fallback, not kernel IPVS)**');
    const ipvs = failoverRun();
    ipvs.lab.dataplane = 'ipvs';
    ipvs.manifest.dataplane = 'ipvs';
    ipvs.manifest.dataplaneDetail = 'kernel IPVS (ip_vs 1.2.1), programmed by keepalived 2.2.7';
    const other = renderMarkdown(ipvs);
    expect(other).not.toMatch(/fallback/i);
    expect(other).toContain('ipvs (kernel IPVS)');
  });

  it('lists each assertion with its result, the failing one marked', () => {
    const s = section(md, '## Assertions');
    expect(s).toContain('| PASS | `outage_s <= 5` | 4.133 s | `<= 5` |');
    expect(s).toContain('| PASS | `nexthops.during == 1` | 1 next hop | `== 1` |');
    expect(s).toContain('| **FAIL** | `failed_refused == 0` | 129 | `== 0` |');
  });

  it('tabulates every figure with value, unit, resolution and method; null values show their note', () => {
    const s = section(md, '## Figures');
    expect(s).toContain('| figure | value | unit | resolution | method |');
    // Resolution 0.0025 s: three decimals for the value and for the resolution itself.
    expect(s).toMatch(/\| `outage_s` \| 4\.133 \| s \| 0\.003 \| start of the first failed request/);
    expect(s).toMatch(/\| `success_ratio` \| 0\.94037 \| ratio \| 0\.00006 \|/);
    expect(s).not.toMatch(/\d\.\d{7,}/);
    expect(s).toMatch(/\| `hc_removal_s` \| — \| s \| 0\.001 \| .*\*\(no real-server failure in the timeline\)\*/);
    expect(s.split('\n').filter((l) => l.startsWith('| `'))).toHaveLength(20);
  });

  it('gives hits per real server against the expected share, and per director', () => {
    const s = section(md, '## Hits');
    expect(s).toContain('| rs1 | 7\u2009523 | 50.0 % | 50.0 % | 0.00 pp |');
    expect(s).toContain('| lb1 | 10\u2009454 | 68.8 % | 50.0 % |');
    // Per phase, the directors are differences of the counter readings at the boundaries, with their doubt; they add up to the whole run.
    expect(s).toContain('| during | 10.0–25.0 s | 2\u2009594 | 2\u2009594 | 5\u2009186 | 2 | ±8 (readings within 0.01 s of the boundaries) |');
    expect(s).toContain('| **whole run** | 0.0–40.0 s | 7\u2009523 | 7\u2009523 | 10\u2009454 | 4\u2009734 | exact (no connection between a reading and its boundary) |');
  });

  it('shows a director count that was not measured as "not measured" with its reason, never 0', () => {
    const r = failoverRun();
    r.hits.perPhase.during.perDirector = { lb1: 5186, lb2: null };
    r.hits.perPhase.during.directors!.notMeasured = { lb2: "reading director lb2's counters at timeline step 0 failed: boom" };
    delete r.hits.perPhase.after.directors;
    r.hits.perPhase.after.perDirector = {};
    const s = section(renderMarkdown(r), '## Hits');
    expect(s).toContain('| during | 10.0–25.0 s | 2\u2009594 | 2\u2009594 | 5\u2009186 | not measured [1] |');
    expect(s).toContain("[1] reading director lb2's counters at timeline step 0 failed: boom");
    // A results.json without the count (an older lvslab): not measured either, not 0.
    expect(s).toMatch(/\| after \| 25\.0–40\.0 s \| 2\u2009936 \| 2\u2009935 \| not measured \[2\] \| not measured \[2\] \| how these counts were measured is not recorded/);
    expect(s).toContain('[2] results.json has no count for it');
  });

  it("shows the router's VIP route per snapshot, the lost next hop marked missing", () => {
    const s = section(md, '## Router VIP routes');
    const row = s.split('\n').find((l) => l.startsWith('| router | web'))!;
    const cells = row.split(' | ');
    expect(cells[3]).toContain('2 next hops: 10.0.1.133 (lb1), 10.0.1.135 (lb2)'); // before
    expect(cells[4]).toBe('1 next hop: 10.0.1.133 (lb1), ~~10.0.1.135 (lb2)~~ **missing**'); // during
    expect(cells[5]).toContain('2 next hops'); // after
    expect(s).toContain('10.0.1.100 via 10.0.1.133 dev eth0 nhid 14 proto ospf metric 20'); // FIB during, single hop inline
    expect(s).toMatch(/\| router \| 10\.0\.1\.135 via eth0 \| Full\/DROther \| Full\/DROther \| \*\*gone\*\* \| Full\/DROther \|/);
  });

  it('lists the timeline, the failed element with its duration, and the merged chronology', () => {
    const s = section(md, '## Timeline');
    expect(s).toContain('- **lb2 eth0** silent-failure from 10.000 s to 25.000 s (silent-restore), 15.000 s');
    expect(s).toMatch(/\| 0 \| 10\.000 s \| 10\.000 s \| 11 ms \| `silent-failure lb2 eth0` \| ok \|/);
    const chronology = section(md, '### Chronology (actions, route changes, daemon logs)').split('\n').filter((l) => /^\| +-?\d/.test(l) || /^\| \d/.test(l));
    const times = chronology.map((l) => Number(l.split('|')[1]!.replace(' s', '')));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(s).toContain('| 14.087 s | router ip monitor | `change 10.0.1.100/32: 1 next hop 10.0.1.133 (lb1)` |');
  });

  it('reports the cross-check and the manifest', () => {
    expect(section(md, '## Cross-check')).toContain('Counts **agree**');
    const m = section(md, '## Manifest');
    expect(m).toContain('| FRR | 8.4.4 |');
    expect(m).toContain('| seed | 1 |');
  });

  it('lets no string from the data become markup', () => {
    const evil = renderMarkdown(evilRun());
    // Outside code spans and fences, every < is an entity.
    const withoutCode = evil.replace(/```[\s\S]*?```/g, '').replace(/(`+)[^`]*?\1/g, '');
    expect(withoutCode).not.toContain('<script');
    expect(withoutCode).toContain('&lt;script&gt;');
    // Inside a code span the text is shown literally, which is safe.
    expect(evil).toContain(`\`silent-failure lb2${EVIL} eth0\``);
    // A pipe inside data never splits a table cell.
    const piped = failoverRun();
    piped.logs[0]!.text = 'a | b';
    expect(renderMarkdown(piped)).toContain('`a \\| b`');
  });
});

describe('renderMarkdown (--repeat)', () => {
  it('summarises the runs, the aggregate and, given the runs, their assertions and timelines', () => {
    const md = renderMarkdown(repeatSummary(), repeatRuns());
    expect(md).toContain('# Experiment failover-test: 3 runs');
    expect(md).toContain('**Result: FAILED** (1 of 3 runs passed)');
    expect(md).toMatch(/FALLBACK DATAPLANE/);
    expect(md).toContain('| 2 | PASS | [run-2/report.md](run-2/report.md) |');
    const o = repeatSummary().aggregate['outage_s']!;
    const f3 = (v: number | null) => v!.toFixed(3);
    expect(md).toContain(`| \`outage_s\` | s | 3 | ${f3(o.median)} | ${f3(o.p95)} | ${f3(o.min)} | ${f3(o.max)} |`);
    expect(md).toContain('| `nexthops.during` | next hops | 3 | 1 | 1 | 1 | 1 |');
    expect(md).toMatch(/\| `failed_refused == 0` \| FAIL \(\d+\) \| PASS \(0\) \| FAIL \(\d+\) \|/);
    expect(md).toMatch(/\| `outage_s <= 5` \| PASS \(4\.\d{3} s\) \|/);
    expect(md.match(/^run \d +[▁-█]+$/gm)).toHaveLength(3);
  });

  it('still renders without the runs', () => {
    const md = renderMarkdown(repeatSummary());
    expect(md).toContain('## Figures over the runs');
    expect(md).not.toContain('## Assertions per run');
  });
});

describe('per-client hits', () => {
  const perPhase = (requests: number, ok: number, lb1: number, lb2: number) => ({
    requests,
    ok,
    successRatio: requests === 0 ? null : ok / requests,
    perRealServer: { rs1: lb1, rs3: lb2 },
    perCluster: { lb1, lb2 },
  });

  it('shows each client per phase with its success and the cluster that answered, and is absent for older results', () => {
    const run = failoverRun();
    delete run.hits.perClient; // as in an older results.json
    expect(renderMarkdown(run)).not.toContain('### Per client');
    run.hits.clusters = { rs1: 'lb1', rs3: 'lb2' };
    run.hits.perClient = {
      client1: {
        total: perPhase(3000, 2999, 2000, 999),
        perPhase: { before: perPhase(1000, 1000, 500, 500), during: perPhase(1000, 999, 999, 0), after: perPhase(1000, 1000, 501, 499) },
      },
    };
    const table = section(renderMarkdown(run), '### Per client').replace(/[\u00a0\u2009\u202f]/g, ' '); // thousands are grouped with a thin space
    expect(table).toContain('| client | phase | requests | ok | success | cluster lb1 (rs1) | cluster lb2 (rs3) | other server |');
    expect(table).toContain('| client1 | during | 1 000 | 999 | 99.90 % | 999 | 0 | 0 |');
    expect(table).toContain('| client1 | whole run | 3 000 | 2 999 | 99.97 % | 2 000 | 999 | 0 |');
  });
});
