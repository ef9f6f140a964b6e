// down on netns removes every process that was ever in the lab's namespaces, also one that
// entered after down's first look: a daemon forking into the background, or a start that a
// killed `up` left in flight (the residue seen after kill -9 inside the IPVS VM).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, test } from 'vitest';
import { NetnsRuntime } from '../../src/runtime/netns/netns-runtime.js';
import { run } from '../../src/util/exec.js';
import { pollUntil } from '../../src/util/poll.js';
import { removeNamespace } from '../support/netns.js';

const INSTANCE = 'itest-sweep';
const NS = `lvslab.${INSTANCE}.node1`;

afterAll(async () => {
  await removeNamespace(NS);
  await run(['pkill', '-KILL', '-f', 'lvslab-sweep-marker']);
});

/** Running (a zombie, killed and not yet reaped by whoever adopted it, is not). */
function alive(pid: number): boolean {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('netns destroy', () => {
  test('a process that appears in a lab namespace after the first scan is removed too', async () => {
    await run(['ip', 'netns', 'add', NS]);
    // The parent ignores SIGTERM, so down waits a second for it before SIGKILL; meanwhile,
    // half a second in, it starts a background child that was not there when down looked.
    const script = `trap '' TERM; sleep 0.5; setsid sh -c 'sleep 60; :' lvslab-sweep-marker </dev/null >/dev/null 2>&1 & echo $!; wait`;
    const child = spawn('ip', ['netns', 'exec', NS, 'sh', '-c', script], { stdio: ['ignore', 'pipe', 'ignore'] });
    let grandchild = 0;
    child.stdout.on('data', (b: Buffer) => (grandchild = Number(String(b).trim())));
    const inside = await pollUntil(async () => ({ done: (await run(['ip', 'netns', 'pids', NS])).stdout.trim() !== '', value: null }), { timeoutMs: 5000, intervalMs: 10 });
    expect(inside.ok).toBe(true);

    const report = await new NetnsRuntime().destroy(INSTANCE);
    expect(grandchild).toBeGreaterThan(0);
    expect(alive(grandchild), 'the late background child survived down').toBe(false);
    expect(report.killedProcesses).toBeGreaterThanOrEqual(2);
    expect(existsSync(`/run/netns/${NS}`)).toBe(false);
  }, 20_000);
});
