// `run --capture`: one packet capture per link (links.ts) for the whole traffic window of a
// run, each taken by the runtime's own means where it has them (Runtime.captureLink: GNS3's
// link capture) and by tcpdump inside the node otherwise (tcpdump.ts). Stopping writes each
// pcap into the run directory's captures/ and returns one record per link for results.json.
// A capture that fails to start or stop is recorded with its error; the run goes on.
import { mkdir, writeFile } from 'node:fs/promises';
import type { ResolvedLab } from '../model/types.js';
import type { LinkCapture, Runtime } from '../runtime/runtime.js';
import type { CaptureRecord } from '../experiment/types.js';
import { captureRelativePath, capturePath, captureTargets, CAPTURES_DIR, type CaptureTarget } from './links.js';
import { LINKTYPE_ETHERNET, summarisePcap } from './pcap.js';
import { startTcpdumpCapture } from './tcpdump.js';

export interface RunCaptures {
  /** How many captures run (the others failed to start and are recorded with their error). */
  readonly running: number;
  readonly failed: number;
  /** Ends every capture and writes its pcap; the same records on every call. */
  stop(): Promise<CaptureRecord[]>;
}

interface Started {
  target: CaptureTarget;
  capture?: LinkCapture;
  method: string;
  startedAt?: number;
  error?: string;
}

/** Starts every link's capture at once; resolves when each is running or has failed. */
export async function startRunCaptures(runtime: Runtime, lab: ResolvedLab, runDir: string): Promise<RunCaptures> {
  const fallbackMethod = (t: CaptureTarget) => (runtime.captureLink ? `${runtime.kind} link capture` : `tcpdump -i ${t.iface} in node ${t.node}`);
  const started: Started[] = await Promise.all(
    captureTargets(lab).map(async (target): Promise<Started> => {
      try {
        const capture = runtime.captureLink
          ? await runtime.captureLink(lab.instance, target.node, target.iface, target.fileName)
          : await startTcpdumpCapture(runtime, lab.instance, target.node, target.iface, target.fileName);
        return { target, capture, method: capture.method, startedAt: Date.now() };
      } catch (err) {
        return { target, method: fallbackMethod(target), error: `did not start: ${messageOf(err)}` };
      }
    }),
  );
  let stopping: Promise<CaptureRecord[]> | undefined;
  return {
    running: started.filter((s) => s.capture).length,
    failed: started.filter((s) => !s.capture).length,
    stop: () => (stopping ??= stopAll(started, runDir)),
  };
}

async function stopAll(started: Started[], runDir: string): Promise<CaptureRecord[]> {
  await mkdir(`${runDir}/${CAPTURES_DIR}`, { recursive: true });
  return Promise.all(
    started.map(async (s): Promise<CaptureRecord> => {
      const base: CaptureRecord = {
        node: s.target.node,
        interface: s.target.iface,
        ...(s.target.segment ? { segment: s.target.segment } : { link: s.target.link }),
        method: s.method,
        ...(s.startedAt !== undefined ? { startedAt: s.startedAt } : {}),
      };
      if (!s.capture) return { ...base, error: s.error ?? 'did not start' };
      const stoppedAt = Date.now();
      let pcap: Buffer;
      const notes: string[] = [];
      try {
        const stopped = await s.capture.stop();
        pcap = stopped.pcap;
        if (stopped.note) notes.push(stopped.note);
      } catch (err) {
        return { ...base, stoppedAt, error: `did not stop cleanly: ${messageOf(err)}` };
      }
      try {
        const summary = summarisePcap(pcap);
        if (summary.linkType !== LINKTYPE_ETHERNET) notes.push(`link type ${summary.linkType}, not Ethernet`);
        if (summary.partialTailBytes > 0) {
          // The writer was mid-record when the capture stopped: keep what every reader can open.
          pcap = pcap.subarray(0, summary.completeBytes);
          notes.push(`a partial last record (${summary.partialTailBytes} bytes) was cut off`);
        }
        await writeFile(capturePath(runDir, s.target.fileName), pcap);
        return {
          ...base,
          stoppedAt,
          file: captureRelativePath(s.target.fileName),
          bytes: pcap.length,
          frames: summary.frames,
          ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
        };
      } catch (err) {
        return { ...base, stoppedAt, error: `no pcap written: ${messageOf(err)}`, ...(notes.length > 0 ? { note: notes.join('; ') } : {}) };
      }
    }),
  );
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
