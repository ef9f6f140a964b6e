// lvslab's own timestamps move onto the lab host's clock by the offset measured at the run's
// start; each step then carries the clock's uncertainty, which widens the resolution of every
// figure that compares a step's moment with a node's timestamp. Another machine that runs some
// of the nodes (a GNS3 lab over computes) keeps its clock readings, and the report states its
// difference from the lab host's.
import { describe, expect, it } from 'vitest';
import { onHostClock, runClock } from '../../src/experiment/host-clock.js';
import { eventSpreadS, eventSpreadText } from '../../src/figures/context.js';
import type { RawRun } from '../../src/experiment/run-once.js';
import type { ActionRecord, RunResults } from '../../src/experiment/types.js';
import { manifestRows } from '../../src/report/common.js';

const action: ActionRecord = { step: 0, action: 'silent-failure', node: 'lb1', interface: 'eth0', plannedAt: 1000, startedAt: 1001, doneAt: 1011, ok: true, detail: '' };
const raw: Omit<RawRun, 'clock'> = {
  run: 1,
  trafficStart: 500,
  trafficEnd: 9500,
  actions: [action],
  snapshots: [{ phase: 'start', t: 400 } as RawRun['snapshots'][number]],
  counterSnapshots: [{ step: 0, t: 990, tEnd: 1020, staleUpToMs: 0, directors: {} } as unknown as RawRun['counterSnapshots'][number]],
  generators: [],
  routeMonitor: {},
  logs: {},
  captures: [{ startedAt: 450, stoppedAt: 9600 } as NonNullable<RawRun['captures']>[number]],
};
const at = (offsetMs: number, uncertaintyMs: number) => ({ offsetMs, uncertaintyMs, at: 0, method: 'test' });

describe('one time axis for a run', () => {
  it('moves every lvslab timestamp by the start offset and gives each step the uncertainty (start ± plus drift)', () => {
    const moved = onHostClock(raw, runClock(at(250, 2), at(253, 1)));
    expect(moved.clock.uncertaintyMs).toBe(5);
    expect([moved.trafficStart, moved.trafficEnd]).toEqual([750, 9750]);
    expect(moved.actions[0]).toMatchObject({ plannedAt: 1250, startedAt: 1251, doneAt: 1261, clockUncertaintyMs: 5 });
    expect(moved.snapshots[0]!.t).toBe(650);
    expect(moved.counterSnapshots[0]).toMatchObject({ t: 1240, tEnd: 1270 });
    expect(moved.captures![0]).toMatchObject({ startedAt: 700, stoppedAt: 9850 });
    // the step's moment: its command's 10 ms, and ±5 ms on each side
    expect(eventSpreadS(moved.actions[0]!)).toBeCloseTo(0.02, 6);
    expect(eventSpreadText(moved.actions[0]!)).toBe("the 0.010 s the step's command took and ±0.005 s of the lab host's clock offset");
  });

  it('moves nothing on this machine', () => {
    const same = onHostClock(raw, runClock(at(0, 0), at(0, 0)));
    expect(same.actions[0]).toEqual(action);
    expect(same.trafficStart).toBe(500);
    expect(eventSpreadText(same.actions[0]!)).toBe("the 0.010 s the step's command took");
  });
});

describe('other machines that run some of the nodes', () => {
  const labHost = { host: 'root@vm1', clock: runClock(at(250, 2), at(253, 1)) };
  const other = { host: 'root@vm2:2222', nodes: ['lb1', 'lb2'], clock: runClock(at(262.5, 1.5), at(263, 1)) };

  it('keep their clock readings through the move onto the lab host\'s clock', () => {
    const moved = onHostClock({ ...raw, otherHostClocks: [other] }, labHost.clock);
    expect(moved.otherHostClocks).toEqual([other]);
  });

  it("are a manifest row: their nodes and their clock minus the lab host's, with both uncertainties", () => {
    const results = { run: 1, manifest: { lvslab: '0', runtime: 'gns3', labHost, otherLabHosts: [other] } } as unknown as RunResults;
    const row = manifestRows(results).find(([k]) => k === 'other lab hosts');
    expect(row?.[1]).toBe(
      "root@vm2:2222 (lb1, lb2): its clock minus the lab host's +12.5 ms ±3.5 at the start, +10.0 ms ±2.0 at the end; figures comparing these nodes' events with the lab host's carry that difference",
    );
    const alone = { run: 1, manifest: { lvslab: '0', runtime: 'gns3', labHost } } as unknown as RunResults;
    expect(manifestRows(alone).some(([k]) => k === 'other lab hosts')).toBe(false);
  });
});
