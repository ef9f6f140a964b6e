import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodePaths, ResolvedLab } from '../../src/model/types.js';
import {
  ACCESS_LOG_FIELDS,
  nginxFiles,
  parseAccessLogLine,
  renderNginxConf,
  servedPorts,
} from '../../src/render/nginx.js';
import { run, runOk } from '../../src/util/exec.js';
import { pollUntil } from '../../src/util/poll.js';
import { lvsDrResolved } from '../fixtures/lvs-dr.resolved.js';
import { ospfEcmpResolved } from '../fixtures/ospf-ecmp.resolved.js';
import {
  cloneLab,
  createNamespace,
  deleteNamespace,
  expectGolden,
  FIXTURES,
  goldenPaths,
  inNamespace,
  nodeOf,
  tempPaths,
  testNamespace,
} from './render-support.js';

const SERVE_NS = testNamespace('ngx');
let tmp: string;
/** pid files of every nginx this file started (stopped in afterAll). */
const startedPidFiles: string[] = [];

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'lvtr-nginx-'));
});
afterAll(async () => {
  for (const pidFile of startedPidFiles) await stopNginx(pidFile);
  await deleteNamespace(SERVE_NS);
  rmSync(tmp, { recursive: true, force: true });
}, 15_000);

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops the nginx master recorded in `pidFile` and waits for it to be gone. */
async function stopNginx(pidFile: string): Promise<void> {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 1 || !isAlive(pid)) return;
  process.kill(pid, 'SIGQUIT');
  const gone = await pollUntil(async () => ({ done: !isAlive(pid), value: pid }), { timeoutMs: 5000 });
  if (!gone.ok) process.kill(pid, 'SIGKILL');
}

/** Writes `node`'s config under temp paths; returns the file and the paths. */
function writeConf(lab: ResolvedLab, nodeName: string, label = lab.instance): { file: string; paths: NodePaths } {
  const node = nodeOf(lab, nodeName);
  const paths = tempPaths(join(tmp, label), lab, node);
  const file = join(paths.conf, 'nginx.conf');
  writeFileSync(file, renderNginxConf(lab, node, paths));
  return { file, paths };
}

/** `nginx -t` the way the runtime starts it (-e keeps even early errors out of /var/log). */
async function nginxTest(file: string, paths: NodePaths): Promise<{ code: number; output: string }> {
  const r = await run(['nginx', '-t', '-e', nginxFiles(paths).errorLog, '-c', file], { timeoutMs: 20_000 });
  return { code: r.code, output: (r.stdout + r.stderr).trim() };
}

describe('renderNginxConf', () => {
  for (const lab of FIXTURES) {
    for (const node of lab.nodes) {
      it(`${lab.instance}/${node.name} matches its golden file (empty when it serves nothing)`, () => {
        const text = renderNginxConf(lab, node, goldenPaths(lab, node));
        if (node.serves.length === 0) {
          expect(text).toBe('');
          return;
        }
        expectGolden(`${lab.instance}/${node.name}/nginx.conf`, text);
      });
    }
  }

  it('keeps every path under the node directory', () => {
    const lab = lvsDrResolved;
    const node = nodeOf(lab, 'rs3');
    const paths = goldenPaths(lab, node);
    const text = renderNginxConf(lab, node, paths);
    const absolutePaths = [...text.matchAll(/(?<=\s)\/[^\s;'"]+/g)].map((m) => m[0]);
    expect(absolutePaths.length).toBeGreaterThan(5);
    for (const p of absolutePaths) expect(p.startsWith(`${paths.base}/`), p).toBe(true);
  });

  it('listens on every TCP port the node serves, once, and skips UDP services', () => {
    const lab = cloneLab(ospfEcmpResolved);
    const web = lab.services[0]!;
    lab.services.push(
      { ...structuredClone(web), name: 'alt', port: 8080, realServers: [{ node: 'rs1', address: '10.0.1.129', port: 8080, weight: 1, directors: ['lb1', 'lb2'] }] },
      { ...structuredClone(web), name: 'dns', port: 53, protocol: 'udp', realServers: [{ node: 'rs1', address: '10.0.1.129', port: 53, weight: 1, directors: ['lb1', 'lb2'] }] },
      { ...structuredClone(web), name: 'again', port: 80 },
    );
    const rs1 = nodeOf(lab, 'rs1');
    rs1.serves.push('alt', 'dns', 'again');
    expect(servedPorts(lab, rs1)).toEqual([80, 8080]);
    const text = renderNginxConf(lab, rs1, goldenPaths(lab, rs1));
    expect(text.match(/^ {8}listen \d+;$/gm)).toEqual(['        listen 80;', '        listen 8080;']);
  });
});

describe('parseAccessLogLine', () => {
  it('reads the documented format', () => {
    const entry = parseAccessLogLine('1700000000.123 10.0.1.132:51234 10.0.1.100:80 200 "GET /x?a=\\x22b\\x22 HTTP/1.1"\n');
    expect(entry).toEqual({
      timeMs: 1_700_000_000_123,
      clientAddress: '10.0.1.132',
      clientPort: 51234,
      serverAddress: '10.0.1.100',
      serverPort: 80,
      status: 200,
      request: 'GET /x?a=\\x22b\\x22 HTTP/1.1',
    });
    expect(Object.keys(entry!)).toEqual([...ACCESS_LOG_FIELDS]);
  });

  it('rejects other lines', () => {
    expect(parseAccessLogLine('')).toBeUndefined();
    expect(parseAccessLogLine('10.0.1.132 - - [01/Jan/2024:00:00:00 +0000] "GET / HTTP/1.1" 200 1')).toBeUndefined();
  });
});

describe('renderNginxConf output is accepted and served by nginx 1.22', () => {
  for (const lab of FIXTURES) {
    for (const node of lab.nodes.filter((n) => n.serves.length > 0)) {
      it(`nginx -t accepts ${lab.instance}/${node.name}`, async () => {
        const { file, paths } = writeConf(lab, node.name);
        const r = await nginxTest(file, paths);
        expect(r.output).toContain('test is successful');
        expect(r.code).toBe(0);
      });
    }
  }

  // The validator must be able to say no, or the checks above prove nothing.
  it('nginx -t rejects a misspelled directive', async () => {
    const { file, paths } = writeConf(lvsDrResolved, 'rs1', 'broken');
    writeFileSync(file, readFileSync(file, 'utf8').replace('worker_processes 1;', 'worker_procesess 1;'));
    const r = await nginxTest(file, paths);
    expect(r.code).not.toBe(0);
    expect(r.output).toContain('unknown directive "worker_procesess"');
  });

  it('serves "served-by <node>" with X-Real-Server on the VIP held on lo, and logs it parseably', async () => {
    const lab = ospfEcmpResolved;
    const vip = lab.services[0]!.vip;
    await deleteNamespace(SERVE_NS);
    await createNamespace(SERVE_NS);
    await runOk(['ip', '-n', SERVE_NS, 'addr', 'add', `${vip}/32`, 'dev', 'lo']);
    const { file, paths } = writeConf(lab, 'rs1', 'serve');
    const files = nginxFiles(paths);
    startedPidFiles.push(files.pid);
    await runOk(inNamespace(SERVE_NS, ['nginx', '-e', files.errorLog, '-c', file]));

    const curl = inNamespace(SERVE_NS, ['curl', '-s', '-i', '--max-time', '2', `http://${vip}/anything`]);
    const answered = await pollUntil(
      async () => {
        const r = await run(curl, { timeoutMs: 5000 });
        return { done: r.code === 0, value: r };
      },
      { timeoutMs: 5000 },
    );
    expect(answered.ok, answered.value?.stderr).toBe(true);
    const response = answered.value!.stdout;
    expect(response).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(response).toMatch(/\r\nX-Real-Server: rs1\r\n/);
    expect(response.endsWith('\r\n\r\nserved-by rs1\n')).toBe(true);

    const logged = await pollUntil(
      async () => {
        const lines = existsSync(files.accessLog) ? readFileSync(files.accessLog, 'utf8').split('\n').filter(Boolean) : [];
        return { done: lines.length > 0, value: lines };
      },
      { timeoutMs: 3000 },
    );
    expect(logged.ok).toBe(true);
    const entry = parseAccessLogLine(logged.value![0]!);
    expect(entry).toMatchObject({ serverAddress: vip, serverPort: 80, status: 200, request: 'GET /anything HTTP/1.1' });
    expect(Math.abs(entry!.timeMs - Date.now())).toBeLessThan(60_000);
    // Nothing leaked to /var: the error log is where the config says.
    expect(existsSync(files.errorLog)).toBe(true);
  }, 20_000);
});
