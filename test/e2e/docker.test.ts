// The same lab and experiment on `--runtime docker`, against a real Docker engine and the
// image `lvslab images build` made: ospf-ecmp comes up in containers, the router holds its
// two-next-hop route, both real servers answer, failover-test passes its assertions, and
// `down` leaves no container, network, host interface, route or file — also after a kill -9
// of `up`. Engine problems are clear errors that change nothing.
//
// scripts/test.sh starts an engine and builds the image first, and sets
// LVSLAB_DOCKER_TESTS=require so a missing engine fails the suite there. Elsewhere (the IPVS
// VM has no Docker) the suite is skipped, and says why.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { engine } from '../../src/docker/engine.js';
import { up } from '../../src/lab/up.js';
import { loadLabFile } from '../../src/model/load.js';
import { DockerRuntime, NODE_CAPABILITIES } from '../../src/runtime/docker/docker-runtime.js';
import { containerName, instanceFilter } from '../../src/runtime/docker/names.js';
import { LvslabError, EXIT } from '../../src/util/errors.js';
import { pollUntil } from '../../src/util/poll.js';
import { addTallies, cliExec, dockerSuiteGate, hostSnapshot, leftovers, lvslab, REPO, requestLoop, type HostSnapshot, scaledMs } from './support.js';

const INSTANCE = 'e2e-dk';
const KILLED = 'e2e-dk-kill';
const MISSING_IMAGE = 'e2e-dk-noimg';
const VIP_URL = 'http://10.0.1.100/';

const gate = await dockerSuiteGate('docker e2e suite');

let before: HostSnapshot;

describe.skipIf(gate.skip)('ospf-ecmp on docker', () => {
  beforeAll(async () => {
    if (gate.missing) throw new Error(`LVSLAB_DOCKER_TESTS=require but ${gate.missing}`);
    for (const name of [INSTANCE, KILLED, MISSING_IMAGE]) await lvslab(['down', name]);
    before = await hostSnapshot();
  }, scaledMs(60_000));

  afterAll(async () => {
    for (const name of [INSTANCE, KILLED, MISSING_IMAGE]) await lvslab(['down', name]);
  }, scaledMs(60_000));

  test('up --runtime docker builds the lab in containers and reports it ready', async () => {
    const r = await lvslab(['up', 'ospf-ecmp', '--name', INSTANCE, '--runtime', 'docker', '--json', '--timeout', '60']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { phase: string; runtime: string; vipRoutes: Array<{ router: string; nextHops: string[] }> };
    expect(out.phase).toBe('ready');
    expect(out.runtime).toBe('docker');
    expect(out.vipRoutes.map((v) => [...v.nextHops].sort())).toEqual([['10.0.1.133', '10.0.1.135']]);
    const containers = await engine().listContainers({ filters: instanceFilter(INSTANCE) });
    expect(containers.map((c) => c.Names[0]).sort()).toEqual(['client1', 'client2', 'lb1', 'lb2', 'router', 'rs1', 'rs2'].map((n) => `/${containerName(INSTANCE, n)}`).sort());
  }, scaledMs(90_000));

  test("the router's kernel route to the VIP has two next hops, learnt over OSPF", async () => {
    const r = await lvslab(['exec', '--name', INSTANCE, 'router', '--', 'ip', '-j', 'route', 'show', 'exact', '10.0.1.100/32']);
    expect(r.code, r.stderr).toBe(0);
    const [route] = JSON.parse(r.stdout) as Array<{ protocol: string; nexthops: Array<{ gateway: string; dev: string }> }>;
    expect(route!.protocol).toBe('ospf');
    expect(route!.nexthops.map((h) => h.gateway).sort()).toEqual(['10.0.1.133', '10.0.1.135']);
    // the lab's interface name and MAC, not Docker's
    expect(route!.nexthops.every((h) => h.dev === 'eth0')).toBe(true);
    const link = await lvslab(['exec', '--name', INSTANCE, 'router', '--', 'cat', '/sys/class/net/eth0/address']);
    expect(link.stdout.trim()).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    expect(link.stdout.trim().startsWith('02:42:')).toBe(false);
    const neigh = await lvslab(['exec', '--name', INSTANCE, 'router', '--', 'vtysh', '-c', 'show ip ospf neighbor']);
    expect(neigh.stdout.match(/Full\//g)).toHaveLength(2);
  });

  test('both real servers answer both clients through the VIP', async () => {
    const tally = addTallies(
      await requestLoop(INSTANCE, 'client1', VIP_URL, 30, cliExec(INSTANCE, 'client1')),
      await requestLoop(INSTANCE, 'client2', VIP_URL, 30, cliExec(INSTANCE, 'client2')),
    );
    expect(tally.failures).toBe(0);
    expect(Object.keys(tally.hits).sort()).toEqual(['rs1', 'rs2']);
    expect(tally.hits.rs1! + tally.hits.rs2!).toBe(60);
  }, scaledMs(60_000));

  test('containers are not privileged, and neither the host nor the lab has a route to the other', async () => {
    for (const c of await engine().listContainers({ filters: instanceFilter(INSTANCE) })) {
      const info = await engine().getContainer(c.Id).inspect();
      expect(info.HostConfig.Privileged).toBe(false);
      expect([...(info.HostConfig.CapAdd ?? [])].sort()).toEqual([...NODE_CAPABILITIES].sort());
      // Docker's transport address is gone: only lab routes are left
      const routes = await lvslab(['exec', '--name', INSTANCE, c.Labels['io.lvslab.node']!, '--', 'ip', 'route', 'show']);
      expect(routes.stdout).not.toMatch(/198\.18\./);
    }
    const hostRoutes = (await hostSnapshot()).hostRoutes;
    expect(hostRoutes.filter((r) => /^(10\.0\.1\.|198\.18\.)/.test(r))).toEqual([]);
    for (const n of await engine().listNetworks({ filters: instanceFilter(INSTANCE) })) {
      expect(n.Internal).toBe(false);
      expect(n.Options?.['com.docker.network.bridge.inhibit_ipv4']).toBe('true');
    }
  });

  test('failover-test runs unchanged on the docker lab and passes its assertions', async () => {
    const out = `/tmp/lvslab-e2e-docker-failover`;
    const r = await lvslab(['run', 'failover-test', '--name', INSTANCE, '--out', out, '--json'], { timeoutMs: 180_000 });
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const results = JSON.parse(await readFile(`${out}/results.json`, 'utf8')) as { lab: { runtime: string }; assertions: Array<{ passed: boolean }> };
    expect(results.lab.runtime).toBe('docker');
    expect(results.assertions.length).toBeGreaterThan(0);
    expect(results.assertions.every((a) => a.passed)).toBe(true);
  }, scaledMs(200_000));

  test('down removes every container, network, host interface and file of the lab', async () => {
    const r = await lvslab(['down', INSTANCE]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/removed e2e-dk: 7 nodes/);
    expect(leftovers(before, await hostSnapshot(), [INSTANCE])).toEqual({});
    expect(await engine().listNetworks({ filters: instanceFilter(INSTANCE) })).toEqual([]);
  }, scaledMs(60_000));

  test('after kill -9 of lvslab during up, down still removes everything', async () => {
    const child = spawn(process.execPath, [`${REPO}dist/cli/main.js`, 'up', 'ospf-ecmp', '--name', KILLED, '--runtime', 'docker'], { stdio: 'ignore' });
    const started = await pollUntil(
      async () => ({ done: (await engine().listContainers({ filters: instanceFilter(KILLED) })).length >= 3, value: null }),
      { timeoutMs: scaledMs(30_000), intervalMs: 50 },
    );
    child.kill('SIGKILL');
    expect(started.ok).toBe(true);
    const d = await lvslab(['down', KILLED]);
    expect(d.code, d.stderr).toBe(0);
    expect(leftovers(before, await hostSnapshot(), [KILLED])).toEqual({});
  }, scaledMs(60_000));

  test('a missing node image is a clear error, and up rolls back everything', async () => {
    const runtime = new DockerRuntime({ image: 'lvslab/node:missing-in-e2e' });
    const failure = await up(
      runtime,
      { lab: await loadLabFile(`${REPO}labs/ospf-ecmp.yaml`, { instance: MISSING_IMAGE }), timeoutMs: 30_000 },
      { stageStart() {}, stageDone() {}, stageFail() {}, notice() {} },
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(LvslabError);
    expect((failure as LvslabError).exitCode).toBe(EXIT.hostNotReady);
    expect((failure as LvslabError).message).toContain('lvslab/node:missing-in-e2e is not built');
    expect((failure as LvslabError).hint).toContain('lvslab images build');
    expect(leftovers(before, await hostSnapshot(), [MISSING_IMAGE])).toEqual({});
  }, scaledMs(60_000));
});

describe('without an engine', () => {
  test('up --runtime docker says there is no engine and how to start one, changing nothing', async () => {
    const snapshot = await hostSnapshot();
    const r = await lvslab(['up', 'ospf-ecmp', '--name', 'e2e-dk-noengine', '--runtime', 'docker'], { env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' }, timeoutMs: 30_000 });
    expect(r.code).toBe(EXIT.hostNotReady);
    expect(r.stderr).toMatch(/no Docker engine answers at unix:\/\/\/nonexistent\/docker\.sock/);
    expect(r.stderr).toMatch(/dockerd/);
    expect(leftovers(snapshot, await hostSnapshot(), ['e2e-dk-noengine'])).toEqual({});
  }, scaledMs(30_000));
});
