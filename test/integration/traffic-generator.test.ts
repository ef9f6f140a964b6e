// The traffic generator for real: compiled, run as its own process inside a client
// namespace, against nginx and deliberately misbehaving servers in a server namespace
// (two namespaces on one veth pair, nothing else). Checks every outcome the records can
// hold, the pace, the long-lived connections' break/reopen under packet loss and RSTs,
// and SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeNamespace } from '../support/netns.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LongLivedEvent, RequestRecord } from '../../src/experiment/types.js';
import { generatorArgv, generatorFiles, type GeneratorConfig, type GeneratorSummary } from '../../src/traffic/generator-types.js';
import { readGeneratorSummary, readLongLivedEvents, readRequestRecords } from '../../src/traffic/records.js';
import { run, runOk } from '../../src/util/exec.js';
import { pollUntil } from '../../src/util/poll.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLIENT_NS = `lvtt-${process.pid}-c`;
const SERVER_NS = `lvtt-${process.pid}-s`;
const CLIENT_ADDR = '10.77.77.1';
const SERVER_ADDR = '10.77.77.2';
const PORT = {
  nginx: 8080,
  silent: 8081, // accepts, never answers
  rst: 8082, // RST once the request arrived (SO_LINGER 0)
  fin: 8083, // FIN without an answer
  unavailable: 8084, // nginx answering 503
  closed: 8085, // nothing listens
  flipping: 8086, // keep-alive answers alternately from srvA and srvB on one connection
  fewRequests: 8087, // nginx with keepalive_requests 3
} as const;
const WORK = mkdtempSync(join(tmpdir(), 'lvtt-'));
chmodSync(WORK, 0o755);
const children: ChildProcess[] = [];
let generatorScript = '';

// ---------------------------------------------------------------------------
// Namespaces, servers, the compiled generator
// ---------------------------------------------------------------------------

function inNs(ns: string, argv: readonly string[], opts?: Parameters<typeof run>[1]) {
  return run(['ip', 'netns', 'exec', ns, ...argv], opts);
}

async function addNamespace(name: string): Promise<void> {
  await run(['ip', 'netns', 'del', name]); // leftover of a crashed run with the same pid
  await runOk(['ip', 'netns', 'add', name]);
  await runOk(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
}

const NGINX_CONF = join(WORK, 'nginx.conf');
const ACCESS_LOG = join(WORK, 'access.log');

function nginxConf(): string {
  const answer = (port: number, body: string) =>
    `  server { listen ${SERVER_ADDR}:${port}; add_header X-Real-Server srvA always; location / { ${body} } }`;
  return [
    'worker_processes 1;',
    'user root;',
    `pid ${WORK}/nginx.pid;`,
    `error_log ${WORK}/nginx-error.log;`,
    'events { worker_connections 4096; }',
    'http {',
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${WORK};`),
    "  log_format lvtt '$remote_port $status';",
    `  access_log ${ACCESS_LOG} lvtt;`,
    // What long-lived connections need from a real server (see the report to the lead).
    '  keepalive_timeout 75s;',
    '  keepalive_requests 1000000;',
    '  default_type text/plain;',
    answer(PORT.nginx, 'return 200 "served-by srvA\\n";'),
    answer(PORT.unavailable, 'return 503;'),
    `  server { listen ${SERVER_ADDR}:${PORT.fewRequests}; keepalive_requests 3; add_header X-Real-Server srvA always; location / { return 200 "ok\\n"; } }`,
    '}',
    '',
  ].join('\n');
}

const MISBEHAVING_SERVERS = `
import net from 'node:net';
const held = [];
const behaviours = [
  [${PORT.silent}, (s) => held.push(s)],
  [${PORT.rst}, (s) => s.once('data', () => s.resetAndDestroy())],
  [${PORT.fin}, (s) => s.once('data', () => s.end())],
  [${PORT.flipping}, (s) => {
    let pending = '';
    let answers = 0;
    s.on('data', (d) => {
      pending += d.toString('latin1');
      while (pending.includes('\\r\\n\\r\\n')) {
        pending = pending.slice(pending.indexOf('\\r\\n\\r\\n') + 4);
        const server = answers++ % 2 === 0 ? 'srvA' : 'srvB';
        s.write('HTTP/1.1 200 OK\\r\\nContent-Length: 3\\r\\nX-Real-Server: ' + server + '\\r\\n\\r\\nok\\n');
      }
    });
  }],
];
let listening = 0;
for (const [port, onConnection] of behaviours) {
  net.createServer((s) => { s.on('error', () => {}); onConnection(s); })
    .listen(port, '${SERVER_ADDR}', () => { if (++listening === behaviours.length) console.log('ready'); });
}
`;

async function startMisbehavingServers(): Promise<void> {
  const script = join(WORK, 'misbehaving.mjs');
  writeFileSync(script, MISBEHAVING_SERVERS);
  const child = spawn('ip', ['netns', 'exec', SERVER_NS, process.execPath, script], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const ready = await pollUntil(async () => ({ done: out.includes('ready'), value: out }), { timeoutMs: 10_000, intervalMs: 50 });
  if (!ready.ok) throw new Error(`misbehaving servers did not start: ${out}`);
}

/** Compiles src/traffic (and the types it uses) into a scratch dir, independent of the rest of the tree. */
async function buildGenerator(): Promise<string> {
  const out = join(WORK, 'dist');
  const tsconfig = join(WORK, 'tsconfig.json');
  writeFileSync(
    tsconfig,
    JSON.stringify({
      extends: join(REPO, 'tsconfig.json'),
      compilerOptions: { outDir: out, rootDir: join(REPO, 'src'), sourceMap: false, typeRoots: [join(REPO, 'node_modules/@types')], types: ['node'] },
      include: [join(REPO, 'src/traffic/**/*.ts'), join(REPO, 'src/experiment/types.ts')],
    }),
  );
  const r = await run([join(REPO, 'node_modules/.bin/tsc'), '-p', tsconfig], { cwd: REPO, timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`tsc failed:\n${r.stdout}${r.stderr}`);
  writeFileSync(join(out, 'package.json'), '{ "type": "module" }\n');
  return join(out, 'traffic', 'generator.js');
}

async function nft(ruleset: string): Promise<void> {
  const r = await inNs(SERVER_NS, ['nft', '-f', '-'], { input: ruleset });
  if (r.code !== 0) throw new Error(`nft: ${r.stderr}\n${ruleset}`);
}

/** Drops or rejects what reaches the nginx port, in the server namespace. */
async function blockNginx(verdict: 'drop' | 'reject with tcp reset'): Promise<void> {
  await nft(`table inet lvtt\ndelete table inet lvtt\ntable inet lvtt {\n  chain input {\n    type filter hook input priority 0;\n    tcp dport ${PORT.nginx} ${verdict}\n  }\n}\n`);
}

async function unblockNginx(): Promise<void> {
  await nft('table inet lvtt\ndelete table inet lvtt\n');
}

beforeAll(async () => {
  generatorScript = await buildGenerator();
  await addNamespace(CLIENT_NS);
  await addNamespace(SERVER_NS);
  await runOk(['ip', 'link', 'add', 'tv0', 'netns', CLIENT_NS, 'type', 'veth', 'peer', 'name', 'tv0', 'netns', SERVER_NS]);
  for (const [ns, addr] of [
    [CLIENT_NS, CLIENT_ADDR],
    [SERVER_NS, SERVER_ADDR],
  ] as const) {
    await runOk(['ip', '-n', ns, 'addr', 'add', `${addr}/24`, 'dev', 'tv0']);
    await runOk(['ip', '-n', ns, 'link', 'set', 'tv0', 'up']);
  }
  writeFileSync(NGINX_CONF, nginxConf());
  const r = await inNs(SERVER_NS, ['nginx', '-c', NGINX_CONF]);
  if (r.code !== 0) throw new Error(`nginx: ${r.stderr}`);
  await startMisbehavingServers();
}, 120_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await inNs(SERVER_NS, ['nginx', '-c', NGINX_CONF, '-s', 'stop']);
  await removeNamespace(CLIENT_NS);
  await removeNamespace(SERVER_NS);
  rmSync(WORK, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------
// Running the generator
// ---------------------------------------------------------------------------

interface Running {
  config: GeneratorConfig;
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

let runs = 0;

function startGenerator(overrides: Partial<GeneratorConfig> & { leadMs?: number }): Running {
  const name = `run${++runs}`;
  const files = generatorFiles(WORK, name);
  const { leadMs = 800, ...rest } = overrides;
  const config: GeneratorConfig = {
    version: 1,
    client: name,
    host: SERVER_ADDR,
    port: PORT.nginx,
    path: '/',
    rate: 50,
    durationMs: 1000,
    timeoutMs: 1000,
    // Far enough ahead for node to start: the schedule is absolute from here.
    startAt: Date.now() + leadMs,
    requestsPath: files.requests,
    longLivedPath: files.longLived,
    summaryPath: files.summary,
    ...rest,
  };
  writeFileSync(files.config, JSON.stringify(config));
  const [node, ...args] = generatorArgv(files.config, generatorScript);
  const child = spawn('ip', ['netns', 'exec', CLIENT_NS, node!, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { config, child, output: () => out, exited };
}

async function runGenerator(overrides: Partial<GeneratorConfig>): Promise<{ records: RequestRecord[]; summary: GeneratorSummary; config: GeneratorConfig }> {
  const g = startGenerator(overrides);
  const code = await g.exited;
  expect(code, g.output()).toBe(0);
  return { records: await readRequestRecords(g.config.requestsPath), summary: readGeneratorSummary(g.config.summaryPath), config: g.config };
}

function accessLogPorts(): number[] {
  if (!existsSync(ACCESS_LOG)) return [];
  return readFileSync(ACCESS_LOG, 'utf8')
    .split('\n')
    .filter((l) => l.endsWith(' 200'))
    .map((l) => Number(l.split(' ')[0]));
}

const byT = (a: { t: number }, b: { t: number }) => a.t - b.t;

// ---------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------

describe('new-connection requests', () => {
  it('records every request with its server, at the requested rate, and nginx saw each one', async () => {
    const before = accessLogPorts().length;
    const { records, summary, config } = await runGenerator({ rate: 400, durationMs: 3000 });

    expect(records).toHaveLength(1200);
    expect(records.filter((r) => r.outcome !== 'ok')).toEqual([]);
    for (const r of records) {
      expect(r.server).toBe('srvA');
      expect(r.status).toBe(200);
      expect(r.client).toBe(config.client);
      expect(r.localPort).toBeGreaterThan(1023);
      expect(r.latencyMs).toBeGreaterThan(0);
      expect(r.latencyMs).toBeLessThan(config.timeoutMs);
    }

    // The pace: every start inside the window, and the rate within 5 % of the asked one.
    const sorted = [...records].sort(byT);
    expect(sorted[0]!.t).toBeGreaterThanOrEqual(config.startAt);
    expect(sorted.at(-1)!.t).toBeLessThan(config.startAt + config.durationMs + 50);
    const rate = (sorted.length - 1) / ((sorted.at(-1)!.t - sorted[0]!.t) / 1000);
    expect(Math.abs(rate - 400) / 400).toBeLessThan(0.05);
    expect(Math.abs(summary.achievedRate - 400) / 400).toBeLessThan(0.05);
    // Absolute schedule: request i never starts before startAt + i/rate.
    sorted.forEach((r, i) => expect(r.t).toBeGreaterThanOrEqual(config.startAt + (i * 1000) / 400 - 0.01));

    expect(summary).toMatchObject({
      stoppedBy: 'done',
      requests: { planned: 1200, started: 1200, recorded: 1200, skipped: 0, abandoned: 0, byServer: { srvA: 1200 } },
    });
    expect(summary.requests.byOutcome.ok).toBe(1200);
    expect(summary.readyAt).toBeLessThan(config.startAt);
    // Kept pace on the whole; single late timers depend on what else the 2 cores run.
    expect(summary.lateness.meanMs).toBeLessThan(20);
    expect(summary.lateness.maxMs).toBeLessThan(1000);
    expect(summary.warnings).toEqual([]);

    // The server side agrees: one access-log line per request, from the same source ports.
    const seen = await pollUntil(async () => {
      const ports = accessLogPorts().slice(before);
      return { done: ports.length >= 1200, value: ports };
    }, { timeoutMs: 3000 });
    expect(seen.value!.sort((a, b) => a - b)).toEqual(records.map((r) => r.localPort!).sort((a, b) => a - b));
  }, 30_000);

  it('a closed port gives refused, a silent server timeout at timeoutMs, a RST or a FIN without answer reset, a 503 error', async () => {
    const [refused, silent, rst, fin, unavailable] = await Promise.all([
      runGenerator({ port: PORT.closed, rate: 40, durationMs: 500 }),
      runGenerator({ port: PORT.silent, rate: 40, durationMs: 500, timeoutMs: 300 }),
      runGenerator({ port: PORT.rst, rate: 40, durationMs: 500 }),
      runGenerator({ port: PORT.fin, rate: 40, durationMs: 500 }),
      runGenerator({ port: PORT.unavailable, rate: 40, durationMs: 500 }),
    ]);
    for (const { records } of [refused, silent, rst, fin, unavailable]) expect(records).toHaveLength(20);

    for (const r of refused.records) {
      expect(r.outcome).toBe('refused');
      // Quick, unlike a timeout (five generators start at once on 2 cores: leave room for that).
      expect(r.latencyMs).toBeLessThan(500);
      expect(r.server).toBeUndefined();
    }
    expect(refused.summary.requests.byOutcome.refused).toBe(20);

    for (const r of silent.records) {
      expect(r.outcome).toBe('timeout');
      expect(r.latencyMs).toBeGreaterThanOrEqual(300);
      expect(r.latencyMs).toBeLessThan(300 + 100);
      expect(r.localPort).toBeGreaterThan(1023); // the flow was up: its port is known
    }

    for (const r of [...rst.records, ...fin.records]) {
      expect(r.outcome).toBe('reset');
      expect(r.latencyMs).toBeLessThan(500);
    }

    for (const r of unavailable.records) {
      expect(r).toMatchObject({ outcome: 'error', status: 503 });
      expect(r.server).toBeUndefined();
    }
    expect(unavailable.summary.requests.byOutcome.error).toBe(20);
  }, 30_000);

  it('never exceeds maxInFlight: due requests beyond it are skipped, counted, and have no record', async () => {
    const { records, summary } = await runGenerator({ port: PORT.silent, rate: 100, durationMs: 500, timeoutMs: 2000, maxInFlight: 5 });
    expect(records).toHaveLength(5);
    expect(records.every((r) => r.outcome === 'timeout')).toBe(true);
    expect(summary.requests).toMatchObject({ planned: 50, started: 5, skipped: 45, recorded: 5 });
    expect(summary.peakInFlight).toBe(5);
    expect(summary.warnings.join('\n')).toMatch(/in-flight cap of 5 connections reached/);
  }, 30_000);

  it('SIGTERM: every record so far flushed, requests in flight counted as abandoned, exit 0', async () => {
    const g = startGenerator({ port: PORT.silent, rate: 100, durationMs: 30_000, timeoutMs: 500 });
    try {
      const some = await pollUntil(async () => {
        const n = existsSync(g.config.requestsPath) ? (await readRequestRecords(g.config.requestsPath)).length : 0;
        return { done: n >= 20, value: n };
      }, { timeoutMs: 10_000, intervalMs: 50 });
      expect(some.ok, g.output()).toBe(true);
      g.child.kill('SIGTERM');
      expect(await g.exited).toBe(0);
      const records = await readRequestRecords(g.config.requestsPath);
      const summary = readGeneratorSummary(g.config.summaryPath);
      expect(summary.stoppedBy).toBe('signal');
      expect(summary.requests.recorded).toBe(records.length);
      expect(records.every((r) => r.outcome === 'timeout')).toBe(true);
      // About timeout x rate requests were waiting for their deadline.
      expect(summary.requests.abandoned).toBe(summary.requests.started - records.length);
      expect(summary.requests.abandoned).toBeGreaterThan(20);
      expect(summary.requests.abandoned).toBeLessThan(80);
    } finally {
      if (g.child.exitCode === null) g.child.kill('SIGKILL');
    }
  }, 30_000);

  it('refuses a config above the caps with exit 2, before sending anything', async () => {
    const g = startGenerator({ rate: 6000 });
    expect(await g.exited).toBe(2);
    expect(g.output()).toMatch(/rate: 6000 is outside 0\.\.5000/);
    expect(existsSync(g.config.requestsPath)).toBe(false);
  });
});

describe('long-lived connections', () => {
  it('another server answering on the same connection is server-changed; a server closing it is closed', async () => {
    const [flipping, fewRequests] = [
      startGenerator({ port: PORT.flipping, rate: 0, durationMs: 1500, longLived: { connections: 2, heartbeatMs: 50 } }),
      startGenerator({ port: PORT.fewRequests, rate: 0, durationMs: 1500, longLived: { connections: 2, heartbeatMs: 50 } }),
    ];
    expect(await flipping.exited, flipping.output()).toBe(0);
    expect(await fewRequests.exited, fewRequests.output()).toBe(0);

    const story = async (g: Running, k: number) =>
      (await readLongLivedEvents(g.config.longLivedPath))
        .filter((e) => e.connection === k)
        .sort(byT)
        .map((e) => `${e.kind}${e.breakKind ? `:${e.breakKind}` : ''}@${e.server}`);
    for (const k of [0, 1]) {
      // Every connection: srvA answers first, srvB second -> break; a new connection, again.
      const flips = await story(flipping, k);
      expect(flips.slice(0, 4)).toEqual(['open@srvA', 'break:server-changed@srvA', 'reopen@srvA', 'break:server-changed@srvA']);
      // nginx says `Connection: close` on the third answer of every connection.
      const closes = await story(fewRequests, k);
      expect(closes.slice(0, 4)).toEqual(['open@srvA', 'break:closed@srvA', 'reopen@srvA', 'break:closed@srvA']);
    }
    const summary = readGeneratorSummary(fewRequests.config.summaryPath);
    expect(summary.stoppedBy).toBe('done');
    // 3 answers per connection, one connection attempt per heartbeat at most.
    expect(summary.longLived!.breaks.closed).toBeGreaterThanOrEqual(4);
  }, 30_000);

  it('break on silent loss (timeout) and on RSTs (rst), reopen after each; SIGTERM flushes and exits', async () => {
    const connections = 4;
    const heartbeatMs = 100;
    const timeoutMs = 500;
    const g = startGenerator({ rate: 0, durationMs: 60_000, timeoutMs, longLived: { connections, heartbeatMs } });
    const events = async (): Promise<LongLivedEvent[]> => (existsSync(g.config.longLivedPath) ? readLongLivedEvents(g.config.longLivedPath) : []);
    const waitFor = async (what: string, pred: (e: LongLivedEvent) => boolean, count: number) => {
      const r = await pollUntil(async () => {
        const matching = (await events()).filter(pred);
        return { done: matching.length >= count, value: matching };
      }, { timeoutMs: 6000, intervalMs: 50 });
      expect(r.value?.length ?? 0, `${what}\n${g.output()}`).toBe(count);
      return r.value!;
    };

    try {
      const opens = await waitFor('opens', (e) => e.kind === 'open', connections);
      expect(new Set(opens.map((e) => e.connection))).toEqual(new Set([0, 1, 2, 3]));
      expect(opens.every((e) => e.server === 'srvA')).toBe(true);

      // Packets to the server vanish: each connection's next heartbeat goes unanswered.
      await blockNginx('drop');
      const dropAt = Date.now();
      const timeouts = await waitFor('timeout breaks', (e) => e.kind === 'break' && e.breakKind === 'timeout', connections);
      for (const e of timeouts) {
        expect(e.server).toBe('srvA');
        expect(e.t - dropAt).toBeLessThan(heartbeatMs + timeoutMs + 200);
        expect(e.t - dropAt).toBeGreaterThanOrEqual(timeoutMs - heartbeatMs);
      }
      // While packets are dropped nothing comes back.
      expect((await events()).filter((e) => e.kind === 'reopen')).toEqual([]);

      await unblockNginx();
      const restoredAt = Date.now();
      const reopens = await waitFor('reopens', (e) => e.kind === 'reopen', connections);
      for (const e of reopens) expect(e.t - restoredAt).toBeLessThan(timeoutMs + heartbeatMs + 500);

      // Now the server side answers every packet with a RST.
      await blockNginx('reject with tcp reset');
      const rsts = await waitFor('rst breaks', (e) => e.kind === 'break' && e.breakKind === 'rst', connections);
      expect(new Set(rsts.map((e) => e.connection)).size).toBe(connections);
      await unblockNginx();
      await waitFor('second reopens', (e) => e.kind === 'reopen', 2 * connections);

      // Every connection's story is open, break, reopen, break, reopen: nothing else.
      const all = (await events()).sort(byT);
      for (let k = 0; k < connections; k++) {
        expect(all.filter((e) => e.connection === k).map((e) => e.kind + (e.breakKind ? `:${e.breakKind}` : ''))).toEqual([
          'open',
          'break:timeout',
          'reopen',
          'break:rst',
          'reopen',
        ]);
      }

      const stoppedAt = Date.now();
      g.child.kill('SIGTERM');
      expect(await g.exited).toBe(0);
      expect(Date.now() - stoppedAt).toBeLessThan(2000);
      const summary = readGeneratorSummary(g.config.summaryPath);
      expect(summary.stoppedBy).toBe('signal');
      expect(summary.longLived).toMatchObject({
        connections,
        events: { open: connections, break: 2 * connections, reopen: 2 * connections },
        breaks: { timeout: connections, rst: connections, closed: 0, 'server-changed': 0 },
      });
      expect(summary.longLived!.heartbeats.answered).toBeGreaterThan(connections * 3);
      expect(await events()).toHaveLength(5 * connections);
    } finally {
      await unblockNginx().catch(() => {});
      if (g.child.exitCode === null) g.child.kill('SIGKILL');
    }
  }, 60_000);
});
