// Smoke test of the real thing lvslab drives on kernels that have IPVS: keepalived programs
// kernel IPVS (DR) with HTTP_GET health checks in front of two nginx real servers, all in
// network namespaces. The build machines' kernel has no IPVS, so this runs inside the QEMU VM
// (`scripts/test-vm.sh test/vm`) and skips everywhere else.
//
// Topology, one L2 segment (a bridge in its own namespace, so the host's bridges and
// firewall never see it):  client .11 | director .12 (VIP on lo) | rs1 .13 | rs2 .14 (VIP on lo)
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { run, runOk } from '../../src/util/exec.js';
import { pollUntil } from '../../src/util/poll.js';

const HAVE_IPVS = existsSync('/proc/net/ip_vs');
const PREFIX = 'lvtv-';
const BRIDGE_NS = `${PREFIX}sw`;
const NODES = { client: '10.231.0.11', director: '10.231.0.12', rs1: '10.231.0.13', rs2: '10.231.0.14' } as const;
type NodeName = keyof typeof NODES;
const REAL_SERVERS = ['rs1', 'rs2'] as const;
const VIP = '10.231.0.100';

const ns = (node: NodeName | typeof BRIDGE_NS): string => (node === BRIDGE_NS ? node : `${PREFIX}${node}`);
const inNs = (node: NodeName, argv: string[]): string[] => ['ip', 'netns', 'exec', ns(node), ...argv];

let workDir = '';
let keepalivedLog = '';

const suiteName = HAVE_IPVS
  ? 'kernel IPVS smoke: keepalived DR + HTTP_GET in namespaces'
  : 'kernel IPVS smoke (skipped: no /proc/net/ip_vs on this kernel; run it with scripts/test-vm.sh test/vm)';

describe.skipIf(!HAVE_IPVS)(suiteName, () => {
  beforeAll(async () => {
    await removeEverything();
    workDir = mkdtempSync(join(tmpdir(), PREFIX));
    chmodSync(workDir, 0o755); // nginx workers (user nobody) read the document roots below
    await buildSegment();
    for (const rs of REAL_SERVERS) await startNginx(rs);
    await startKeepalived();
  }, 120_000);

  afterAll(async () => {
    await removeEverything();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  }, 60_000);

  test('keepalived programs both healthy real servers into IPVS', async () => {
    const r = await pollUntil(
      async () => {
        const listed = await realServersInIpvs();
        return { done: listed.length === 2, value: listed };
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(r.value, `ipvsadm never listed both real servers; keepalived log:\n${readLog(keepalivedLog)}`).toEqual([
      NODES.rs1,
      NODES.rs2,
    ]);
  }, 70_000);

  test('new connections to the VIP are spread over both real servers by IPVS in DR mode', async () => {
    const before = await ipvsConnections();
    const answers = await requestVip(8);
    expect(answers.filter((a) => a !== 'rs1' && a !== 'rs2'), `answers: ${answers.join(',')}`).toEqual([]);
    expect(answers.filter((a) => a === 'rs1').length).toBeGreaterThan(0);
    expect(answers.filter((a) => a === 'rs2').length).toBeGreaterThan(0);
    // Kernel IPVS (not some other path) carried them: its counter grew by one per request
    // (IPVS folds its per-CPU counters into what ipvsadm shows every 2 s, hence the poll),
    // and it forwards by rewriting the MAC only ("Route"), so the replies bypass the director.
    const counted = await pollUntil(
      async () => {
        const grown = (await ipvsConnections()) - before;
        return { done: grown >= 8, value: grown };
      },
      { timeoutMs: 10_000, intervalMs: 250 },
    );
    expect(counted.value).toBe(8);
    const table = await runOk(inNs('director', ['ipvsadm', '-Ln', '-t', `${VIP}:80`]));
    expect(table).toMatch(new RegExp(`${escapeRe(NODES.rs1)}:80\\s+Route`));
    expect(table).toMatch(new RegExp(`${escapeRe(NODES.rs2)}:80\\s+Route`));
  }, 60_000);

  test('the HTTP_GET check removes a real server whose nginx stopped; traffic goes to the other', async () => {
    await stopNginx('rs1');
    const r = await pollUntil(
      async () => {
        const listed = await realServersInIpvs();
        return { done: listed.length === 1 && listed[0] === NODES.rs2, value: listed };
      },
      { timeoutMs: 45_000, intervalMs: 250 },
    );
    expect(r.value, `rs1 was not removed from IPVS; keepalived log:\n${readLog(keepalivedLog)}`).toEqual([NODES.rs2]);
    expect(await requestVip(6)).toEqual(['rs2', 'rs2', 'rs2', 'rs2', 'rs2', 'rs2']);
  }, 60_000);
});

/** One bridge namespace and one namespace per node, each plugged into the bridge by a veth. */
async function buildSegment(): Promise<void> {
  await runOk(['ip', 'netns', 'add', BRIDGE_NS]);
  await runOk(['ip', '-n', BRIDGE_NS, 'link', 'set', 'lo', 'up']);
  await runOk(['ip', '-n', BRIDGE_NS, 'link', 'add', 'br0', 'type', 'bridge']);
  await runOk(['ip', '-n', BRIDGE_NS, 'link', 'set', 'br0', 'up']);
  for (const [node, addr] of Object.entries(NODES) as Array<[NodeName, string]>) {
    await runOk(['ip', 'netns', 'add', ns(node)]);
    await runOk(['ip', '-n', ns(node), 'link', 'set', 'lo', 'up']);
    // Both ends are created directly in their namespaces: nothing appears in the host's.
    await runOk(['ip', 'link', 'add', 'eth0', 'netns', ns(node), 'type', 'veth', 'peer', 'name', `p-${node}`, 'netns', BRIDGE_NS]);
    await runOk(['ip', '-n', BRIDGE_NS, 'link', 'set', `p-${node}`, 'master', 'br0']);
    await runOk(['ip', '-n', BRIDGE_NS, 'link', 'set', `p-${node}`, 'up']);
    await runOk(['ip', '-n', ns(node), 'addr', 'add', `${addr}/24`, 'dev', 'eth0']);
    await runOk(['ip', '-n', ns(node), 'link', 'set', 'eth0', 'up']);
  }
  // The director owns the VIP (it answers ARP for it); the real servers hold it on lo
  // without announcing it, so DR replies leave them with the VIP as source.
  await runOk(['ip', '-n', ns('director'), 'addr', 'add', `${VIP}/32`, 'dev', 'lo']);
  for (const rs of REAL_SERVERS) {
    await runOk(['ip', '-n', ns(rs), 'addr', 'add', `${VIP}/32`, 'dev', 'lo']);
    await runOk(inNs(rs, ['sysctl', '-qw', 'net.ipv4.conf.all.arp_ignore=1', 'net.ipv4.conf.all.arp_announce=2']));
  }
}

async function startNginx(rs: (typeof REAL_SERVERS)[number]): Promise<void> {
  const dir = join(workDir, rs);
  mkdirSync(dir, { mode: 0o755 });
  writeFileSync(join(dir, 'index.html'), `${rs}\n`);
  writeFileSync(
    join(dir, 'nginx.conf'),
    [
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/error.log;`,
      'worker_processes 1;',
      'events { worker_connections 64; }',
      `http { access_log off; server { listen 80; root ${dir}; } }`,
      '',
    ].join('\n'),
  );
  // nginx returns once its master has bound port 80 and daemonised.
  await runOk(inNs(rs, ['nginx', '-e', `${dir}/error.log`, '-c', `${dir}/nginx.conf`]));
}

async function stopNginx(rs: (typeof REAL_SERVERS)[number]): Promise<void> {
  const dir = join(workDir, rs);
  await runOk(inNs(rs, ['nginx', '-e', `${dir}/error.log`, '-c', `${dir}/nginx.conf`, '-s', 'stop']));
  const gone = await pollUntil(
    async () => {
      const r = await run(inNs(rs, ['curl', '-s', '--max-time', '1', `http://${NODES[rs]}/`]));
      return { done: r.code !== 0, value: r.code };
    },
    { timeoutMs: 10_000 },
  );
  expect(gone.ok, `nginx on ${rs} still answers after -s stop`).toBe(true);
}

/** keepalived in the foreground (-n), health checker only (-C), logging to a file we can show. */
async function startKeepalived(): Promise<void> {
  const conf = join(workDir, 'keepalived.conf');
  const check = (rs: (typeof REAL_SERVERS)[number]) => `  real_server ${NODES[rs]} 80 {
    weight 1
    HTTP_GET {
      url { path / status_code 200 }
      connect_timeout 1
      retry 1
      delay_before_retry 1
    }
  }`;
  writeFileSync(
    conf,
    `global_defs {
  router_id ${PREFIX}director
}
virtual_server ${VIP} 80 {
  delay_loop 1
  lb_algo rr
  lb_kind DR
  protocol TCP
${REAL_SERVERS.map(check).join('\n')}
}
`,
  );
  await runOk(['keepalived', '--config-test', '-f', conf]);
  keepalivedLog = join(workDir, 'keepalived.log');
  const log = openSync(keepalivedLog, 'a');
  const argv = inNs('director', [
    'keepalived', '-n', '-l', '-D', '-C', '-f', conf,
    '-p', join(workDir, 'keepalived.pid'), '-c', join(workDir, 'checkers.pid'),
  ]);
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', log, log], detached: true });
  closeSync(log);
  child.unref();
  // Cleanup finds it through `ip netns pids`; an early exit is worth failing on right here.
  const started = await pollUntil(
    async () => ({ done: existsSync(join(workDir, 'checkers.pid')), value: child.exitCode }),
    { timeoutMs: 20_000 },
  );
  expect(started.ok, `keepalived did not start (exit ${child.exitCode}):\n${readLog(keepalivedLog)}`).toBe(true);
}

/** Real server addresses IPVS currently has for the VIP, sorted. */
async function realServersInIpvs(): Promise<string[]> {
  const out = await runOk(inNs('director', ['ipvsadm', '-Ln', '-t', `${VIP}:80`]));
  const found = [...out.matchAll(/->\s+(\d+\.\d+\.\d+\.\d+):80\s/g)].map((m) => m[1]!);
  return found.sort();
}

/** Connections IPVS has scheduled for the virtual service since it was created. */
async function ipvsConnections(): Promise<number> {
  const out = await runOk(inNs('director', ['ipvsadm', '-Ln', '--stats', '-t', `${VIP}:80`]));
  const m = new RegExp(`TCP\\s+${escapeRe(VIP)}:80\\s+(\\d+)`).exec(out);
  if (!m) throw new Error(`no stats line for ${VIP}:80 in:\n${out}`);
  return Number(m[1]);
}

/** `count` requests from the client, each a new connection; returns each body (or "fail"). */
async function requestVip(count: number): Promise<string[]> {
  const answers: string[] = [];
  for (let i = 0; i < count; i++) {
    const r = await run(inNs('client', ['curl', '-s', '--max-time', '3', `http://${VIP}/`]), { timeoutMs: 10_000 });
    answers.push(r.code === 0 ? r.stdout.trim() : 'fail');
  }
  return answers;
}

/** Stops every process living in one of our namespaces, then removes the namespaces. */
async function removeEverything(): Promise<void> {
  const ours = (await run(['ip', 'netns', 'list'])).stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith(PREFIX));
  for (const signal of ['TERM', 'KILL'] as const) {
    const pids = await pidsIn(ours);
    for (const pid of pids) {
      try {
        process.kill(pid, `SIG${signal}`);
      } catch {
        // already gone
      }
    }
    const gone = await pollUntil(async () => ({ done: (await pidsIn(ours)).length === 0, value: 0 }), { timeoutMs: 10_000 });
    if (gone.ok) break;
  }
  for (const name of ours) await run(['ip', 'netns', 'del', name]);
}

async function pidsIn(namespaces: string[]): Promise<number[]> {
  const pids: number[] = [];
  for (const name of namespaces) {
    const out = (await run(['ip', 'netns', 'pids', name])).stdout;
    pids.push(...out.split('\n').filter(Boolean).map(Number));
  }
  return pids;
}

function escapeRe(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function readLog(path: string): string {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-40).join('\n');
  } catch {
    return '(no log)';
  }
}
