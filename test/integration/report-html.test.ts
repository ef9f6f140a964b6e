// The HTML report in a real browser: headless Chromium, inside a network namespace of its
// own that has no interface but lo, renders the fixture run's report.html from file://.
// Checked: the page loads nothing from anywhere (netlog), Chromium parses the charts into
// DOM elements, the screenshot is a real picture with the charts' colours in it, and
// xmllint (libxml2-utils) finds the files well-formed. Needs `chromium`, `xmllint` and
// `unshare` (scripts/install-deps.sh installs the first two).
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostHasCommand } from '../../src/host/host.js';
import { localHost } from '../../src/host/local.js';
import { run } from '../../src/util/exec.js';
import { renderHtml } from '../../src/report/html.js';
import { loadResults, writeReports } from '../../src/report/write.js';
import { RESULTS_FIXTURES, evilRun } from '../fixtures/results/load-fixtures.js';

const WIDTH = 1400;
const HEIGHT = 2400;

let scratch = '';
let runDir = '';

beforeAll(async () => {
  const missing: string[] = [];
  for (const cmd of ['chromium', 'xmllint', 'unshare']) if (!(await hostHasCommand(localHost, cmd))) missing.push(cmd);
  if (missing.length > 0) {
    throw new Error(`missing ${missing.join(', ')}: apt-get install -y chromium libxml2-utils (scripts/install-deps.sh)`);
  }
  scratch = mkdtempSync(join(tmpdir(), 'lvslab-report-html-'));
  runDir = join(scratch, 'failover-test');
  cpSync(join(RESULTS_FIXTURES, 'failover-test'), runDir, { recursive: true });
  await writeReports(runDir, await loadResults(runDir));
});

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

interface ChromiumRun {
  code: number;
  stdout: string;
  stderr: string;
  /** URLs of every network request in Chromium's net log, with who initiated them. */
  requests: Array<{ url: string; initiator: string | undefined }>;
}

/**
 * Runs headless Chromium on a file in a fresh network namespace (`unshare --net`: only a
 * down lo, so nothing can leave even if something tried), with a new profile each time.
 */
/**
 * One headless Chromium start may take this long: about 3 s on an idle host, 15 s and more
 * with a core busy. Each test's budget is its number of starts times this.
 */
const CHROMIUM_MS = 60_000;
const budget = (starts: number) => starts * CHROMIUM_MS + 10_000;

async function chromium(file: string, extra: string[]): Promise<ChromiumRun> {
  const profile = mkdtempSync(join(scratch, 'profile-'));
  const netlog = join(profile, 'netlog.json');
  const r = await run(
    [
      'unshare', '--net', '--',
      'chromium', '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-extensions', '--disable-default-apps', '--no-pings', '--hide-scrollbars',
      '--host-resolver-rules=MAP * ~NOTFOUND',
      `--user-data-dir=${profile}`, `--log-net-log=${netlog}`,
      '--virtual-time-budget=3000', `--window-size=${WIDTH},${HEIGHT}`,
      ...extra,
      `file://${file}`,
    ],
    { timeoutMs: CHROMIUM_MS },
  );
  return { ...r, requests: netlogRequests(netlog) };
}

function netlogRequests(file: string): ChromiumRun['requests'] {
  const log = JSON.parse(readFileSync(file, 'utf8')) as {
    constants: { logEventTypes: Record<string, number> };
    events: Array<{ type: number; params?: { url?: string; initiator?: string } }>;
  };
  const start = log.constants.logEventTypes['URL_REQUEST_START_JOB'];
  return log.events
    .filter((e) => e.type === start && e.params?.url)
    .map((e) => ({ url: e.params!.url!, initiator: e.params!.initiator }));
}

/**
 * Requests the page itself made. Chromium's own background jobs (component updates)
 * carry the initiator "not an origin"; anything a file:// document asks for carries its
 * origin ("null" or file://).
 */
const pageRequests = (r: ChromiumRun): string[] =>
  r.requests.filter((q) => q.initiator !== undefined && q.initiator !== 'not an origin').map((q) => q.url);

// --- PNG decoding (8-bit RGB/RGBA, not interlaced: what Chromium writes) -----------------

interface Png {
  width: number;
  height: number;
  pixel: (x: number, y: number) => [number, number, number];
}

function decodePng(buf: Buffer): Png {
  expect(buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  let pos = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    const body = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      expect(body[8]).toBe(8); // bit depth
      expect(body[12]).toBe(0); // not interlaced
      channels = body[9] === 6 ? 4 : body[9] === 2 ? 3 : 0;
      expect(channels).toBeGreaterThan(0);
    } else if (type === 'IDAT') idat.push(body);
    pos += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? out[y * stride + x - channels]! : 0;
      const b = y > 0 ? out[(y - 1) * stride + x]! : 0;
      const c = x >= channels && y > 0 ? out[(y - 1) * stride + x - channels]! : 0;
      let v = line[x]!;
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      out[y * stride + x] = v & 0xff;
    }
  }
  return {
    width,
    height,
    pixel: (x, y) => {
      const i = y * stride + x * channels;
      return [out[i]!, out[i + 1]!, out[i + 2]!];
    },
  };
}

/** How many pixels (sampled every 2nd in each direction) are within `tol` of a colour. */
function colourCount(png: Png, hex: string, tol = 6): number {
  const want = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  let n = 0;
  for (let y = 0; y < png.height; y += 2) {
    for (let x = 0; x < png.width; x += 2) {
      const p = png.pixel(x, y);
      if (Math.abs(p[0] - want[0]!) <= tol && Math.abs(p[1] - want[1]!) <= tol && Math.abs(p[2] - want[2]!) <= tol) n++;
    }
  }
  return n;
}

describe('report.html in headless Chromium', () => {
  it('xmllint finds report.html and junit.xml well-formed, also with hostile names', async () => {
    const evilFile = join(scratch, 'evil.html');
    writeFileSync(evilFile, renderHtml(evilRun()));
    for (const f of [join(runDir, 'report.html'), join(runDir, 'junit.xml'), evilFile]) {
      const r = await run(['xmllint', '--noout', '--nonet', f]);
      expect(r.stderr, f).toBe('');
      expect(r.code, f).toBe(0);
    }
    // and xmllint does object to markup that was not escaped (the check can fail)
    const bad = join(scratch, 'bad.html');
    writeFileSync(bad, renderHtml(evilRun()).replace('lb2&lt;script&gt;', 'lb2<script>'));
    expect((await run(['xmllint', '--noout', '--nonet', bad])).code).not.toBe(0);
  });

  it('loads nothing from the network', async () => {
    const html = readFileSync(join(runDir, 'report.html'), 'utf8');
    expect(html).not.toMatch(/https?:\/\//);
    const r = await chromium(join(runDir, 'report.html'), ['--dump-dom']);
    expect(r.code, r.stderr).toBe(0);
    expect(pageRequests(r)).toEqual([]);

    // The net-log check sees a page's own requests (so it can fail): a control page with an
    // external image, and no CSP, is caught asking for it.
    const control = join(scratch, 'control.html');
    writeFileSync(control, '<!DOCTYPE html><html><body><img src="http://192.0.2.1/x.png"/></body></html>');
    const c = await chromium(control, ['--dump-dom']);
    expect(pageRequests(c)).toContain('http://192.0.2.1/x.png');
  }, budget(2));

  it('Chromium builds the charts: timeline, hits, topology', async () => {
    const r = await chromium(join(runDir, 'report.html'), ['--dump-dom']);
    expect(r.code, r.stderr).toBe(0);
    const dom = r.stdout;
    const count = (re: RegExp): number => (dom.match(re) ?? []).length;
    expect(count(/<svg class="chart timeline-chart"/g)).toBe(1);
    expect(count(/<svg class="chart hits-chart"/g)).toBe(1);
    expect(count(/<svg class="chart topology"/g)).toBe(1);
    expect(count(/<path class="series series-(ok|failed)"/g)).toBe(3);
    expect(count(/<g class="event-marker">/g)).toBe(2);
    expect(count(/<rect class="bar-value"/g)).toBe(4);
    expect(count(/<g class="node /g)).toBe(7);
    expect(dom).toContain('silent-failure lb2 eth0 @ 10.0 s');
    // nothing fell out of the SVGs into the page as stray text
    expect(dom).not.toMatch(/<\/svg>\s*[^<\s]/);
  }, budget(1));

  it('Chromium shows the per-phase director counts, adding up to the whole run, and no over-long number', async () => {
    const r = await chromium(join(runDir, 'report.html'), ['--dump-dom']);
    expect(r.code, r.stderr).toBe(0);
    const dom = r.stdout;
    const table = dom.slice(dom.indexOf('<h3>Per phase</h3>'), dom.indexOf('</table>', dom.indexOf('<h3>Per phase</h3>')));
    const rows = [...table.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].slice(1).map((m) => [...m[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => c[1]!.replace(/<[^>]+>/g, '')));
    expect(rows.map((cells) => cells[0])).toEqual(['before', 'during', 'after', 'whole run']);
    const num = (s: string): number => Number(s.replace(/\u2009/g, ''));
    for (const col of [4, 5]) {
      // lb1, lb2: the phases are measured (numbers, not "not measured" or a 0 stand-in) and add up
      const phases = rows.slice(0, 3).map((cells) => num(cells[col]!));
      expect(phases.every(Number.isInteger)).toBe(true);
      expect(phases.reduce((a, b) => a + b, 0)).toBe(num(rows[3]![col]!));
    }
    expect(rows[1]![5]).toBe('2'); // lb2 during the failure: the two connections between the reading and the step
    // Figures and resolutions as the page shows them: never more digits than they allow.
    const figures = dom.slice(dom.indexOf('id="figures"'), dom.indexOf('</section>', dom.indexOf('id="figures"')));
    const summary = dom.slice(dom.indexOf('id="summary"'), dom.indexOf('</section>', dom.indexOf('id="summary"')));
    expect(figures).toContain('<td class="num">0.003</td>'); // outage_s: resolution 0.0025 s
    expect(`${figures}${summary}`).not.toMatch(/<td class="num">[^<]*\d\.\d{6,}|resolution \d\.\d{6,}/);
  }, budget(1));

  it('renders a readable screenshot with the charts in it', async () => {
    const shot = join(scratch, 'report.png');
    const r = await chromium(join(runDir, 'report.html'), [`--screenshot=${shot}`]);
    expect(r.code, r.stderr).toBe(0);
    const size = statSync(shot).size;
    expect(size).toBeGreaterThan(100_000); // a blank or error page compresses to a few KB
    const png = decodePng(readFileSync(shot));
    expect([png.width, png.height]).toEqual([WIDTH, HEIGHT]);
    // The timeline's colours: ok from rs1 (blue), from rs2 (teal), failed (red); the
    // fallback banner's orange border; each in a real area of the picture.
    expect(colourCount(png, '#2563eb')).toBeGreaterThan(20_000);
    expect(colourCount(png, '#0d9488')).toBeGreaterThan(20_000);
    expect(colourCount(png, '#dc2626')).toBeGreaterThan(2_000);
    expect(colourCount(png, '#ea580c')).toBeGreaterThan(200);
  }, budget(1));
});
