// The retry window of exercise checks (src/workshop/checks.ts evaluateCheck): pass at the
// first attempt that holds, fail with the last observation after the window, hold_s needs
// an unbroken run, a check naming a node the lab lacks is unusable. The lab's node is
// answered by a scripted exec (the observations are what a real `sysctl -n` prints).
import { describe, expect, test } from 'vitest';
import { loadLabFile } from '../../src/model/load.js';
import { CATALOGUE_DIR } from '../../src/lab/catalogue.js';
import type { LabSession } from '../../src/lab/session.js';
import type { RunResult } from '../../src/util/exec.js';
import { evaluateCheck } from '../../src/workshop/checks.js';
import type { CheckSpec } from '../../src/workshop/exercise.js';

async function sessionAnswering(values: string[]): Promise<{ session: LabSession; calls: () => number }> {
  const lab = await loadLabFile(`${CATALOGUE_DIR}lvs-dr.yaml`, { instance: 'unit-ws' });
  let n = 0;
  const runtime = {
    exec: async (): Promise<RunResult> => {
      const v = values[Math.min(n, values.length - 1)]!;
      n++;
      return { code: 0, stdout: `${v}\n`, stderr: '' };
    },
  };
  return { session: { runtime, lab } as unknown as LabSession, calls: () => n };
}

const sysctl = (extra: Partial<CheckSpec> = {}): CheckSpec => ({ id: 'c', kind: 'sysctl', node: 'rs2', key: 'net.ipv4.conf.all.arp_ignore', value: '1', ...extra });

describe('evaluateCheck', () => {
  test('passes at the first attempt that holds, inside the window', async () => {
    const { session } = await sessionAnswering(['0', '0', '1']);
    const r = await evaluateCheck(session, sysctl({ within_s: 5 }));
    expect(r).toMatchObject({ outcome: 'passed', attempts: 3, observed: '1' });
  });

  test('fails after the window with the last observation', async () => {
    const { session } = await sessionAnswering(['0']);
    const r = await evaluateCheck(session, sysctl({ within_s: 1, hint: 'fix rs2' }));
    expect(r.outcome).toBe('failed');
    expect(r.detail).toMatch(/^net\.ipv4\.conf\.all\.arp_ignore: expected 1, seen 0 \(after \d+ attempts in 1\.\d s\)$/);
    expect(r.attempts).toBeGreaterThanOrEqual(2);
    expect(r.hint).toBe('fix rs2');
  });

  test('a window of 0 is one attempt', async () => {
    const { session, calls } = await sessionAnswering(['0', '1']);
    expect((await evaluateCheck(session, sysctl({ within_s: 0 }))).outcome).toBe('failed');
    expect(calls()).toBe(1);
  });

  test('hold_s: a break starts the hold again; a hold that cannot finish in the window fails', async () => {
    // 1, then a break, then 1 from the fourth attempt on (attempts every 0.5 s).
    const { session } = await sessionAnswering(['1', '0', '0', '1']);
    const held = await evaluateCheck(session, sysctl({ within_s: 4, hold_s: 1 }));
    expect(held.outcome).toBe('passed');
    expect(held.attempts).toBeGreaterThanOrEqual(6); // 4th attempt starts the hold, which needs 1 s more
    const { session: flapping } = await sessionAnswering([...Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? '1' : '0')), '1']);
    const r = await evaluateCheck(flapping, sysctl({ within_s: 2, hold_s: 1 }));
    expect(r.outcome).toBe('failed');
  });

  test('a node the lab does not have makes the check unusable, not failed', async () => {
    const { session, calls } = await sessionAnswering(['1']);
    const r = await evaluateCheck(session, sysctl({ node: 'rs9' }));
    expect(r).toMatchObject({ outcome: 'unusable', detail: 'lab lvs-dr has no node rs9' });
    expect(calls()).toBe(0);
  });
});
