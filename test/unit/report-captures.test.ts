// `run --capture`'s list in the reports: report.md and report.html name every pcap beside the
// report (linked only when it is a plain file in captures/), list a failed capture with its
// error and no file, and say nothing of captures for a run without them; the terminal summary
// says where the pcaps are.
import { describe, expect, it } from 'vitest';
import type { CaptureRecord, RunResults } from '../../src/experiment/types.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderHtml } from '../../src/report/html.js';
import { captureLines } from '../../src/cli/run-summary.js';
import { EVIL, failoverRun } from '../fixtures/results/load-fixtures.js';
import { xmlProblem } from '../fixtures/results/xml-wellformed.js';
import { fmtCount } from '../../src/report/format.js';

const CAPTURES: CaptureRecord[] = [
  { node: 'lb1', interface: 'eth0', segment: 'lan', file: 'captures/lb1-eth0.pcap', bytes: 123456, frames: 1042, method: 'tcpdump -i eth0 in node lb1', startedAt: 1, stoppedAt: 2 },
  { node: 'switch', interface: 'eth0', link: 'up-lb1', file: 'captures/switch-eth0.pcap', bytes: 2048, frames: 20, method: 'GNS3 link capture of link 6b8f (written by a docker node\'s ubridge)', note: 'a partial last record (12 bytes) was cut off' },
  { node: 'rs1', interface: 'eth0', segment: 'lan', method: 'tcpdump -i eth0 in node rs1', error: 'did not start: tcpdump -i eth0 in node rs1 exited at once: it said tcpdump: eth0: No such device exists' },
  // a hand-edited results.json: shown as text, never a link out of the run directory
  { node: EVIL, interface: 'eth0', segment: 'lan', file: '../../etc/passwd', bytes: 1, frames: 0, method: EVIL },
];

const withCaptures = (): RunResults => ({ ...failoverRun(), captures: CAPTURES });

describe('captures in report.md', () => {
  const md = renderMarkdown(withCaptures());
  const section = md.slice(md.indexOf('## Packet captures'), md.indexOf('## Manifest'));

  it('is a section before the manifest listing every capture', () => {
    expect(md.indexOf('## Packet captures')).toBeGreaterThan(md.indexOf('## Cross-check'));
    expect(section).toContain(`| [\`captures/lb1-eth0.pcap\`](captures/lb1-eth0.pcap) | lb1:eth0 | segment lan | ${fmtCount(123456)} | ${fmtCount(1042)} | tcpdump -i eth0 in node lb1 |`);
    expect(section).toContain('| link up-lb1 |');
    expect(section).toContain('*(a partial last record (12 bytes) was cut off)*');
  });

  it('lists a failed capture with its error and no file', () => {
    expect(section).toMatch(/\| \*\*no pcap\*\*: did not start: tcpdump -i eth0 in node rs1 exited at once.* \| rs1:eth0 \| segment lan \| — \| — \|/);
  });

  it('does not link a file outside captures/, and escapes every string', () => {
    expect(section).toContain('`../../etc/passwd`');
    expect(section).not.toContain('](../../etc/passwd)');
    expect(section).not.toContain('<script>');
  });

  it('is absent from a run without --capture', () => {
    expect(renderMarkdown(failoverRun())).not.toContain('Packet captures');
  });
});

describe('captures in report.html', () => {
  const html = renderHtml(withCaptures());
  const start = html.indexOf('id="captures"');
  const section = html.slice(start, html.indexOf('</section>', start));

  it('is a card with every capture, well-formed, linking only plain files in captures/', () => {
    expect(start).toBeGreaterThan(0);
    expect(xmlProblem(html)).toBeUndefined();
    expect(section).toContain('<a href="captures/lb1-eth0.pcap"><code>captures/lb1-eth0.pcap</code></a>');
    expect(section).toContain('<a href="captures/switch-eth0.pcap">');
    expect([...section.matchAll(/href="([^"]*)"/g)].map((m) => m[1])).toEqual(['captures/lb1-eth0.pcap', 'captures/switch-eth0.pcap']);
    expect(section).toContain('<code>../../etc/passwd</code>');
    expect(section).not.toContain('<script>');
  });

  it('marks a failed capture, with its error', () => {
    expect(section).toMatch(/<tr class="failed"><td><b>no pcap<\/b>: did not start: tcpdump -i eth0 in node rs1 exited at once/);
  });

  it('is absent from a run without --capture', () => {
    expect(renderHtml(failoverRun())).not.toContain('id="captures"');
  });
});

describe('captures in the terminal summary', () => {
  it('says how many links were captured, where, and which failed', () => {
    expect(captureLines(withCaptures(), false)).toEqual([
      '',
      'captures: 3 of 4 links, 0.1 MB in captures/',
      'FAIL  capture of rs1:eth0: did not start: tcpdump -i eth0 in node rs1 exited at once: it said tcpdump: eth0: No such device exists',
    ]);
    expect(captureLines({ ...withCaptures(), run: 2 }, true)[1]).toBe('captures (run 2): 3 of 4 links, 0.1 MB in run-2/captures/');
    expect(captureLines(failoverRun(), false)).toEqual([]);
  });
});
