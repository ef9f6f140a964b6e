// `--runtime containerlab`. The containerlab binary cannot be installed on the machines the
// tests run on, so two things are tested:
//   - without it, `up --runtime containerlab` says so with the install hint and changes nothing;
//   - with a stand-in for it on PATH (test/support/fake-containerlab: containerlab's container
//     names, labels and veth wiring, see its header), lvslab deploys ospf-ecmp-p2p through it,
//     adopts the containers, and the lab works: the switch's three-next-hop route, both real
//     servers answering, a carrier cut on a point-to-point uplink withdrawing its next hop,
//     and `down` leaving nothing.
// The stand-in runs on a real Docker engine; the suite needs one and the node image, like
// the docker suite (LVSLAB_DOCKER_TESTS=require makes their absence a failure).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { engine } from '../../src/docker/engine.js';
import { instanceFilter } from '../../src/runtime/docker/names.js';
import { EXIT } from '../../src/util/errors.js';
import { pollUntil } from '../../src/util/poll.js';
import { addTallies, cliExec, dockerSuiteGate, hostSnapshot, leftovers, lvslab, REPO, requestLoop, type HostSnapshot, scaledMs } from './support.js';

const INSTANCE = 'e2e-clab';
const FAKE_DIR = `${REPO}test/support/fake-containerlab`;
const VIP_URL = 'http://203.0.113.100/';

const gate = await dockerSuiteGate('containerlab e2e suite');

/** The CLI with PATH as given (the stand-in first, or a PATH without any containerlab). */
function lvslabWithPath(args: string[], path: string) {
  return lvslab(args, { env: { PATH: path } });
}
const withFake = `${FAKE_DIR}:${process.env.PATH}`;
const withoutClab = (process.env.PATH ?? '').split(':').filter((d) => !d.includes('fake-containerlab')).join(':');

describe('containerlab not installed', () => {
  test('up --runtime containerlab names the binary, gives the install hint and changes nothing', async () => {
    const before = await hostSnapshot();
    const r = await lvslabWithPath(['up', 'ospf-ecmp', '--name', 'e2e-clab-none', '--runtime', 'containerlab'], withoutClab);
    expect(r.code).toBe(EXIT.hostNotReady);
    expect(r.stderr).toMatch(/needs the containerlab binary, which is not installed/);
    expect(r.stderr).toMatch(/containerlab\.dev\/install/);
    expect(leftovers(before, await hostSnapshot(), ['e2e-clab-none'])).toEqual({});
  }, scaledMs(30_000));
});

let before: HostSnapshot;

describe.skipIf(gate.skip)('ospf-ecmp-p2p through containerlab (stand-in)', () => {
  beforeAll(async () => {
    if (gate.missing) throw new Error(`LVSLAB_DOCKER_TESTS=require but ${gate.missing}`);
    await lvslabWithPath(['down', INSTANCE], withFake);
    before = await hostSnapshot();
  }, scaledMs(60_000));

  afterAll(async () => {
    await lvslabWithPath(['down', INSTANCE], withFake);
  }, scaledMs(60_000));

  test('up deploys through containerlab and reports the lab ready', async () => {
    const r = await lvslabWithPath(['up', 'ospf-ecmp-p2p', '--name', INSTANCE, '--runtime', 'containerlab', '--json', '--timeout', '60'], withFake);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { phase: string; runtime: string; vipRoutes: Array<{ nextHops: string[] }> };
    expect(out.phase).toBe('ready');
    expect(out.runtime).toBe('containerlab');
    expect(out.vipRoutes[0]!.nextHops).toHaveLength(3);
    // containerlab's names, with lvslab's labels on them
    const names = (await engine().listContainers({ filters: instanceFilter(INSTANCE) })).map((c) => c.Names[0]);
    expect(names).toContain(`/clab-${INSTANCE}-switch`);
    expect(names.every((n) => n!.startsWith(`/clab-${INSTANCE}-`))).toBe(true);
  }, scaledMs(120_000));

  test('both real servers answer through the VIP, and the nodes have no way out', async () => {
    const tally = addTallies(
      await requestLoop(INSTANCE, 'client1', VIP_URL, 20, cliExec(INSTANCE, 'client1')),
      await requestLoop(INSTANCE, 'client2', VIP_URL, 20, cliExec(INSTANCE, 'client2')),
    );
    expect(tally.failures).toBe(0);
    expect(Object.keys(tally.hits).sort()).toEqual(['rs1', 'rs2']);
    // only the lab's interfaces: no management interface
    const links = await lvslabWithPath(['exec', '--name', INSTANCE, 'lb1', '--', 'ip', '-j', 'link', 'show'], withFake);
    expect((JSON.parse(links.stdout) as Array<{ ifname: string }>).map((l) => l.ifname).sort()).toEqual(['eth0', 'eth1', 'lo']);
    const routes = await lvslabWithPath(['exec', '--name', INSTANCE, 'client1', '--', 'ip', 'route', 'show'], withFake);
    expect(routes.stdout).not.toMatch(/172\.20\.20\.|198\.18\./);
  }, scaledMs(60_000));

  test('a carrier cut on a director uplink reaches the router at once (veth pair)', async () => {
    const cut = await lvslabWithPath(['exec', '--name', INSTANCE, 'lb1', '--', 'ip', 'link', 'set', 'eth0', 'down'], withFake);
    expect(cut.code, cut.stderr).toBe(0);
    const withdrawn = await pollUntil(
      async () => {
        const r = await lvslabWithPath(['exec', '--name', INSTANCE, 'switch', '--', 'ip', '-j', 'route', 'show', 'exact', '203.0.113.100/32'], withFake);
        const [route] = JSON.parse(r.stdout || '[]') as Array<{ nexthops?: unknown[] }>;
        return { done: (route?.nexthops?.length ?? 1) === 2, value: null };
      },
      { timeoutMs: 3000, intervalMs: 100 },
    );
    expect(withdrawn.ok).toBe(true);
    await lvslabWithPath(['exec', '--name', INSTANCE, 'lb1', '--', 'ip', 'link', 'set', 'eth0', 'up'], withFake);
  }, scaledMs(30_000));

  test('down removes every container, file and interface of the lab', async () => {
    const r = await lvslabWithPath(['down', INSTANCE], withFake);
    expect(r.code, r.stderr).toBe(0);
    expect(leftovers(before, await hostSnapshot(), [INSTANCE])).toEqual({});
    expect(await engine().listContainers({ all: true, filters: { label: [`containerlab=${INSTANCE}`] } })).toEqual([]);
  }, scaledMs(60_000));
});
