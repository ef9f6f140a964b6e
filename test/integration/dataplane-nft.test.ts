// The nftables fallback dataplane end to end, without the rest of lvslab: namespaces,
// veths and bridges built by hand, nginx real servers, healthd (compiled) in the
// director, curl in the client. Once for DR on one segment (seed 001's shape), once for
// NAT with the real servers behind the director on another port.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeNamespace } from '../support/netns.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNftCounters, type NftCounterReading } from '../../src/dataplane/counters.js';
import type { HealthdConfig, HealthdState } from '../../src/dataplane/healthd-types.js';
import { FLOW_TIMEOUTS } from '../../src/dataplane/nft-render.js';
import { healthdArgv } from '../../src/dataplane/healthd-types.js';
import type { ResolvedInterface, ResolvedNode, ResolvedService } from '../../src/model/types.js';
import { run, runOk } from '../../src/util/exec.js';
import { pollUntil } from '../../src/util/poll.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PREFIX = `lvtd-${process.pid}`;
const WORK = mkdtempSync(join(tmpdir(), 'lvtd-'));
chmodSync(WORK, 0o755); // nginx workers run as nobody
const createdNamespaces: string[] = [];
const children: ChildProcess[] = [];

// Timing of the checks: fast enough for a short suite, the same semantics as seed 001's.
const CHECK = { delayLoop: 1, connectTimeout: 1, retry: 1, delayBeforeRetry: 1 };
const DETECTION_BOUND_MS = (CHECK.delayLoop + CHECK.connectTimeout + CHECK.retry * CHECK.delayBeforeRetry) * 1000 + 1500;

// ---------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------

function inNs(ns: string, argv: readonly string[], opts?: Parameters<typeof run>[1]) {
  return run(['ip', 'netns', 'exec', ns, ...argv], opts);
}

async function must(argv: readonly string[]): Promise<void> {
  await runOk(argv);
}

async function addNamespace(name: string): Promise<void> {
  await run(['ip', 'netns', 'del', name]); // leftovers of a crashed run with the same pid
  await must(['ip', 'netns', 'add', name]);
  createdNamespaces.push(name);
  await must(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
}

/** Plugs `iface` of namespace `ns` into bridge `bridge` of namespace `switchNs`. */
async function plug(switchNs: string, bridge: string, port: string, ns: string, iface: string, cidr: string): Promise<void> {
  await must(['ip', 'link', 'add', port, 'netns', switchNs, 'type', 'veth', 'peer', 'name', iface, 'netns', ns]);
  await must(['ip', '-n', switchNs, 'link', 'set', port, 'master', bridge, 'up']);
  await must(['ip', '-n', ns, 'addr', 'add', cidr, 'dev', iface]);
  await must(['ip', '-n', ns, 'link', 'set', iface, 'up']);
}

async function addBridge(switchNs: string, bridge: string): Promise<void> {
  await must(['ip', '-n', switchNs, 'link', 'add', bridge, 'type', 'bridge']);
  await must(['ip', '-n', switchNs, 'link', 'set', bridge, 'up']);
}

/** nginx of real server `name`, its files named after its namespace. */
function nginxConf(ns: string, name: string, port: number): string {
  const dir = join(WORK, ns);
  return [
    'worker_processes 1;',
    `pid ${dir}.pid;`,
    `error_log ${dir}.error.log;`,
    'events { worker_connections 256; }',
    'http {',
    '  access_log off;',
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${WORK};`),
    '  keepalive_timeout 60s;',
    `  server { listen ${port}; location / { return 200 "served-by ${name}\\n"; } }`,
    '}',
    '',
  ].join('\n');
}

async function startNginx(ns: string, name: string, port: number): Promise<void> {
  const conf = join(WORK, `${ns}.nginx.conf`);
  writeFileSync(conf, nginxConf(ns, name, port));
  const r = await inNs(ns, ['nginx', '-c', conf]);
  if (r.code !== 0) throw new Error(`nginx ${name}: ${r.stderr}`);
}

async function stopNginx(ns: string, name: string): Promise<void> {
  const r = await inNs(ns, ['nginx', '-c', join(WORK, `${ns}.nginx.conf`), '-s', 'stop']);
  if (r.code !== 0) throw new Error(`nginx -s stop ${name}: ${r.stderr}`);
}

function iface(name: string, address: string, prefix: number, segment: string): ResolvedInterface {
  const [a, b, c] = address.split('.');
  return {
    name,
    mac: '02:00:00:00:00:00',
    address,
    cidr: `${address}/${prefix}`,
    prefixLength: prefix,
    subnet: `${a}.${b}.${c}.0/${prefix}`,
    attachment: { kind: 'segment', segment },
  };
}

/** Compiles src/util + src/dataplane into a scratch dir, independent of the rest of the tree. */
async function buildHealthd(): Promise<string> {
  const out = join(WORK, 'dist');
  const tsconfig = join(WORK, 'tsconfig.json');
  writeFileSync(
    tsconfig,
    JSON.stringify({
      extends: join(REPO, 'tsconfig.json'),
      compilerOptions: {
        outDir: out,
        rootDir: join(REPO, 'src'),
        noEmit: false,
        sourceMap: false,
        typeRoots: [join(REPO, 'node_modules/@types')],
        types: ['node'],
      },
      include: [join(REPO, 'src/util/**/*.ts'), join(REPO, 'src/dataplane/**/*.ts'), join(REPO, 'src/model/types.ts')],
    }),
  );
  const r = await run([join(REPO, 'node_modules/.bin/tsc'), '-p', tsconfig], { cwd: REPO, timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`tsc failed:\n${r.stdout}${r.stderr}`);
  writeFileSync(join(out, 'package.json'), '{ "type": "module" }\n');
  return join(out, 'dataplane', 'healthd.js');
}

// ---------------------------------------------------------------------------
// healthd and client helpers
// ---------------------------------------------------------------------------

class RunningHealthd {
  log = '';
  exited: Promise<number | null>;
  constructor(readonly child: ChildProcess, readonly statePath: string) {
    child.stdout!.on('data', (b: Buffer) => (this.log += b.toString('utf8')));
    child.stderr!.on('data', (b: Buffer) => (this.log += b.toString('utf8')));
    this.exited = new Promise((r) => child.on('exit', (code) => r(code)));
  }

  state(): HealthdState {
    return JSON.parse(readFileSync(this.statePath, 'utf8')) as HealthdState;
  }

  /** Waits for a log line matching `pattern`; returns the time healthd stamped on it. */
  async waitForLog(pattern: RegExp, timeoutMs: number): Promise<number> {
    const r = await pollUntil(
      async () => {
        const line = this.log.split('\n').find((l) => pattern.test(l));
        return { done: line !== undefined, value: line };
      },
      { timeoutMs, intervalMs: 50 },
    );
    if (!r.ok || !r.value) throw new Error(`no log line ${pattern} within ${timeoutMs} ms; log:\n${this.log}`);
    return Date.parse(r.value.slice(0, r.value.indexOf(' ')));
  }
}

function startHealthd(script: string, dirNs: string, config: HealthdConfig): RunningHealthd {
  const path = join(WORK, `${config.director.name}.healthd.json`);
  writeFileSync(path, JSON.stringify(config, null, 2));
  const [node, ...args] = healthdArgv(path, script);
  const child = spawn('ip', ['netns', 'exec', dirNs, node!, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new RunningHealthd(child, config.statePath);
}

interface Batch {
  servedBy: Record<string, number>;
  connects: number;
}

/** `n` requests from one curl, each on a new connection (the server closes it). */
async function requests(clientNs: string, url: string, n: number): Promise<Batch> {
  const r = await inNs(
    clientNs,
    ['curl', '-sS', '--max-time', '20', '-H', 'Connection: close', '-w', 'connects=%{num_connects}\n', `${url}?n=[1-${n}]`],
    { timeoutMs: 30_000 },
  );
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const servedBy: Record<string, number> = {};
  let connects = 0;
  for (const line of r.stdout.split('\n')) {
    const m = /^served-by (\S+)$/.exec(line);
    if (m) servedBy[m[1]!] = (servedBy[m[1]!] ?? 0) + 1;
    const c = /^connects=(\d+)$/.exec(line);
    if (c) connects += Number(c[1]);
  }
  return { servedBy, connects };
}

async function connsPerRealServer(dirNs: string): Promise<Record<string, number>> {
  const rows: NftCounterReading[] = await readNftCounters((argv) => inNs(dirNs, argv));
  const out: Record<string, number> = {};
  for (const r of rows) if (r.realServer) out[r.realServer] = r.connections;
  return out;
}

function delta(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0) !== 0) out[k] = v - (before[k] ?? 0);
  return out;
}

/** One curl keeping one connection open for `n` requests at 10 per second. */
class KeepAliveSession {
  out = '';
  readonly done: Promise<number | null>;
  constructor(clientNs: string, url: string, n: number) {
    const child = spawn(
      'ip',
      ['netns', 'exec', clientNs, 'curl', '-sS', '--rate', '10/s', '-w', 'connects=%{num_connects}\n', `${url}?s=[1-${n}]`],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    child.stdout!.on('data', (b: Buffer) => (this.out += b.toString('utf8')));
    child.stderr!.on('data', (b: Buffer) => (this.out += b.toString('utf8')));
    this.done = new Promise((r) => child.on('exit', (code) => r(code)));
  }

  servers(): string[] {
    return [...this.out.matchAll(/^served-by (\S+)$/gm)].map((m) => m[1]!);
  }

  connects(): number {
    return [...this.out.matchAll(/^connects=(\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
  }
}

// ---------------------------------------------------------------------------
// The scenario both forwarding methods must pass
// ---------------------------------------------------------------------------

interface World {
  ns: { client: string; director: string; rs1: string; rs2: string };
  url: string;
  rsPort: number;
  weights: { rs1: number; rs2: number };
  config: HealthdConfig;
}

function scenario(label: string, build: () => Promise<World>): void {
  describe(label, () => {
    let w: World;
    let hd: RunningHealthd;
    let script: string;
    let longFlowServer = '';

    beforeAll(async () => {
      script = await scriptReady;
      w = await build();
      await startNginx(w.ns.rs1, 'rs1', w.rsPort);
      await startNginx(w.ns.rs2, 'rs2', w.rsPort);
      hd = startHealthd(script, w.ns.director, w.config);
      const ready = await pollUntil(
        async () => {
          const s = hd.state();
          return { done: s.ready, value: s };
        },
        { timeoutMs: 10_000, intervalMs: 50 },
      );
      if (!ready.ok) throw new Error(`healthd not ready:\n${hd.log}`);
    }, 40_000);

    it('says loudly that this is the nftables fallback', () => {
      expect(hd.log).toMatch(/WARNING: kernel has no IP_VS: services are forwarded by the lvslab nftables fallback/);
      expect(hd.state().notes[0]).toMatch(/nftables fallback/);
    });

    it('spreads new connections in the exact wrr proportion, and the counters agree', async () => {
      const before = await connsPerRealServer(w.ns.director);
      const cycle = w.weights.rs1 + w.weights.rs2;
      const n = cycle * 8;
      const batch = await requests(w.ns.client, w.url, n);
      expect(batch.connects).toBe(n);
      expect(batch.servedBy).toEqual({ rs1: w.weights.rs1 * 8, rs2: w.weights.rs2 * 8 });
      const after = await connsPerRealServer(w.ns.director);
      expect(delta(after, before)).toEqual(batch.servedBy);
      if (w.config.services[0]!.forwarding === 'dr') {
        // The director's own connection table: one entry per connection, each moved to the
        // FIN timeout (120 s) by the client's FIN, as IPVS's input-only state table does.
        const flows = await inNs(w.ns.director, ['nft', '-j', 'list', 'map', 'ip', 'lvslab', 'flows0']);
        // `timeout` shows the value the entry was added with (the SYN's 60 s); `expires` the refreshed timer.
        type Elem = [{ elem: { timeout: number; expires: number } }, number];
        const doc = JSON.parse(flows.stdout) as { nftables: Array<{ map?: { elem?: Elem[] } }> };
        const elems = doc.nftables.find((x) => x.map)?.map?.elem ?? [];
        expect(elems).toHaveLength(n);
        for (const [key] of elems) {
          expect(key.elem.expires).toBeGreaterThan(FLOW_TIMEOUTS.syn + 10);
          expect(key.elem.expires).toBeLessThanOrEqual(FLOW_TIMEOUTS.fin);
        }
      }
    });

    it('keeps a long-lived flow on its server while the other one fails and leaves the pool', async () => {
      const session = new KeepAliveSession(w.ns.client, w.url, 60);
      const first = await pollUntil(async () => ({ done: session.servers().length > 0, value: session.out }), {
        timeoutMs: 5000,
        intervalMs: 20,
      });
      expect(first.ok).toBe(true);
      longFlowServer = session.servers()[0]!;
      const victim = longFlowServer === 'rs1' ? 'rs2' : 'rs1';
      const victimAddress = w.config.services[0]!.realServers.find((r) => r.node === victim)!.address;

      const stoppedAt = Date.now();
      await stopNginx(w.ns[victim], victim);
      const esc = victimAddress.replaceAll('.', '\\.');
      const removedAt = await hd.waitForLog(new RegExp(`Removing service \\[${esc}\\]:tcp:${w.rsPort} from VS`), 10_000);
      expect(removedAt - stoppedAt).toBeLessThanOrEqual(DETECTION_BOUND_MS);
      await hd.waitForLog(new RegExp(`nftables pool of VS .* now ${longFlowServer}=\\d+ \\(applied`), 2000);
      expect(hd.state().services['web']!.realServers[victim]!.up).toBe(false);

      // New connections now all go to the survivor.
      const before = await connsPerRealServer(w.ns.director);
      const batch = await requests(w.ns.client, w.url, 10);
      expect(batch.servedBy).toEqual({ [longFlowServer]: 10 });
      expect(delta(await connsPerRealServer(w.ns.director), before)).toEqual({ [longFlowServer]: 10 });
      // The pool swap happened while the session was open: it must not have noticed.
      expect(session.servers().length).toBeLessThan(60);

      expect(await session.done).toBe(0);
      const servers = session.servers();
      expect(servers).toHaveLength(60);
      expect(new Set(servers)).toEqual(new Set([longFlowServer]));
      expect(session.connects()).toBe(1);
    }, 30_000);

    it('brings the server back when it recovers', async () => {
      const victim = longFlowServer === 'rs1' ? 'rs2' : 'rs1';
      await startNginx(w.ns[victim], victim, w.rsPort);
      await hd.waitForLog(new RegExp(`Adding service \\[[0-9.]+\\]:tcp:${w.rsPort} to VS`), 5000);
      await hd.waitForLog(/nftables pool of VS .* now rs1=\d+ rs2=\d+ \(applied/, 2000);
      const before = await connsPerRealServer(w.ns.director);
      const cycle = w.weights.rs1 + w.weights.rs2;
      const batch = await requests(w.ns.client, w.url, cycle * 2);
      expect(batch.servedBy).toEqual({ rs1: w.weights.rs1 * 2, rs2: w.weights.rs2 * 2 });
      expect(delta(await connsPerRealServer(w.ns.director), before)).toEqual(batch.servedBy);
      expect(hd.state().services['web']!.realServers[victim]).toMatchObject({ up: true });
    }, 20_000);

    it('stops cleanly on SIGTERM and leaves the ruleset', async () => {
      hd.child.kill('SIGTERM');
      expect(await hd.exited).toBe(0);
      expect(hd.log).toMatch(/Stopping healthd on SIGTERM/);
      expect(hd.state().running).toBe(false);
      const table = await inNs(w.ns.director, ['nft', 'list', 'table', 'ip', 'lvslab']);
      expect(table.code).toBe(0);
    });
  });
}

// ---------------------------------------------------------------------------
// The two worlds
// ---------------------------------------------------------------------------

let scriptReady: Promise<string>;

beforeAll(() => {
  scriptReady = buildHealthd();
  // Surface a compile error here rather than as a timeout later.
  return scriptReady.then(() => undefined);
}, 60_000);

afterAll(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  // Everything still running in these namespaces was started by this file (nginx).
  for (const ns of createdNamespaces) await removeNamespace(ns);
  rmSync(WORK, { recursive: true, force: true });
});

const healthCheck: ResolvedService['healthCheck'] = { type: 'http', path: '/', status: 200, ...CHECK };

function directorNode(name: string, interfaces: ResolvedInterface[], vip: string): ResolvedNode {
  return {
    name,
    role: 'director',
    description: '',
    interfaces,
    loopbacks: [`${vip}/32`],
    routes: [],
    proxyArp: false,
    directs: ['web'],
    serves: [],
  };
}

// DR, seed 001's shape: everybody on 10.0.1.0/24, the VIP on the director's and the real
// servers' lo, the real servers answer the client directly.
scenario('DR on one segment (wrr 1:3)', async () => {
  const ns = { sw: `${PREFIX}-sw`, client: `${PREFIX}-cl`, director: `${PREFIX}-dir`, rs1: `${PREFIX}-rs1`, rs2: `${PREFIX}-rs2` };
  for (const n of Object.values(ns)) await addNamespace(n);
  await addBridge(ns.sw, 'lan');
  await plug(ns.sw, 'lan', 'p-cl', ns.client, 'eth0', '10.0.1.132/24');
  await plug(ns.sw, 'lan', 'p-dir', ns.director, 'eth0', '10.0.1.133/24');
  await plug(ns.sw, 'lan', 'p-rs1', ns.rs1, 'eth0', '10.0.1.129/24');
  await plug(ns.sw, 'lan', 'p-rs2', ns.rs2, 'eth0', '10.0.1.131/24');
  await must(['ip', '-n', ns.client, 'route', 'add', '10.0.1.100/32', 'via', '10.0.1.133']);
  await must(['ip', '-n', ns.director, 'addr', 'add', '10.0.1.100/32', 'dev', 'lo']);
  for (const rs of [ns.rs1, ns.rs2]) {
    await must(['ip', '-n', rs, 'addr', 'add', '10.0.1.100/32', 'dev', 'lo']);
    const arp = ['all', 'lo', 'eth0'].flatMap((s) => [`net.ipv4.conf.${s}.arp_ignore=1`, `net.ipv4.conf.${s}.arp_announce=2`]);
    const r = await inNs(rs, ['sysctl', '-q', '-w', ...arp]);
    if (r.code !== 0) throw new Error(r.stderr);
  }
  const weights = { rs1: 1, rs2: 3 };
  return {
    ns,
    url: 'http://10.0.1.100/',
    rsPort: 80,
    weights,
    config: {
      version: 1,
      instance: 'dataplane-test',
      director: directorNode('dir', [iface('eth0', '10.0.1.133', 24, 'lan')], '10.0.1.100'),
      services: [
        {
          name: 'web',
          vip: '10.0.1.100',
          port: 80,
          protocol: 'tcp',
          scheduler: 'wrr',
          forwarding: 'dr',
          directors: ['dir'],
          announce: 'none',
          realServers: [
            { node: 'rs1', address: '10.0.1.129', port: 80, weight: weights.rs1, directors: ['dir'] },
            { node: 'rs2', address: '10.0.1.131', port: 80, weight: weights.rs2, directors: ['dir'] },
          ],
          persistenceTimeout: 0,
          healthCheck,
          inhibitOnFailure: false,
        },
      ],
      statePath: join(WORK, 'dr-state.json'),
    },
  };
});

// NAT: the client on a front segment with the VIP, the real servers on a back segment
// with the director as their gateway, listening on 8080.
scenario('NAT through the director (wrr 2:1, port 80 → 8080)', async () => {
  const ns = { sw: `${PREFIX}-nsw`, client: `${PREFIX}-ncl`, director: `${PREFIX}-ndir`, rs1: `${PREFIX}-nrs1`, rs2: `${PREFIX}-nrs2` };
  for (const n of Object.values(ns)) await addNamespace(n);
  await addBridge(ns.sw, 'front');
  await addBridge(ns.sw, 'back');
  await plug(ns.sw, 'front', 'p-cl', ns.client, 'eth0', '10.0.2.10/24');
  await plug(ns.sw, 'front', 'p-dir0', ns.director, 'eth0', '10.0.2.1/24');
  await plug(ns.sw, 'back', 'p-dir1', ns.director, 'eth1', '10.0.3.1/24');
  await plug(ns.sw, 'back', 'p-rs1', ns.rs1, 'eth0', '10.0.3.11/24');
  await plug(ns.sw, 'back', 'p-rs2', ns.rs2, 'eth0', '10.0.3.12/24');
  await must(['ip', '-n', ns.director, 'addr', 'add', '10.0.2.100/32', 'dev', 'lo']);
  for (const rs of [ns.rs1, ns.rs2]) await must(['ip', '-n', rs, 'route', 'add', 'default', 'via', '10.0.3.1']);
  const weights = { rs1: 2, rs2: 1 };
  return {
    ns,
    url: 'http://10.0.2.100/',
    rsPort: 8080,
    weights,
    config: {
      version: 1,
      instance: 'dataplane-test',
      director: directorNode('ndir', [iface('eth0', '10.0.2.1', 24, 'front'), iface('eth1', '10.0.3.1', 24, 'back')], '10.0.2.100'),
      services: [
        {
          name: 'web',
          vip: '10.0.2.100',
          port: 80,
          protocol: 'tcp',
          scheduler: 'wrr',
          forwarding: 'nat',
          directors: ['ndir'],
          announce: 'none',
          realServers: [
            { node: 'rs1', address: '10.0.3.11', port: 8080, weight: weights.rs1, directors: ['ndir'] },
            { node: 'rs2', address: '10.0.3.12', port: 8080, weight: weights.rs2, directors: ['ndir'] },
          ],
          persistenceTimeout: 0,
          healthCheck,
          inhibitOnFailure: false,
        },
      ],
      statePath: join(WORK, 'nat-state.json'),
    },
  };
});
