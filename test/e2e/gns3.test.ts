// `--runtime gns3`. No GNS3 server can be installed where the tests run, so the suite runs
// against the stand-in (test/support/gns3-standin: the real server's answers, real containers
// wired as GNS3 wires them, links that drop frames while suspended; its header says what it
// mirrors and where it differs). lvslab is the built CLI, pointed at it by LVSLAB_GNS3_URL
// exactly as a user points it at their server:
//   - ospf-ecmp comes up as a GNS3 project: one docker node per lab node, a switch for the
//     segment, GNS3's container names; the router's two-next-hop route, both real servers
//     answering both clients;
//   - failover-test passes with GNS3's link suspend as its silent failure;
//   - `down` leaves no project, container, interface or file, also after a kill -9 of `up`;
//   - ospf-ecmp-p2p and link-cut-p2p (point-to-point links as direct GNS3 links);
//   - on a 3.0 stand-in (its /v3 API and JWT login, and 3.0.6's compute that ignores an empty
//     filter list): failover-test's resumed director carries traffic again, through the
//     client's BPF clear, and down;
//   - with the compute's Docker engine reached over SSH (--gns3-compute-host, a real sshd on
//     a loopback address; lvslab's own DOCKER_HOST leads nowhere): ready, both servers
//     answer, failover-test passes, down leaves nothing.
// Like the other container suites it needs a Docker engine and the node image
// (LVSLAB_DOCKER_TESTS=require makes their absence a failure).
//
// LVSLAB_GNS3_E2E_URL=http://127.0.0.1:3080 runs the same suite against a real GNS3 server
// on this host instead (no auth, or LVSLAB_GNS3_USER/LVSLAB_GNS3_PASSWORD; its local
// compute must run docker nodes here).
import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { engine } from '../../src/docker/engine.js';
import { loadRecipe } from '../../src/images/recipe.js';
import { MATCHES_NO_FRAME } from '../../src/gns3/client.js';
import { pollUntil } from '../../src/util/poll.js';
import { startGns3Standin, type Gns3Standin } from '../support/gns3-standin/server.mjs';
import { canRunSshd, SSH_ALIAS, startSshd, type TestSshd } from '../support/sshd.js';
import { EXIT } from '../../src/util/errors.js';
import { addTallies, dockerSuiteGate, hostSnapshot, leftovers, lvslab, REPO, type HostSnapshot, type NodeExec, requestLoop, scaledMs } from './support.js';

const INSTANCE = 'e2e-gns3';
const P2P = 'e2e-gns3-p2p';
const KILLED = 'e2e-gns3-kill';
const V3 = 'e2e-gns3-v3';
const VIP_URL = 'http://10.0.1.100/';

const gate = await dockerSuiteGate('GNS3 e2e suite');

const REAL_SERVER = process.env.LVSLAB_GNS3_E2E_URL;
let standin: Gns3Standin | undefined;
let serverUrl: string;
let before: HostSnapshot;
let beforeContainers: string[];

/** The CLI pointed at the stand-in, as a user points it at a GNS3 server. */
const gns3 = (args: string[], opts: { timeoutMs?: number } = {}) => lvslab(args, { ...opts, env: { LVSLAB_GNS3_URL: serverUrl } });
const gns3Exec = (instance: string, node: string): NodeExec => (argv, timeoutMs) => gns3(['exec', '--name', instance, node, '--', ...argv], { timeoutMs });

async function gns3Containers(): Promise<string[]> {
  return (await engine().listContainers({ all: true })).flatMap((c) => c.Names).filter((n) => n.startsWith('/GNS3.')).sort();
}

/** The server's own answer (2.2's API; basic auth when credentials are given). */
async function serverGet<T>(path: string, base = serverUrl): Promise<T> {
  const user = process.env.LVSLAB_GNS3_USER;
  const headers: Record<string, string> = user ? { authorization: `Basic ${Buffer.from(`${user}:${process.env.LVSLAB_GNS3_PASSWORD ?? ''}`).toString('base64')}` } : {};
  return (await (await fetch(`${base}${path}`, { headers })).json()) as T;
}

/** The real servers answering through the VIP: one curl at a time from the clients in turn, until two have answered (20 at most). */
async function serversAnswering(cli: (args: string[]) => ReturnType<typeof lvslab>, instance: string, clients: string[]): Promise<string[]> {
  const served = new Set<string>();
  for (let i = 0; i < 20 && served.size < 2; i++) {
    const r = await cli(['exec', '--name', instance, clients[i % clients.length]!, '--', 'curl', '-s', '-m', '2', VIP_URL]);
    expect(r.code, r.stderr).toBe(0);
    served.add(r.stdout.trim());
  }
  return [...served].sort();
}

async function projectsNamed(name: string, base = serverUrl): Promise<Array<{ project_id: string; name: string }>> {
  return (await serverGet<Array<{ project_id: string; name: string }>>('/v2/projects', base)).filter((p) => p.name === name);
}

describe.skipIf(gate.skip)(`ospf-ecmp on a GNS3 server (${REAL_SERVER ? `real, ${REAL_SERVER}` : 'the stand-in'})`, () => {
  beforeAll(async () => {
    if (gate.missing) throw new Error(`LVSLAB_DOCKER_TESTS=require but ${gate.missing}`);
    if (REAL_SERVER) serverUrl = REAL_SERVER;
    else {
      standin = await startGns3Standin({ containers: true, images: [(await loadRecipe()).image] });
      serverUrl = standin.url;
    }
    for (const name of [INSTANCE, P2P, KILLED]) await gns3(['down', name]);
    before = await hostSnapshot();
    beforeContainers = await gns3Containers();
  }, scaledMs(60_000));

  afterAll(async () => {
    if (!serverUrl) return;
    for (const name of [INSTANCE, P2P, KILLED]) await gns3(['down', name]);
    await standin?.close();
  }, scaledMs(120_000));

  test('up --runtime gns3 builds the lab as a GNS3 project and reports it ready', async () => {
    const r = await gns3(['up', 'ospf-ecmp', '--name', INSTANCE, '--runtime', 'gns3', '--json', '--timeout', '90'], { timeoutMs: 240_000 });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const out = JSON.parse(r.stdout) as { phase: string; runtime: string; vipRoutes: Array<{ router: string; nextHops: string[] }> };
    expect(out.phase).toBe('ready');
    expect(out.runtime).toBe('gns3');
    expect(out.vipRoutes.map((v) => [...v.nextHops].sort())).toEqual([['10.0.1.133', '10.0.1.135']]);

    const [project] = await projectsNamed(`lvslab-${INSTANCE}`);
    expect(project).toBeDefined();
    const nodes = await serverGet<Array<{ name: string; node_type: string; status: string }>>(`/v2/projects/${project!.project_id}/nodes`);
    expect(nodes.filter((n) => n.node_type === 'docker').map((n) => n.name).sort()).toEqual(['client1', 'client2', 'lb1', 'lb2', 'router', 'rs1', 'rs2']);
    expect(nodes.filter((n) => n.node_type === 'ethernet_switch').map((n) => n.name)).toEqual(['lan']);
    expect(nodes.every((n) => n.status === 'started')).toBe(true);
    const containers = (await gns3Containers()).filter((c) => !beforeContainers.includes(c));
    expect(containers).toEqual(['client1', 'client2', 'lb1', 'lb2', 'router', 'rs1', 'rs2'].map((n) => `/GNS3.${n}.${project!.project_id}`).sort());
  }, scaledMs(300_000));

  test("the router's route to the VIP has two next hops over OSPF, on the lab's interface names", async () => {
    const r = await gns3(['exec', '--name', INSTANCE, 'router', '--', 'ip', '-j', 'route', 'show', 'exact', '10.0.1.100/32']);
    expect(r.code, r.stderr).toBe(0);
    const [route] = JSON.parse(r.stdout) as Array<{ protocol: string; nexthops: Array<{ gateway: string; dev: string }> }>;
    expect(route!.protocol).toBe('ospf');
    expect(route!.nexthops.map((h) => h.gateway).sort()).toEqual(['10.0.1.133', '10.0.1.135']);
    const neigh = await gns3(['exec', '--name', INSTANCE, 'router', '--', 'vtysh', '-c', 'show ip ospf neighbor']);
    expect(neigh.stdout.match(/Full\//g)).toHaveLength(2);
  });

  test('both real servers answer both clients through the VIP', async () => {
    const tally = addTallies(
      await requestLoop(INSTANCE, 'client1', VIP_URL, 30, gns3Exec(INSTANCE, 'client1')),
      await requestLoop(INSTANCE, 'client2', VIP_URL, 30, gns3Exec(INSTANCE, 'client2')),
    );
    expect(tally.failures).toBe(0);
    expect(Object.keys(tally.hits).sort()).toEqual(['rs1', 'rs2']);
  }, scaledMs(90_000));

  test('failover-test passes with GNS3\'s link suspend as the silent failure, and the report names the server', async () => {
    const out = '/tmp/lvslab-e2e-gns3-failover';
    const r = await gns3(['run', 'failover-test', '--name', INSTANCE, '--out', out, '--json'], { timeoutMs: 240_000 });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const results = JSON.parse(await readFile(`${out}/results.json`, 'utf8')) as {
      lab: { runtime: string };
      manifest: { runtimeDetail?: string };
      timeline: Array<{ action: string; ok: boolean; detail: string }>;
      assertions: Array<{ passed: boolean }>;
    };
    expect(results.lab.runtime).toBe('gns3');
    expect(results.manifest.runtimeDetail).toMatch(/^GNS3 \d+\.\d+\.\d+ at http:\/\/127\.0\.0\.1:\d+, compute local$/);
    const failure = results.timeline.find((a) => a.action === 'silent-failure');
    expect(failure?.ok).toBe(true);
    expect(failure?.detail).toMatch(/GNS3 link \S+ \(\S+\) suspended/);
    expect(results.assertions.length).toBeGreaterThan(0);
    expect(results.assertions.filter((a) => !a.passed)).toEqual([]);
  }, scaledMs(300_000));

  test('a second run on the same instance measures its own run, and --capture keeps a pcap of every link from GNS3\'s own capture', async () => {
    const out = '/tmp/lvslab-e2e-gns3-failover-2';
    await rm(out, { recursive: true, force: true });
    const r = await gns3(['run', 'failover-test', '--name', INSTANCE, '--out', out, '--capture', '--json'], { timeoutMs: 240_000 });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const results = JSON.parse(await readFile(`${out}/results.json`, 'utf8')) as {
      trafficStart: number;
      trafficEnd: number;
      snapshots: Array<{ phase: string; t: number }>;
      routeEvents: Array<{ t: number }>;
      captures: Array<{ node: string; interface: string; file?: string; bytes?: number; frames?: number; method: string; error?: string }>;
    };
    // Nothing of the first run is read again: the final snapshot follows this run's traffic.
    expect(results.snapshots.find((s) => s.phase === 'after')!.t).toBeGreaterThanOrEqual(results.trafficEnd);
    expect(results.routeEvents.every((e) => e.t >= results.trafficStart - 60_000)).toBe(true);
    // One pcap per member of the segment (seven links to its switch), each with frames.
    expect(results.captures.map((c) => c.node).sort()).toEqual(['client1', 'client2', 'lb1', 'lb2', 'router', 'rs1', 'rs2']);
    for (const c of results.captures) {
      expect(c.error, `${c.node}: ${c.error}`).toBeUndefined();
      expect(c.method).toMatch(/GNS3/);
      const pcap = await readFile(`${out}/${c.file}`);
      expect(pcap.length).toBe(c.bytes);
      expect(pcap.readUInt32LE(0)).toBe(0xa1b2c3d4);
      expect(c.frames).toBeGreaterThan(10);
    }
    expect(await readFile(`${out}/report.md`, 'utf8')).toContain(results.captures[0]!.file!);
  }, scaledMs(300_000));

  test('down deletes the project and leaves no container, interface or file', async () => {
    const r = await gns3(['down', INSTANCE], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/removed e2e-gns3: 8 nodes/);
    expect(await projectsNamed(`lvslab-${INSTANCE}`)).toEqual([]);
    expect(await gns3Containers()).toEqual(beforeContainers);
    expect(leftovers(before, await hostSnapshot(), [INSTANCE])).toEqual({});
  }, scaledMs(150_000));

  test('after kill -9 of lvslab during up, down finds the project by name and removes it', async () => {
    const child = spawn(process.execPath, [`${REPO}dist/cli/main.js`, 'up', 'ospf-ecmp', '--name', KILLED, '--runtime', 'gns3'], {
      stdio: 'ignore',
      env: { ...process.env, LVSLAB_GNS3_URL: serverUrl },
    });
    const started = await pollUntil(async () => ({ done: (await gns3Containers()).length >= beforeContainers.length + 3, value: null }), { timeoutMs: scaledMs(60_000), intervalMs: 50 });
    child.kill('SIGKILL');
    expect(started.ok).toBe(true);
    const d = await gns3(['down', KILLED], { timeoutMs: 120_000 });
    expect(d.code, d.stderr).toBe(0);
    expect(await projectsNamed(`lvslab-${KILLED}`)).toEqual([]);
    expect(await gns3Containers()).toEqual(beforeContainers);
    expect(leftovers(before, await hostSnapshot(), [KILLED])).toEqual({});
  }, scaledMs(150_000));

  test('ospf-ecmp-p2p: direct GNS3 links, three next hops, and link-cut-p2p passes (the peer\'s side goes down with the cut)', async () => {
    const up = await gns3(['up', 'ospf-ecmp-p2p', '--name', P2P, '--runtime', 'gns3', '--json', '--timeout', '90'], { timeoutMs: 240_000 });
    expect(up.code, up.stderr.slice(-3000)).toBe(0);
    const out = JSON.parse(up.stdout) as { phase: string; vipRoutes: Array<{ nextHops: string[] }> };
    expect(out.phase).toBe('ready');
    expect(out.vipRoutes[0]!.nextHops).toHaveLength(3);
    const [project] = await projectsNamed(`lvslab-${P2P}`);
    const links = await serverGet<Array<{ nodes: Array<{ node_id: string }> }>>(`/v2/projects/${project!.project_id}/links`);
    const nodes = await serverGet<Array<{ node_id: string; node_type: string }>>(`/v2/projects/${project!.project_id}/nodes`);
    const docker = new Set(nodes.filter((n) => n.node_type === 'docker').map((n) => n.node_id));
    expect(links.filter((l) => l.nodes.every((e) => docker.has(e.node_id))).length).toBeGreaterThan(0);

    const dir = '/tmp/lvslab-e2e-gns3-link-cut-p2p';
    const r = await gns3(['run', 'link-cut-p2p', '--name', P2P, '--out', dir, '--json'], { timeoutMs: 240_000 });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const results = JSON.parse(await readFile(`${dir}/results.json`, 'utf8')) as { timeline: Array<{ action: string; detail: string }>; assertions: Array<{ passed: boolean }> };
    expect(results.assertions.filter((a) => !a.passed)).toEqual([]);
    const d = await gns3(['down', P2P], { timeoutMs: 120_000 });
    expect(d.code, d.stderr).toBe(0);
    expect(await projectsNamed(`lvslab-${P2P}`)).toEqual([]);
    expect(await gns3Containers()).toEqual(beforeContainers);
    expect(leftovers(before, await hostSnapshot(), [P2P])).toEqual({});
  }, scaledMs(500_000));
});

// GNS3 3.0.6's compute ignores an empty filter list in a link update, so a resumed link keeps
// the suspend's frequency_drop -1 and passes nothing unless lvslab's client clears it with a
// BPF filter that matches no frame (Gns3Client.unstickFilters). The 3.0 stand-in does what
// 3.0.6 does (test/support/gns3-standin/server.mjs, updateOnCompute): here failover-test's
// restored director must carry traffic again. Stand-in only (it reads the stand-in's state).
describe.skipIf(gate.skip)('ospf-ecmp on a GNS3 3.0 stand-in: a resumed director carries traffic again', () => {
  let v3: Gns3Standin;
  let v3Before: HostSnapshot;
  let v3Containers: string[];
  const cli = (args: string[], opts: { timeoutMs?: number } = {}) => lvslab(args, { ...opts, env: { LVSLAB_GNS3_URL: v3.url, LVSLAB_GNS3_USER: 'admin', LVSLAB_GNS3_PASSWORD: 'admin' } });

  beforeAll(async () => {
    if (gate.missing) throw new Error(`LVSLAB_DOCKER_TESTS=require but ${gate.missing}`);
    v3 = await startGns3Standin({ api: 'v3', containers: true, images: [(await loadRecipe()).image] });
    v3Before = await hostSnapshot();
    v3Containers = await gns3Containers();
  }, scaledMs(60_000));

  afterAll(async () => {
    if (!v3) return;
    await cli(['down', V3]);
    await v3.close();
  }, scaledMs(120_000));

  test('up on 3.0, failover-test passes with the second director back after the resume, and down leaves nothing', async () => {
    const up = await cli(['up', 'ospf-ecmp', '--name', V3, '--runtime', 'gns3', '--json', '--timeout', '90'], { timeoutMs: 240_000 });
    expect(up.code, up.stderr.slice(-3000)).toBe(0);
    expect((JSON.parse(up.stdout) as { phase: string }).phase).toBe('ready');

    const out = '/tmp/lvslab-e2e-gns3-v3-failover';
    await rm(out, { recursive: true, force: true });
    const r = await cli(['run', 'failover-test', '--name', V3, '--out', out, '--json'], { timeoutMs: 240_000 });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const results = JSON.parse(await readFile(`${out}/results.json`, 'utf8')) as {
      manifest: { runtimeDetail?: string };
      timeline: Array<{ action: string; ok: boolean; detail: string }>;
      figures: Record<string, { value: number | null }>;
      assertions: Array<{ passed: boolean }>;
    };
    expect(results.manifest.runtimeDetail).toMatch(/^GNS3 3\.0\.6 at /);
    expect(results.assertions.filter((a) => !a.passed)).toEqual([]);
    // After the resume both directors took new connections and both are next hops again.
    expect(results.figures['directors_after']!.value).toBe(2);
    expect(results.figures['nexthops.after']!.value).toBe(2);

    // The suspended link is the second director's; the resume went out with the BPF clear.
    const restore = results.timeline.find((a) => a.action === 'silent-restore')!;
    expect(restore.ok).toBe(true);
    const linkId = /GNS3 link (\S+) \(lb2:eth0\)/.exec(restore.detail)?.[1];
    expect(linkId, restore.detail).toBeDefined();
    const puts = v3.requests.filter((q) => q.method === 'PUT' && q.path.endsWith(`/links/${linkId}`)).map((q) => q.body);
    expect(puts).toEqual([{ suspend: true }, { suspend: false }, { filters: { bpf: [MATCHES_NO_FRAME] } }, { filters: {} }]);
    const [projectId] = [...v3.projects.entries()].find(([, p]) => p.name === `lvslab-${V3}`)!;
    expect(v3.computeFilters(projectId, linkId!)).toEqual({ bpf: [MATCHES_NO_FRAME] });

    // And the router still reaches lb2 over OSPF now that the run is over.
    const neigh = await cli(['exec', '--name', V3, 'router', '--', 'vtysh', '-c', 'show ip ospf neighbor']);
    expect(neigh.stdout.match(/Full\//g)).toHaveLength(2);

    const d = await cli(['down', V3], { timeoutMs: 120_000 });
    expect(d.code, d.stderr).toBe(0);
    expect(v3.projects.size).toBe(0);
    expect(await gns3Containers()).toEqual(v3Containers);
    expect(leftovers(v3Before, await hostSnapshot(), [V3])).toEqual({});
  }, scaledMs(300_000));
});

// A GNS3 server whose compute's Docker engine is on another machine (the GNS3 VM): lvslab
// reaches that engine over SSH (--gns3-compute-host), through the same transport as --host.
// Here the stand-in's compute is this machine, its engine reached only through a real sshd on
// a loopback address: lvslab's own DOCKER_HOST leads nowhere, so a lvslab that went to the
// engine directly would fail. Stand-in only (a real server's compute is wherever it is).
const SSH_COMPUTE = 'e2e-gns3-ssh';
// scripts/test.sh sets LVSLAB_SSH_TESTS=require: there a machine without sshd fails this part.
const sshRequired = process.env.LVSLAB_SSH_TESTS === 'require';
const sshGate = canRunSshd() || sshRequired ? gate : { skip: true, missing: undefined };
if (!canRunSshd() && !sshRequired) console.warn('GNS3 compute-over-SSH e2e skipped: no sshd here (openssh-server) or not root');

describe.skipIf(sshGate.skip || REAL_SERVER !== undefined)("ospf-ecmp on a GNS3 stand-in whose compute's Docker engine is reached over SSH", () => {
  let sshStandin: Gns3Standin;
  let sshd: TestSshd;
  let sshBefore: HostSnapshot;
  let sshContainers: string[];
  const cli = (args: string[], opts: { timeoutMs?: number } = {}) =>
    lvslab(args, { ...opts, env: { LVSLAB_GNS3_URL: sshStandin.url, LVSLAB_SSH_CONFIG: sshd.configFile, DOCKER_HOST: 'unix:///nonexistent/lvslab-e2e-docker.sock' } });

  beforeAll(async () => {
    if (gate.missing) throw new Error(`LVSLAB_DOCKER_TESTS=require but ${gate.missing}`);
    if (!canRunSshd()) throw new Error('LVSLAB_SSH_TESTS=require but sshd cannot run here (install openssh-server; run as root)');
    sshStandin = await startGns3Standin({ containers: true, images: [(await loadRecipe()).image] });
    sshd = await startSshd();
    await cli(['down', SSH_COMPUTE, '--gns3-compute-host', SSH_ALIAS]);
    sshBefore = await hostSnapshot();
    sshContainers = await gns3Containers();
  }, scaledMs(60_000));

  afterAll(async () => {
    if (sshd && sshStandin) await cli(['down', SSH_COMPUTE, '--gns3-compute-host', SSH_ALIAS]);
    await sshd?.stop();
    await sshStandin?.close();
  }, scaledMs(120_000));

  test('without --gns3-compute-host this lvslab reaches no engine, and says through which it would', async () => {
    const r = await cli(['up', 'ospf-ecmp', '--name', SSH_COMPUTE, '--runtime', 'gns3']);
    expect(r.code).toBe(EXIT.hostNotReady);
    expect(r.stderr).toMatch(/no Docker engine answers at unix:\/\/\/nonexistent.*through this host's Docker engine/s);
  }, scaledMs(60_000));

  test('up --gns3-compute-host: ready, the record keeps the compute host (and no --host)', async () => {
    const r = await cli(['up', 'ospf-ecmp', '--name', SSH_COMPUTE, '--runtime', 'gns3', '--gns3-compute-host', SSH_ALIAS, '--json', '--timeout', '90'], { timeoutMs: 240_000 });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const out = JSON.parse(r.stdout) as { phase: string; runtime: string; vipRoutes: Array<{ nextHops: string[] }> };
    expect(out.phase).toBe('ready');
    expect(out.runtime).toBe('gns3');
    expect(out.vipRoutes.map((v) => [...v.nextHops].sort())).toEqual([['10.0.1.133', '10.0.1.135']]);
    const record = JSON.parse(await readFile(`/run/lvslab/${SSH_COMPUTE}/instance.json`, 'utf8')) as { runtimeSettings: Record<string, string> };
    expect(record.runtimeSettings.gns3ComputeHost).toBe(SSH_ALIAS);
    expect(record.runtimeSettings.host).toBeUndefined();
    expect((await gns3Containers()).filter((c) => !sshContainers.includes(c))).toHaveLength(7);
  }, scaledMs(300_000));

  test('both real servers answer, through exec without the flag (the record names the compute host)', async () => {
    expect(await serversAnswering(cli, SSH_COMPUTE, ['client2', 'client1'])).toEqual(['served-by rs1', 'served-by rs2']);
  }, scaledMs(60_000));

  test('failover-test passes; the report names the engine over SSH and the lab host clock', async () => {
    const out = '/tmp/lvslab-e2e-gns3-ssh-failover';
    await rm(out, { recursive: true, force: true });
    const r = await cli(['run', 'failover-test', '--name', SSH_COMPUTE, '--out', out, '--json'], { timeoutMs: 240_000 });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const results = JSON.parse(await readFile(`${out}/results.json`, 'utf8')) as { manifest: { runtimeDetail?: string }; assertions: Array<{ passed: boolean }> };
    expect(results.manifest.runtimeDetail).toBe(`GNS3 ${sshStandin.version} at ${sshStandin.url}, compute local, its Docker engine on root@127.0.0.1:${sshd.port} over SSH`);
    expect(results.assertions.length).toBeGreaterThan(0);
    expect(results.assertions.filter((a) => !a.passed)).toEqual([]);
    const manifest = JSON.parse(await readFile(`${out}/manifest.json`, 'utf8')) as { labHost: { host: string } };
    expect(manifest.labHost.host).toBe(`root@127.0.0.1:${sshd.port}`);
    await rm(out, { recursive: true, force: true });
  }, scaledMs(300_000));

  test('down (no flag) deletes the project and leaves no container, interface or file', async () => {
    const r = await cli(['down', SSH_COMPUTE], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/removed e2e-gns3-ssh: 8 nodes/);
    expect(await projectsNamed(`lvslab-${SSH_COMPUTE}`, sshStandin.url)).toEqual([]);
    expect(await gns3Containers()).toEqual(sshContainers);
    expect(leftovers(sshBefore, await hostSnapshot(), [SSH_COMPUTE])).toEqual({});
  }, scaledMs(150_000));
});

// A lab spread over two computes of one GNS3 server (--gns3-placement): the directors and real
// servers on a second compute "vm2", whose Docker engine lvslab reaches over SSH (a real sshd
// on a loopback address: --gns3-compute-host vm2=...), the router and clients on the local
// compute, reached through this machine's engine. Stand-in only: vm2 is registered at
// 192.0.2.11 with an interface on the controller's LAN (192.0.2.10/24), so the controller finds
// a subnet for the tunnels as between two machines, but it is this machine's engine too, and a
// link between the computes the same bridge as any (a real controller tunnels it between the
// computes' ubridges). A third compute, vm3, is this machine (127.0.0.1): a real 2.2.59
// controller refuses a link between it and local (no common subnet), and so does the stand-in.
const PLACED = 'e2e-gns3-placed';
const PLACEMENT = 'director=vm2,realserver=vm2';

describe.skipIf(sshGate.skip || REAL_SERVER !== undefined)('ospf-ecmp over two GNS3 computes (--gns3-placement), the second one reached over SSH', () => {
  let placedStandin: Gns3Standin;
  let sshd: TestSshd;
  let placedBefore: HostSnapshot;
  let placedContainers: string[];
  const cli = (args: string[], opts: { timeoutMs?: number } = {}) => lvslab(args, { ...opts, env: { LVSLAB_GNS3_URL: placedStandin.url, LVSLAB_SSH_CONFIG: sshd.configFile } });
  const hostFlag = () => `vm2=${SSH_ALIAS}`;

  beforeAll(async () => {
    if (gate.missing) throw new Error(`LVSLAB_DOCKER_TESTS=require but ${gate.missing}`);
    if (!canRunSshd()) throw new Error('LVSLAB_SSH_TESTS=require but sshd cannot run here (install openssh-server; run as root)');
    placedStandin = await startGns3Standin({
      containers: true,
      images: [(await loadRecipe()).image],
      localInterfaces: [{ ip_address: '192.0.2.10', netmask: '255.255.255.0' }],
      extraComputes: [
        { compute_id: 'vm2', name: 'vm2', host: '192.0.2.11', port: 3080, interfaces: [{ ip_address: '192.0.2.11', netmask: '255.255.255.0' }] },
        // The controller's own machine: the same interfaces as local's.
        { compute_id: 'vm3', name: 'vm3', host: '127.0.0.1', port: 3090, interfaces: [{ ip_address: '192.0.2.10', netmask: '255.255.255.0' }] },
      ],
    });
    sshd = await startSshd();
    await cli(['down', PLACED, '--gns3-compute-host', hostFlag()]);
    placedBefore = await hostSnapshot();
    placedContainers = await gns3Containers();
  }, scaledMs(60_000));

  afterAll(async () => {
    if (sshd && placedStandin) await cli(['down', PLACED, '--gns3-compute-host', hostFlag()]);
    await sshd?.stop();
    await placedStandin?.close();
  }, scaledMs(120_000));

  test('a placement naming no node or role of the lab, or a compute the server lacks, is refused before anything is made', async () => {
    const typo = await cli(['up', 'ospf-ecmp', '--name', PLACED, '--runtime', 'gns3', '--gns3-placement', 'directors=vm2']);
    expect(typo.code).toBe(EXIT.invalidInput);
    expect(typo.stderr).toContain("--gns3-placement: 'directors' is neither a node nor a role of lab ospf-ecmp");
    expect(typo.stderr).toContain('its roles: router, director, realserver, client');
    const unknown = await cli(['up', 'ospf-ecmp', '--name', PLACED, '--runtime', 'gns3', '--gns3-placement', 'director=vm9']);
    expect(unknown.code).toBe(EXIT.invalidInput);
    expect(unknown.stderr).toContain("has no compute 'vm9' (it has: local, vm2, vm3)");
    // vm2 is another machine (192.0.2.11): without a host for its engine lvslab cannot reach its nodes.
    const unreachable = await cli(['up', 'ospf-ecmp', '--name', PLACED, '--runtime', 'gns3', '--gns3-placement', PLACEMENT]);
    expect(unreachable.code).toBe(EXIT.hostNotReady);
    expect(unreachable.stderr).toContain('the nodes would run on GNS3 compute vm2 (192.0.2.11), another host');
    expect(unreachable.stderr).toContain('--gns3-compute-host vm2=[USER@]HOST');
    expect(await projectsNamed(`lvslab-${PLACED}`, placedStandin.url)).toEqual([]);
    expect(leftovers(placedBefore, await hostSnapshot(), [PLACED])).toEqual({});
  }, scaledMs(120_000));

  test('computes that GNS3 cannot tunnel between: up fails at the first link across them, says why, and rolls back', async () => {
    const r = await cli(['up', 'ospf-ecmp', '--name', PLACED, '--runtime', 'gns3', '--gns3-placement', 'director=vm3'], { timeoutMs: 120_000 });
    expect(r.code).toBe(EXIT.hostNotReady);
    expect(r.stderr).toContain('Cannot get an IP address on same subnet: No common subnet for compute');
    expect(r.stderr).toContain('register the computes with addresses on a LAN they share');
    expect(await projectsNamed(`lvslab-${PLACED}`, placedStandin.url)).toEqual([]);
    expect(await gns3Containers()).toEqual(placedContainers);
    expect(leftovers(placedBefore, await hostSnapshot(), [PLACED])).toEqual({});
  }, scaledMs(120_000));

  test('doctor checks every compute a placement names, through the engines the compute hosts name', async () => {
    const gns3Check = async (args: string[]) => {
      const r = await cli(['doctor', '--json', ...args]);
      return (JSON.parse(r.stdout) as { checks: Array<{ id: string; ok: boolean; detail: string }> }).checks.find((c) => c.id === 'gns3')!;
    };
    const good = await gns3Check(['--gns3-placement', PLACEMENT, '--gns3-compute-host', hostFlag()]);
    expect(good.detail).toContain('computes local, vm2, their Docker engines and the node image are there');
    expect(good.ok).toBe(true);
    const missing = await gns3Check(['--gns3-placement', 'director=vm9']);
    expect(missing.ok).toBe(false);
    expect(missing.detail).toContain("has no compute 'vm9' (it has: local, vm2, vm3)");
  }, scaledMs(60_000));

  test('up: ready, each node on its compute, the segment\'s switch where most of its members are, the placement on record', async () => {
    const r = await cli(['up', 'ospf-ecmp', '--name', PLACED, '--runtime', 'gns3', '--gns3-placement', PLACEMENT, '--gns3-compute-host', hostFlag(), '--json', '--timeout', '90'], { timeoutMs: 240_000 });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const out = JSON.parse(r.stdout) as { phase: string; vipRoutes: Array<{ nextHops: string[] }> };
    expect(out.phase).toBe('ready');
    expect(out.vipRoutes.map((v) => [...v.nextHops].sort())).toEqual([['10.0.1.133', '10.0.1.135']]);
    const [project] = await projectsNamed(`lvslab-${PLACED}`, placedStandin.url);
    const nodes = await serverGet<Array<{ name: string; node_type: string; compute_id: string }>>(`/v2/projects/${project!.project_id}/nodes`, placedStandin.url);
    const computeOf = Object.fromEntries(nodes.map((n) => [n.node_type === 'docker' ? n.name : n.node_type, n.compute_id]));
    expect(computeOf).toEqual({ router: 'local', client1: 'local', client2: 'local', lb1: 'vm2', lb2: 'vm2', rs1: 'vm2', rs2: 'vm2', ethernet_switch: 'vm2' });
    const record = JSON.parse(await readFile(`/run/lvslab/${PLACED}/instance.json`, 'utf8')) as { runtimeSettings: Record<string, string> };
    expect(record.runtimeSettings.gns3NodeComputes).toBe('lb1=vm2,lb2=vm2,rs1=vm2,rs2=vm2');
    expect(record.runtimeSettings.gns3ComputeHost).toBe(hostFlag());
    expect((await gns3Containers()).filter((c) => !placedContainers.includes(c))).toHaveLength(7);
  }, scaledMs(300_000));

  test('exec reaches a node on either compute without the flags (the record names them)', async () => {
    for (const node of ['router', 'lb1']) {
      const r = await cli(['exec', '--name', PLACED, node, '--', 'hostname']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe(node);
    }
    expect(await serversAnswering(cli, PLACED, ['client1'])).toEqual(['served-by rs1', 'served-by rs2']);
    // inspect finds every node's container and processes, on whichever engine runs it.
    const inspected = await cli(['inspect', PLACED, '--json']);
    expect(inspected.code, inspected.stderr).toBe(0);
    const nodes = (JSON.parse(inspected.stdout) as { nodes: Array<{ name: string; processes?: unknown[] }> }).nodes;
    expect(nodes.filter((n) => (n.processes?.length ?? 0) > 0).map((n) => n.name).sort()).toEqual(['client1', 'client2', 'lb1', 'lb2', 'router', 'rs1', 'rs2']);
  }, scaledMs(60_000));

  test('failover-test passes; the report names each compute with its nodes, and the second machine\'s clock against the lab host\'s', async () => {
    const out = '/tmp/lvslab-e2e-gns3-placed-failover';
    await rm(out, { recursive: true, force: true });
    const r = await cli(['run', 'failover-test', '--name', PLACED, '--out', out, '--json'], { timeoutMs: 240_000 });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const results = JSON.parse(await readFile(`${out}/results.json`, 'utf8')) as {
      manifest: { runtimeDetail?: string; labHost?: { host: string }; otherLabHosts?: Array<{ host: string; nodes: string[]; clock: { start: { offsetMs: number; uncertaintyMs: number } } }> };
      assertions: Array<{ passed: boolean }>;
    };
    expect(results.assertions.length).toBeGreaterThan(0);
    expect(results.assertions.filter((a) => !a.passed)).toEqual([]);
    const sshTarget = `root@127.0.0.1:${sshd.port}`;
    expect(results.manifest.runtimeDetail).toBe(`GNS3 ${placedStandin.version} at ${placedStandin.url}, compute local; compute vm2 runs lb1, lb2, rs1, rs2, its Docker engine on ${sshTarget} over SSH`);
    expect(results.manifest.labHost?.host).toBe('this host');
    const [other, ...more] = results.manifest.otherLabHosts ?? [];
    expect(more).toEqual([]);
    expect(other?.host).toBe(sshTarget);
    expect(other?.nodes).toEqual(['lb1', 'lb2', 'rs1', 'rs2']);
    // One machine, so one clock: the offset measured over SSH lies within its own uncertainty
    // (half the round trip) and the 1 ms of lvslab's clock reading.
    expect(other!.clock.start.uncertaintyMs).toBeGreaterThan(0);
    expect(Math.abs(other!.clock.start.offsetMs)).toBeLessThanOrEqual(other!.clock.start.uncertaintyMs + 1);
    expect(await readFile(`${out}/report.md`, 'utf8')).toMatch(new RegExp(`other lab hosts.*${sshTarget.replace(/\./g, '\\.')} \\(lb1, lb2, rs1, rs2\\): its clock minus the lab host's`));
    await rm(out, { recursive: true, force: true });
  }, scaledMs(300_000));

  test('down (no flag) deletes the project and leaves no container, interface or file', async () => {
    const r = await cli(['down', PLACED], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(await projectsNamed(`lvslab-${PLACED}`, placedStandin.url)).toEqual([]);
    expect(await gns3Containers()).toEqual(placedContainers);
    expect(leftovers(placedBefore, await hostSnapshot(), [PLACED])).toEqual({});
  }, scaledMs(150_000));
});
