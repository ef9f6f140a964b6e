// `run --capture` on runtimes without a capture of their own: tcpdump inside the node,
// started, stopped and read back through the Runtime calls only. Two nodes of this test's
// own instance on the real netns runtime (no lab: just its namespaces, joined by a veth pair;
// no instance name other suites use). Real pings cross the link while it is captured, and
// the pcap that comes back must parse and hold them.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readNodeFileBinary, startTcpdumpCapture } from '../../src/capture/tcpdump.js';
import { startRunCaptures } from '../../src/capture/run-captures.js';
import { isIcmpOverEthernet, LINKTYPE_ETHERNET, readPcapRecords, summarisePcap } from '../../src/capture/pcap.js';
import type { ResolvedLab } from '../../src/model/types.js';
import { NetnsRuntime } from '../../src/runtime/netns/netns-runtime.js';
import { nodeNamespace } from '../../src/runtime/netns/names.js';
import { hostHasCommand } from '../../src/host/host.js';
import { localHost } from '../../src/host/local.js';
import { run } from '../../src/util/exec.js';

const INSTANCE = 'capture-itest';
const NAMESPACES = { a: nodeNamespace(INSTANCE, 'a'), b: nodeNamespace(INSTANCE, 'b') } as const;
type Node = keyof typeof NAMESPACES;
const ADDRESS = { a: '10.254.77.1', b: '10.254.77.2' } as const;

// Namespaces need root; the tools are the test's own requirements (install-deps.sh --tests has them).
const canRun = process.getuid?.() === 0;

const runtime = new NetnsRuntime();
/** Where the run directory of the last test goes (outside the instance: down would remove it). */
let scratch = '';

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
      if (!(await hostHasCommand(localHost, tool))) throw new Error(`${tool} is not installed: scripts/install-deps.sh --tests installs it`);
    }
    scratch = await mkdtemp(join(tmpdir(), 'lvscap-'));
    await runtime.destroy(INSTANCE); // a killed earlier run's
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
    // Kills whatever still runs in them (a tcpdump a failed test left), then deletes them, the veth pair and the nodes' files.
    await runtime.destroy(INSTANCE);
    if (scratch) await rm(scratch, { recursive: true, force: true });
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
    const base = runtime.nodePaths(INSTANCE, 'a').base;
    await mkdir(base, { recursive: true });
    const path = join(base, 'binary.bin');
    const bytes = Buffer.from(Array.from({ length: 2500 }, (_, i) => (i * 37) % 256));
    await writeFile(path, bytes);
    expect((await readNodeFileBinary(runtime, INSTANCE, 'a', path, 1000)).equals(bytes)).toBe(true);
    expect((await readNodeFileBinary(runtime, INSTANCE, 'a', path)).equals(bytes)).toBe(true);
    await expect(readNodeFileBinary(runtime, INSTANCE, 'a', join(base, 'missing.bin'))).rejects.toThrow(/cannot read/);
  });

  test('tcpdump on an interface the node lacks fails at its start, saying why', async () => {
    await expect(startTcpdumpCapture(runtime, INSTANCE, 'a', 'nope0', 'a-nope0.pcap')).rejects.toThrow(/tcpdump -i nope0 in node a exited at once: .*nope0/);
  });

  test("a run's captures: one pcap per link in captures/, a failed one listed with its error", async () => {
    const runDir = join(scratch, 'run-dir');
    await mkdir(runDir);
    // Only what the captures read of a lab: its instance, segments and links.
    const lab = {
      instance: INSTANCE,
      segments: [{ name: 'lan', subnet: '10.254.78.0/24', members: [{ node: 'b', iface: 'nope0' }] }],
      links: [{ name: 'ab', subnet: '10.254.77.0/30', ends: [{ node: 'a', iface: 'veth-a' }, { node: 'b', iface: 'veth-b' }] }],
    } as unknown as ResolvedLab;
    const captures = await startRunCaptures(runtime, lab, runDir);
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
