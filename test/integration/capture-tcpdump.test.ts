// `run --capture` on runtimes without a capture of their own: tcpdump inside the node,
// started, stopped and read back through the Runtime calls only. Two network namespaces of
// this test's own (not an lvslab instance: no lab, no fixed instance name that other suites
// use) joined by a veth pair stand in for two nodes; a small adapter gives them the Runtime
// calls the capture uses, built on `ip netns exec` as the netns runtime's are. Real pings
// cross the link while it is captured, and the pcap that comes back must parse and hold them.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readNodeFileBinary, startTcpdumpCapture, type CaptureRuntime } from '../../src/capture/tcpdump.js';
import { startRunCaptures } from '../../src/capture/run-captures.js';
import { isIcmpOverEthernet, LINKTYPE_ETHERNET, readPcapRecords, summarisePcap } from '../../src/capture/pcap.js';
import type { ResolvedLab } from '../../src/model/types.js';
import type { DaemonSpec, Runtime } from '../../src/runtime/runtime.js';
import { haveCommand, run } from '../../src/util/exec.js';
import { removeNamespace } from '../support/netns.js';

const NAMESPACES = { a: 'lvscap-a', b: 'lvscap-b' } as const;
type Node = keyof typeof NAMESPACES;
const ADDRESS = { a: '10.254.77.1', b: '10.254.77.2' } as const;
const INSTANCE = 'capture-itest';

// Namespaces need root; the tools are the test's own requirements (install-deps.sh --tests has them).
const canRun = process.getuid?.() === 0;

let root = '';

/** The Runtime calls the capture needs, for this test's two namespaces (as NetnsRuntime does them). */
const runtime: CaptureRuntime = {
  nodePaths: (_instance, node) => {
    const base = join(root, node);
    return { base, conf: `${base}/conf`, run: `${base}/run`, log: `${base}/log`, frrVtyDir: `${base}/run/frr`, lvslab: { node: process.execPath, dist: '' } };
  },
  exec: (_instance, node, argv, opts) => run(['ip', 'netns', 'exec', NAMESPACES[node as Node], ...argv], opts),
  readFile: (_instance, _node, path) => readFile(path, 'utf8').catch(() => undefined),
  makeDirs: async (_instance, _node, dirs) => {
    for (const d of dirs) await mkdir(d.path, { recursive: true });
  },
  // Not self-daemonizing: `ip netns exec` execs the program, so the child's pid is the daemon's.
  startDaemon: async (_instance, node, spec: DaemonSpec) => {
    await mkdir(dirname(spec.logFile ?? spec.pidFile), { recursive: true });
    const log = await open(spec.logFile ?? '/dev/null', 'a');
    try {
      const child = spawn('ip', ['netns', 'exec', NAMESPACES[node as Node], ...spec.argv], { detached: true, stdio: ['ignore', log.fd, log.fd] });
      const pid = await new Promise<number>((resolve, reject) => {
        child.once('error', reject);
        child.once('spawn', () => resolve(child.pid!));
      });
      child.unref();
      await writeFile(spec.pidFile, `${pid}\n`);
    } finally {
      await log.close();
    }
  },
};

async function ping(from: Node, to: Node, count: number): Promise<void> {
  const r = await runtime.exec(INSTANCE, from, ['ping', '-c', String(count), '-i', '0.2', '-W', '1', ADDRESS[to]]);
  expect(r.code, `ping ${ADDRESS[to]} from ${from}: ${r.stdout}${r.stderr}`).toBe(0);
}

/** A pid's process, unless gone or a zombie. */
async function alive(pid: string): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return stat !== undefined && !/\) Z /.test(stat);
}

describe.skipIf(!canRun)('tcpdump capture inside a node (netns, docker and containerlab runtimes)', () => {
  beforeAll(async () => {
    for (const tool of ['ip', 'tcpdump', 'ping']) {
      if (!(await haveCommand(tool))) throw new Error(`${tool} is not installed: scripts/install-deps.sh --tests installs it`);
    }
    root = await mkdtemp(join(tmpdir(), 'lvscap-'));
    for (const ns of Object.values(NAMESPACES)) await removeNamespace(ns); // a killed earlier run's
    const steps: string[][] = [
      ['ip', 'netns', 'add', NAMESPACES.a],
      ['ip', 'netns', 'add', NAMESPACES.b],
      ['ip', 'link', 'add', 'veth-a', 'netns', NAMESPACES.a, 'type', 'veth', 'peer', 'name', 'veth-b', 'netns', NAMESPACES.b],
      ['ip', '-n', NAMESPACES.a, 'address', 'add', `${ADDRESS.a}/30`, 'dev', 'veth-a'],
      ['ip', '-n', NAMESPACES.b, 'address', 'add', `${ADDRESS.b}/30`, 'dev', 'veth-b'],
      ['ip', '-n', NAMESPACES.a, 'link', 'set', 'veth-a', 'up'],
      ['ip', '-n', NAMESPACES.b, 'link', 'set', 'veth-b', 'up'],
    ];
    for (const argv of steps) {
      const r = await run(argv);
      if (r.code !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
    }
  });

  afterAll(async () => {
    // Kills whatever still runs in them (a tcpdump a failed test left), then deletes them and the veth pair.
    for (const ns of Object.values(NAMESPACES)) await removeNamespace(ns);
    if (root) await rm(root, { recursive: true, force: true });
  });

  test('captures real pings into a pcap that parses, and leaves no tcpdump behind', async () => {
    const capture = await startTcpdumpCapture(runtime, INSTANCE, 'a', 'veth-a', 'a-veth-a.pcap');
    expect(capture.method).toBe('tcpdump -i veth-a in node a');
    const pidFile = `${runtime.nodePaths(INSTANCE, 'a').run}/captures/a-veth-a.pcap.pid`;
    const pid = (await readFile(pidFile, 'utf8')).trim();
    expect(await alive(pid)).toBe(true);

    await ping('a', 'b', 5);
    // Stopped right after the last reply: what the kernel had not yet handed tcpdump must be in the file too.
    const { pcap } = await capture.stop();
    expect(await alive(pid), 'tcpdump still runs after stop').toBe(false);

    expect(pcap.readUInt32LE(0) === 0xa1b2c3d4 || pcap.readUInt32BE(0) === 0xa1b2c3d4).toBe(true);
    const summary = summarisePcap(pcap);
    expect(summary.linkType).toBe(LINKTYPE_ETHERNET);
    expect(summary.partialTailBytes).toBe(0);
    const icmp = readPcapRecords(pcap).filter(isIcmpOverEthernet);
    // five echo requests and five replies crossed veth-a while it was captured (without
    // tcpdump's --immediate-mode the last second's were lost at the stop)
    expect(icmp.length).toBeGreaterThanOrEqual(10);
    // full frames: an ICMP echo of ping's default 56 data bytes is 98 bytes on the wire
    expect(icmp.every((r) => r.data.length === r.originalLength)).toBe(true);
    // the node's copy, its pid file and its log are gone once read back
    expect(await readdir(`${runtime.nodePaths(INSTANCE, 'a').run}/captures`)).toEqual([]);
  }, 30_000);

  test('a file comes back byte for byte through exec, in chunks', async () => {
    const path = join(root, 'a', 'binary.bin');
    const bytes = Buffer.from(Array.from({ length: 2500 }, (_, i) => (i * 37) % 256));
    await writeFile(path, bytes);
    expect((await readNodeFileBinary(runtime, INSTANCE, 'a', path, 1000)).equals(bytes)).toBe(true);
    expect((await readNodeFileBinary(runtime, INSTANCE, 'a', path)).equals(bytes)).toBe(true);
    await expect(readNodeFileBinary(runtime, INSTANCE, 'a', join(root, 'a', 'missing.bin'))).rejects.toThrow(/cannot read/);
  });

  test('tcpdump on an interface the node lacks fails at its start, saying why', async () => {
    await expect(startTcpdumpCapture(runtime, INSTANCE, 'a', 'nope0', 'a-nope0.pcap')).rejects.toThrow(/tcpdump -i nope0 in node a exited at once: .*nope0/);
  });

  test("a run's captures: one pcap per link in captures/, a failed one listed with its error", async () => {
    const runDir = join(root, 'run-dir');
    await mkdir(runDir);
    // Only what the captures read of a lab: its instance, segments and links.
    const lab = {
      instance: INSTANCE,
      segments: [{ name: 'lan', subnet: '10.254.78.0/24', members: [{ node: 'b', iface: 'nope0' }] }],
      links: [{ name: 'ab', subnet: '10.254.77.0/30', ends: [{ node: 'a', iface: 'veth-a' }, { node: 'b', iface: 'veth-b' }] }],
    } as unknown as ResolvedLab;
    const captures = await startRunCaptures({ ...runtime, kind: 'test' } as unknown as Runtime, lab, runDir);
    expect({ running: captures.running, failed: captures.failed }).toEqual({ running: 1, failed: 1 });
    await ping('b', 'a', 3);
    const records = await captures.stop();
    expect(await captures.stop()).toBe(records); // one stop, whoever asks again

    const failed = records.find((r) => r.node === 'b')!;
    expect(failed).toMatchObject({ interface: 'nope0', segment: 'lan', method: 'tcpdump -i nope0 in node b' });
    expect(failed.error).toMatch(/^did not start: /);
    expect(failed.file).toBeUndefined();
    expect(existsSync(join(runDir, 'captures', 'b-nope0.pcap'))).toBe(false);

    const ok = records.find((r) => r.node === 'a')!;
    expect(ok).toMatchObject({ interface: 'veth-a', link: 'ab', file: 'captures/a-veth-a.pcap', method: 'tcpdump -i veth-a in node a' });
    const written = await readFile(join(runDir, ok.file!));
    expect(ok.bytes).toBe(written.length);
    expect(ok.frames).toBe(summarisePcap(written).frames);
    expect(readPcapRecords(written).filter(isIcmpOverEthernet).length).toBeGreaterThanOrEqual(6);
    expect(ok.startedAt).toBeLessThanOrEqual(ok.stoppedAt!);
  }, 30_000);
});
