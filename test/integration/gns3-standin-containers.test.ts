// The GNS3 stand-in with `containers: true`: docker nodes are real containers on the Docker
// engine, wired as a GNS3 2.2 compute wires them (gns3-findings.md, "Docker nodes" and
// "Links"). Everything goes through plain HTTP calls to the stand-in's /v2 API, and what the
// host then holds is read with docker, ip and the containers' own tools: no src/ code, so the
// stand-in is checked on its own before lvslab is tested against it.
//
// One project: docker nodes A (adapters 2, a base MAC) and B (adapters 2, custom_adapters on
// eth1, a start command and environment), an ethernet_switch SW; links A.eth1–B.eth1 (direct)
// and A.eth0–SW–B.eth0, made while the nodes are stopped. The test adds the guests' addresses
// with docker exec, as a user of the real server does. Pings are ICMP echo sent by a
// few lines of Perl over a raw socket (the node image has no ping binary); multicast is UDP to 224.0.0.5 from Node.js.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGns3Standin, type Gns3Standin } from '../support/gns3-standin/server.mjs';
import { noDockerEngine, ok, pings, reaches, sh, until } from '../support/guest-ping.js';

const IMAGE = 'lvslab/node:latest';

const noEngine = await noDockerEngine();

/**
 * Interface names in the host's namespace. A real GNS3 server on the same host makes
 * ubridge's tap-gns3-eN here for a few ms while it starts a docker node: those are left out.
 */
async function hostLinks(): Promise<string[]> {
  return (await ok(['ip', '-o', 'link']))
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(': ')[1]!.split('@')[0]!)
    .filter((n) => !/^tap-gns3-e\d+$/.test(n))
    .sort();
}

interface GuestLink {
  name: string;
  flags: string[];
  mac: string;
}

async function guestLinks(container: string): Promise<GuestLink[]> {
  return (await ok(['docker', 'exec', container, 'ip', '-o', 'link']))
    .split('\n')
    .filter(Boolean)
    .map((l) => ({ name: l.split(': ')[1]!.split('@')[0]!, flags: /<([^>]*)>/.exec(l)![1]!.split(','), mac: /link\/\w+ ([0-9a-f:]+)/.exec(l)![1]! }));
}

const RECEIVE = `const d = require('dgram').createSocket({ type: 'udp4', reuseAddr: true });
d.on('message', (m) => { if (String(m) === 'gns3sb-mc') { console.log('got'); process.exit(0); } });
d.bind(5405, () => { d.addMembership('224.0.0.5', process.argv[1]); console.log('ready'); });
setTimeout(() => process.exit(1), 5000);`;
const SEND = `const d = require('dgram').createSocket('udp4');
d.bind(0, process.argv[1], () => { d.setMulticastInterface(process.argv[1]); d.setMulticastTTL(1); let i = 0;
  const t = setInterval(() => { d.send('gns3sb-mc', 5405, '224.0.0.5'); if (++i >= 20) { clearInterval(t); d.close(); } }, 50); });`;

/** A UDP datagram to 224.0.0.5 sent from `from` (address fromIp) is received by `to` (joined on toIp). */
async function multicastCrosses(from: string, fromIp: string, to: string, toIp: string): Promise<boolean> {
  const rx = spawn('docker', ['exec', to, 'node', '-e', RECEIVE, toIp], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const ready = new Promise<void>((resolve) => rx.stdout.on('data', (b: Buffer) => ((out += b), /ready/.test(out) && resolve())));
  const done = new Promise<number>((resolve) => rx.on('close', (code) => resolve(code ?? 1)));
  await Promise.race([ready, done]);
  const tx = sh(['docker', 'exec', from, 'node', '-e', SEND, fromIp]);
  const code = await done;
  await tx;
  return code === 0 && /got/.test(out);
}

describe.skipIf(noEngine)('GNS3 stand-in with containers: docker nodes on the real Docker engine', () => {
  let s: Gns3Standin;
  let hostBefore: string[];
  let started = 0;
  let closed = false;
  let pid = '';
  let dataDir = '';
  let namespace = '';
  const ids = { A: '', B: '', SW: '', direct: '', viaA: '', viaB: '' };
  const cname = (n: string) => `GNS3.${n}.${pid}`;

  async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const r = await fetch(`${s.url}/v2${path}`, { method, headers: body === undefined ? {} : { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : undefined };
  }
  const node = async (id: string) => (await api('GET', `/projects/${pid}/nodes/${id}`)).body;
  const status = async (id: string) => (await node(id)).status as string;
  const inspect = async (name: string) => JSON.parse(await ok(['docker', 'inspect', name]))[0];
  const addAddresses = async () => {
    for (const [c, dev, cidr] of [
      ['A', 'eth1', '10.1.0.1/24'],
      ['B', 'eth1', '10.1.0.2/24'],
      ['A', 'eth0', '10.2.0.1/24'],
      ['B', 'eth0', '10.2.0.2/24'],
    ] as const)
      await ok(['docker', 'exec', cname(c), 'ip', 'addr', 'add', cidr, 'dev', dev]);
  };
  const putLink = (id: string, body: unknown) => api('PUT', `/projects/${pid}/links/${id}`, body);

  beforeAll(async () => {
    started = Date.now();
    const image = await sh(['docker', 'image', 'inspect', IMAGE]);
    if (image.code !== 0) throw new Error(`${IMAGE} is not on the Docker engine: build it with lvslab images build`);
    hostBefore = await hostLinks();
    s = await startGns3Standin({ api: 'v2', containers: true });
    dataDir = s.dataDir!;
  });

  afterAll(async () => {
    // Only what this test made: its project's containers and the stand-in's namespace.
    if (!closed) await s?.close();
    if (pid) {
      const left = (await sh(['docker', 'ps', '-aq', '--filter', `name=${pid}`])).stdout.split('\n').filter(Boolean);
      if (left.length) await sh(['docker', 'rm', '-f', ...left]);
    }
    if (namespace && existsSync(`/run/netns/${namespace}`)) await sh(['ip', 'netns', 'del', namespace]);
    console.log(`gns3-standin-containers: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  it('creates each docker node\'s container at once, as GNS3 2.2 does (state Created, no labels, NetworkDisabled, init.sh)', async () => {
    const p = await api('POST', '/projects', { name: `standin-containers-${process.pid}`, auto_close: false });
    expect(p.status).toBe(201);
    pid = p.body.project_id;
    const a = await api('POST', `/projects/${pid}/nodes`, { name: 'A', node_type: 'docker', compute_id: 'local', console_type: 'none', properties: { image: IMAGE, adapters: 2, mac_address: '02:aa:00:00:0a:00' } });
    expect(a.status).toBe(201);
    const b = await api('POST', `/projects/${pid}/nodes`, {
      name: 'B',
      node_type: 'docker',
      compute_id: 'local',
      console_type: 'none',
      custom_adapters: [{ adapter_number: 1, mac_address: '02:bb:00:00:0b:01' }],
      properties: { image: IMAGE, adapters: 2, start_command: "sh -c 'exec sleep infinity'", environment: 'LVSLAB_X=1\nGNS3_NOT_PASSED=2' },
    });
    expect(b.status).toBe(201);
    const sw = await api('POST', `/projects/${pid}/nodes`, { name: 'SW', node_type: 'ethernet_switch', compute_id: 'local' });
    expect(sw.status).toBe(201);
    Object.assign(ids, { A: a.body.node_id, B: b.body.node_id, SW: sw.body.node_id });

    // custom_adapters is echoed; the ports' MACs: base+N for A, B's default base and its custom eth1.
    expect(b.body.custom_adapters).toEqual([{ adapter_number: 1, mac_address: '02:bb:00:00:0b:01' }]);
    expect(a.body.custom_adapters).toEqual([]);
    expect(a.body.ports.map((x: any) => [x.name, x.mac_address])).toEqual([
      ['eth0', '02:aa:00:00:0a:00'],
      ['eth1', '02:aa:00:00:0a:01'],
    ]);
    const bid = ids.B;
    expect(b.body.ports.map((x: any) => [x.name, x.mac_address])).toEqual([
      ['eth0', `02:42:${bid.slice(2, 4)}:${bid.slice(4, 6)}:${bid.slice(6, 8)}:00`],
      ['eth1', '02:bb:00:00:0b:01'],
    ]);

    for (const [n, json] of [
      ['A', a.body],
      ['B', b.body],
    ] as const) {
      const c = await inspect(cname(n));
      expect(c.Name).toBe(`/${cname(n)}`);
      expect(c.Id).toBe(json.properties.container_id);
      expect(c.State.Status).toBe('created');
      expect(c.Config.Labels ?? {}).toEqual({});
      expect(c.Config.Hostname).toBe(n);
      expect(c.Config.Env).toEqual(expect.arrayContaining(['container=docker', 'GNS3_MAX_ETHERNET=eth1', 'GNS3_VOLUMES=/etc/network']));
      expect(c.Config.Entrypoint).toEqual(['/gns3/init.sh']);
      expect(c.Config.NetworkDisabled).toBe(true);
      expect(c.Config.Tty).toBe(true);
      expect(c.HostConfig).toMatchObject({ UsernsMode: 'host', CapAdd: ['ALL'], CapDrop: ['SYS_RESOURCE'], Privileged: false, SecurityOpt: ['seccomp=unconfined'], MaskedPaths: [], ReadonlyPaths: [] });
      expect(c.HostConfig.Binds).toEqual([`${dataDir}/data/resources/docker:/gns3:ro`, `${json.node_directory}/etc/network:/gns3volumes/etc/network`]);
      expect(readFileSync(`${json.node_directory}/etc/network/interfaces`, 'utf8')).toContain(`#iface eth1 inet dhcp\n#\thostname ${n}`);
    }
    expect((await inspect(cname('A'))).Config.Cmd).toEqual(['sleep', 'infinity']); // the image's CMD
    const cb = await inspect(cname('B'));
    expect(cb.Config.Cmd).toEqual(['sh', '-c', 'exec sleep infinity']); // start_command, split as a shell would
    expect(cb.Config.Env).toContain('LVSLAB_X=1');
    expect(cb.Config.Env.some((e: string) => e.startsWith('GNS3_NOT_PASSED'))).toBe(false);
  });

  it('links made while the nodes are stopped; close removes the containers, open makes new ones (Created, new ids)', async () => {
    const link = async (a: [string, number, number], b: [string, number, number]) => {
      const r = await api('POST', `/projects/${pid}/links`, { nodes: [a, b].map(([node_id, adapter_number, port_number]) => ({ node_id, adapter_number, port_number })) });
      expect(r.status).toBe(201);
      return r.body.link_id as string;
    };
    ids.direct = await link([ids.A, 1, 0], [ids.B, 1, 0]);
    ids.viaA = await link([ids.A, 0, 0], [ids.SW, 0, 0]);
    ids.viaB = await link([ids.B, 0, 0], [ids.SW, 0, 1]);
    namespace = s.namespace!;
    expect(namespace).toMatch(/^gns3sb-[0-9a-f]{6}$/);

    const before = (await node(ids.A)).properties.container_id;
    expect((await api('POST', `/projects/${pid}/close`)).status).toBe(204);
    expect((await sh(['docker', 'ps', '-aq', '--filter', `name=${pid}`])).stdout.trim()).toBe('');
    expect((await api('GET', `/projects/${pid}`)).body.status).toBe('closed');
    expect((await api('POST', `/projects/${pid}/open`)).status).toBe(201);
    const after = (await node(ids.A)).properties.container_id;
    expect(after).not.toBe(before);
    const c = await inspect(cname('A'));
    expect([c.Id, c.State.Status]).toEqual([after, 'created']);
    expect((await api('GET', `/projects/${pid}/links`)).body.map((l: any) => l.link_id).sort()).toEqual([ids.direct, ids.viaA, ids.viaB].sort());
  });

  it('start hands in ethN per adapter with the API\'s MACs, up; nothing lands in the host\'s namespace', async () => {
    const one = await api('POST', `/projects/${pid}/nodes/${ids.A}/start`, {});
    expect(one.status).toBe(200);
    expect(one.body.status).toBe('stopped'); // the answer carries the status from before
    expect((await api('POST', `/projects/${pid}/nodes/start`, {})).status).toBe(204);
    expect(await until(async () => (await status(ids.A)) === 'started' && (await status(ids.B)) === 'started', 5000)).toBe(true);

    for (const n of ['A', 'B']) {
      const json = await node(ids[n as 'A' | 'B']);
      const links = await guestLinks(cname(n));
      expect(links.map((l) => l.name)).toEqual(['lo', 'eth0', 'eth1']);
      for (const port of json.ports) {
        const l = links.find((x) => x.name === port.name)!;
        expect(l.mac).toBe(port.mac_address);
        expect(l.flags).toEqual(expect.arrayContaining(['UP', 'LOWER_UP']));
      }
      // init.sh waited for the eths, then exec'd the start command; /etc/network is the node's volume.
      expect(await until(async () => (await sh(['docker', 'exec', cname(n), 'cat', '/proc/1/cmdline'])).stdout.startsWith('sleep\0infinity'), 5000)).toBe(true);
      expect(await ok(['docker', 'exec', cname(n), 'cat', '/etc/network/interfaces'])).toContain('This is a sample network config');
    }
    expect(await hostLinks()).toEqual(hostBefore);
    expect((await ok(['ip', '-n', namespace, '-o', 'addr'])).trim()).toBe('');
  });

  it('carries unicast and multicast across the direct link and across the switch', async () => {
    await addAddresses();
    expect(await reaches(cname('A'), '10.1.0.2')).toBe(true);
    expect(await reaches(cname('A'), '10.2.0.2')).toBe(true);
    expect(await multicastCrosses(cname('A'), '10.1.0.1', cname('B'), '10.1.0.2')).toBe(true);
    expect(await multicastCrosses(cname('A'), '10.2.0.1', cname('B'), '10.2.0.2')).toBe(true);
  });

  it('suspend drops every frame both ways with no carrier change; resume restores the link', async () => {
    const r = await putLink(ids.direct, { suspend: true });
    expect([r.status, r.body.suspend]).toEqual([201, true]);
    expect(await pings(cname('A'), '10.1.0.2', 3)).toBe(0);
    expect(await pings(cname('B'), '10.1.0.1', 3)).toBe(0);
    for (const n of ['A', 'B']) expect((await guestLinks(cname(n))).find((l) => l.name === 'eth1')!.flags).toEqual(expect.arrayContaining(['UP', 'LOWER_UP']));
    expect(await pings(cname('A'), '10.2.0.2', 2)).toBeGreaterThan(0); // the other path is untouched
    expect((await putLink(ids.direct, { suspend: false })).body.suspend).toBe(false);
    expect(await reaches(cname('A'), '10.1.0.2')).toBe(true);
  });

  it('filters: packet_loss 100 and frequency_drop -1 drop everything, {} clears, stored filters survive suspend', async () => {
    const loss = await putLink(ids.direct, { filters: { packet_loss: [100] } });
    expect([loss.status, loss.body.filters]).toEqual([201, { packet_loss: [100] }]);
    expect(await pings(cname('A'), '10.1.0.2', 3)).toBe(0);
    expect((await putLink(ids.direct, { filters: {} })).body.filters).toEqual({});
    expect(await reaches(cname('A'), '10.1.0.2')).toBe(true);

    expect((await putLink(ids.direct, { filters: { frequency_drop: [-1] } })).body.filters).toEqual({ frequency_drop: [-1] });
    expect(await pings(cname('A'), '10.1.0.2', 3)).toBe(0);
    expect((await putLink(ids.direct, { filters: { frequency_drop: [0] } })).body.filters).toEqual({}); // 0 clears
    expect(await reaches(cname('A'), '10.1.0.2')).toBe(true);

    // Through the switch too, and a suspend/resume keeps the stored filter active.
    expect((await putLink(ids.viaA, { filters: { packet_loss: [100] }, suspend: true })).body).toMatchObject({ suspend: true, filters: { packet_loss: [100] } });
    expect((await putLink(ids.viaA, { suspend: false })).body).toMatchObject({ suspend: false, filters: { packet_loss: [100] } });
    expect(await pings(cname('A'), '10.2.0.2', 3)).toBe(0);
    expect((await putLink(ids.viaA, { filters: {} })).status).toBe(201);
    expect(await reaches(cname('A'), '10.2.0.2')).toBe(true);

    // delay needs sch_netem: without it the answer is the real server's, and the stand-in says so.
    const delay = await putLink(ids.direct, { filters: { delay: [50, 0] } });
    expect([delay.status, delay.body.filters]).toEqual([201, { delay: [50, 0] }]);
    if (s.netem === false) expect(s.unappliedFilters.get(ids.direct)).toEqual(['delay']);
    expect((await putLink(ids.direct, { filters: {} })).body.filters).toEqual({});
    expect(s.unappliedFilters.has(ids.direct)).toBe(false);
  });

  it('a capture on a link is served as pcap bytes by GET …/pcap while it runs', async () => {
    const start = await api('POST', `/projects/${pid}/links/${ids.viaA}/start_capture`, { capture_file_name: 'standin-a-sw.pcap' });
    expect(start.status).toBe(201);
    expect(start.body).toMatchObject({ capturing: true, capture_compute_id: 'local', capture_file_name: 'standin-a-sw.pcap', capture_file_path: `${dataDir}/data/projects/${pid}/project-files/captures/standin-a-sw.pcap` });

    const res = await fetch(`${s.url}/v2/projects/${pid}/links/${ids.viaA}/pcap`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.tcpdump.pcap');
    const chunks: Buffer[] = [];
    const reader = res.body!.getReader();
    const drained = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        chunks.push(Buffer.from(value));
      }
    })();
    // The header plus at least one echo request (16-byte record header + 98-byte frame).
    const enough = await until(async () => {
      await pings(cname('A'), '10.2.0.2', 1);
      return Buffer.concat(chunks).length >= 24 + 16 + 98;
    }, 10_000);
    expect(enough).toBe(true);

    const stop = await api('POST', `/projects/${pid}/links/${ids.viaA}/stop_capture`, {});
    expect(stop.status).toBe(201);
    expect(stop.body).toMatchObject({ capturing: false, capture_compute_id: null, capture_file_name: 'standin-a-sw.pcap' });
    await drained; // the stream ends with the capture
    const pcap = Buffer.concat(chunks);
    expect(pcap.readUInt32LE(0)).toBe(0xa1b2c3d4);
    expect(pcap.readUInt32LE(20)).toBe(1); // Ethernet
    expect(statSync(start.body.capture_file_path).size).toBeGreaterThanOrEqual(pcap.length);
    const after = await api('GET', `/projects/${pid}/links/${ids.viaA}/pcap`);
    expect([after.status, after.body.message]).toEqual([409, 'This link has no active packet capture']);
  });

  it('node suspend is docker pause (status suspended); start unpauses', async () => {
    const r = await api('POST', `/projects/${pid}/nodes/${ids.A}/suspend`, {});
    expect([r.status, r.body.status]).toEqual([200, 'started']);
    expect(await until(async () => (await status(ids.A)) === 'suspended', 5000)).toBe(true);
    expect((await inspect(cname('A'))).State.Paused).toBe(true);
    expect(await pings(cname('B'), '10.1.0.1', 2)).toBeGreaterThan(0); // the kernel still answers
    expect((await sh(['docker', 'exec', cname('A'), 'true'])).stderr).toMatch(/paused/);
    const back = await api('POST', `/projects/${pid}/nodes/${ids.A}/start`, {});
    expect([back.status, back.body.status]).toEqual([200, 'suspended']);
    expect(await until(async () => (await status(ids.A)) === 'started', 5000)).toBe(true);
    expect((await inspect(cname('A'))).State.Paused).toBe(false);
  });

  it('stop: the eths vanish with the container, the links stay; after start the links carry traffic again (addresses re-added)', async () => {
    expect((await api('POST', `/projects/${pid}/nodes/stop`, {})).status).toBe(204);
    expect([await status(ids.A), await status(ids.B)]).toEqual(['stopped', 'stopped']);
    expect((await inspect(cname('A'))).State.Status).toBe('exited');
    const nsLinks = async () => (await ok(['ip', '-n', namespace, '-o', 'link'])).split('\n').filter(Boolean).map((l) => l.split(': ')[1]!.split('@')[0]!);
    expect(await until(async () => !(await nsLinks()).some((n) => /^n\d+e\d+$/.test(n)), 5000)).toBe(true);
    expect((await nsLinks()).filter((n) => /^k\d+$/.test(n))).toHaveLength(3);

    expect((await api('POST', `/projects/${pid}/nodes/start`, {})).status).toBe(204);
    expect(await until(async () => (await status(ids.A)) === 'started' && (await status(ids.B)) === 'started', 5000)).toBe(true);
    expect((await ok(['docker', 'exec', cname('A'), 'ip', '-4', '-o', 'addr', 'show', 'dev', 'eth1'])).trim()).toBe(''); // lost, as on the real server
    await addAddresses();
    expect(await reaches(cname('A'), '10.1.0.2')).toBe(true);
    expect(await reaches(cname('A'), '10.2.0.2')).toBe(true);
    expect(await hostLinks()).toEqual(hostBefore);
  }, 60_000);

  it('deleting a link cuts its traffic, but the guests\' eths keep carrier; making it again restores it', async () => {
    expect((await api('DELETE', `/projects/${pid}/links/${ids.direct}`)).status).toBe(204);
    expect(await pings(cname('A'), '10.1.0.2', 3)).toBe(0);
    for (const n of ['A', 'B']) expect((await guestLinks(cname(n))).find((l) => l.name === 'eth1')!.flags).toEqual(expect.arrayContaining(['UP', 'LOWER_UP']));
    expect(await pings(cname('A'), '10.2.0.2', 2)).toBeGreaterThan(0);
    const again = await api('POST', `/projects/${pid}/links`, { nodes: [ids.A, ids.B].map((node_id) => ({ node_id, adapter_number: 1, port_number: 0 })) });
    expect(again.status).toBe(201);
    expect(await reaches(cname('A'), '10.1.0.2')).toBe(true);
  });

  it('project delete and close() leave the host as it was: no containers, no namespace, no interfaces, no temp dirs', async () => {
    expect((await api('DELETE', `/projects/${pid}`)).status).toBe(204);
    expect((await api('GET', `/projects/${pid}`)).status).toBe(404);
    expect((await sh(['docker', 'ps', '-aq', '--filter', `name=${pid}`])).stdout.trim()).toBe('');
    expect(existsSync(`${dataDir}/data/projects/${pid}`)).toBe(false);
    await s.close();
    closed = true;
    expect(s.namespace).toBeUndefined();
    expect((await ok(['ip', 'netns', 'list'])).split('\n').some((l) => l.split(' ')[0] === namespace)).toBe(false);
    expect(existsSync(dataDir)).toBe(false);
    expect(await hostLinks()).toEqual(hostBefore);
  }, 60_000);
});

if (noEngine) {
  describe('GNS3 stand-in with containers', () => {
    it.skip(`skipped: ${noEngine}`, () => {});
  });
}
