// The capture of runtimes that have none of their own (netns, Docker, containerlab): tcpdump
// inside the node, on the interface, through the Runtime calls every runtime has. It is
// started as a daemon (its pid file under the node's run path), counts as running once it
// says it listens, is stopped with SIGINT (tcpdump then flushes and closes the file) and
// waited for with a deadline, and its file is read back through exec as base64, in chunks:
// Runtime.readFile is UTF-8 text, which would mangle a pcap's bytes.
import type { LinkCapture, Runtime } from '../runtime/runtime.js';
import { pollUntil } from '../util/poll.js';

/** The Runtime calls a capture inside a node uses (tests give a small adapter these). */
export type CaptureRuntime = Pick<Runtime, 'exec' | 'startDaemon' | 'readFile' | 'makeDirs' | 'nodePaths'>;

export interface TcpdumpOptions {
  /** How long tcpdump may take to open the interface. Default 15 s (a node start under CPU emulation). */
  startTimeoutMs?: number;
  /** How long it may take to exit after SIGINT before it is killed. Default 10 s. */
  stopTimeoutMs?: number;
  /** Bytes read back per exec (base64 grows them by a third). Default 8 MiB. */
  chunkBytes?: number;
}

/** tcpdump's line once the capture is live: "tcpdump: listening on eth0, link-type EN10MB …" (4.99; older ones without the prefix). */
const LISTENING = /^(?:tcpdump: )?listening on /m;

/** What `run --capture` runs in a node: full frames, each written out at once. */
export function tcpdumpArgv(iface: string, pcapPath: string): string[] {
  // -s 0: whole frames (tcpdump's 262144-byte maximum). --immediate-mode: without it the
  // kernel hands packets over in blocks, up to a second late, and SIGINT ends tcpdump without
  // the block in flight (seen: 2 of 6 pings written). -U: each packet is written when it
  // arrives, so the file holds everything up to the stop even if tcpdump is killed. -n: no
  // name lookups. -Z root: Debian's tcpdump drops to user tcpdump before it opens the file,
  // which then cannot be created in a root-owned run directory.
  return ['tcpdump', '-i', iface, '-s', '0', '--immediate-mode', '-U', '-n', '-Z', 'root', '-w', pcapPath];
}

/** Starts tcpdump on node:iface writing `fileName` under the node's run path; resolves once it listens. */
export async function startTcpdumpCapture(
  runtime: CaptureRuntime,
  instance: string,
  node: string,
  iface: string,
  fileName: string,
  opts: TcpdumpOptions = {},
): Promise<LinkCapture> {
  const dir = `${runtime.nodePaths(instance, node).run}/captures`;
  const pcapPath = `${dir}/${fileName}`;
  const logPath = `${pcapPath}.log`;
  const pidPath = `${pcapPath}.pid`;
  const method = `tcpdump -i ${iface} in node ${node}`;
  const exec = (argv: string[]) => runtime.exec(instance, node, argv);

  await runtime.makeDirs(instance, node, [{ path: dir }]);
  // A kept lab's earlier run left its files: its log already says "listening on".
  await exec(['rm', '-f', '--', pcapPath, logPath, pidPath]);
  await runtime.startDaemon(instance, node, { name: 'tcpdump', argv: tcpdumpArgv(iface, pcapPath), pidFile: pidPath, selfDaemonizing: false, logFile: logPath });
  const pid = (await runtime.readFile(instance, node, pidPath))?.trim();
  if (!pid || !/^\d+$/.test(pid)) throw new Error(`${method}: no pid in ${pidPath} after its start`);

  const running = async (): Promise<boolean> => {
    // A zombie (exited, not yet reaped by whoever adopted it) holds nothing open any more.
    const stat = await runtime.readFile(instance, node, `/proc/${pid}/stat`);
    return stat !== undefined && !/\) Z /.test(stat);
  };
  const log = async () => ((await runtime.readFile(instance, node, logPath)) ?? '').trim();

  const started = await pollUntil(
    async () => {
      if (LISTENING.test(await log())) return { done: true, value: 'listening' as const };
      return (await running()) ? { done: false, value: 'starting' as const } : { done: true, value: 'exited' as const };
    },
    { timeoutMs: opts.startTimeoutMs ?? 15_000, intervalMs: 50 },
  );
  if (started.value !== 'listening') {
    const said = (await log()) || 'nothing';
    if (started.value !== 'exited') await exec(['kill', '-s', 'KILL', pid]);
    throw new Error(`${method} ${started.value === 'exited' ? 'exited at once' : `did not start listening within ${(opts.startTimeoutMs ?? 15_000) / 1000} s`}: it said ${said}`);
  }

  return {
    method,
    async stop() {
      const notes: string[] = [];
      await exec(['kill', '-s', 'INT', pid]);
      const stopMs = opts.stopTimeoutMs ?? 10_000;
      const gone = await pollUntil(async () => ({ done: !(await running()), value: null }), { timeoutMs: stopMs, intervalMs: 50 });
      if (!gone.ok) {
        // -U has written every packet so far; a record cut by the kill is trimmed when the file is read.
        await exec(['kill', '-s', 'KILL', pid]);
        await pollUntil(async () => ({ done: !(await running()), value: null }), { timeoutMs: 5_000, intervalMs: 50 });
        notes.push(`tcpdump did not exit within ${stopMs / 1000} s of SIGINT and was killed`);
      }
      // tcpdump's closing words: "N packets captured / received by filter / dropped by kernel".
      const dropped = /(\d+) packets? dropped by kernel/.exec(await log());
      if (dropped && dropped[1] !== '0') notes.push(`tcpdump: ${dropped[1]} packets dropped by kernel`);
      const pcap = await readNodeFileBinary(runtime, instance, node, pcapPath, opts.chunkBytes);
      await exec(['rm', '-f', '--', pcapPath, logPath, pidPath]);
      return { pcap, ...(notes.length > 0 ? { note: notes.join('; ') } : {}) };
    },
  };
}

/**
 * A node's file, byte for byte: its size first, then base64 of each chunk through exec (dd
 * reads the chunk, base64 makes text of it; the script is fixed, the path an argument).
 */
export async function readNodeFileBinary(runtime: Pick<Runtime, 'exec'>, instance: string, node: string, path: string, chunkBytes = 8 * 1024 * 1024): Promise<Buffer> {
  const size = await runtime.exec(instance, node, ['stat', '-c', '%s', '--', path]);
  const total = Number(size.stdout.trim());
  if (size.code !== 0 || !Number.isInteger(total)) throw new Error(`cannot read ${path} in ${node}: ${(size.stderr || size.stdout).trim() || `stat exited ${size.code}`}`);
  const chunks: Buffer[] = [];
  for (let block = 0; block * chunkBytes < total; block++) {
    const r = await runtime.exec(instance, node, ['sh', '-c', 'dd if="$1" bs="$2" skip="$3" count=1 iflag=fullblock status=none | base64 -w0', 'lvslab-read', path, String(chunkBytes), String(block)]);
    if (r.code !== 0) throw new Error(`reading ${path} in ${node} (bytes from ${block * chunkBytes}) failed: ${r.stderr.trim() || `exit ${r.code}`}`);
    const chunk = Buffer.from(r.stdout.trim(), 'base64');
    const expected = Math.min(chunkBytes, total - block * chunkBytes);
    if (chunk.length !== expected) throw new Error(`reading ${path} in ${node}: got ${chunk.length} bytes from ${block * chunkBytes}, expected ${expected}`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}
