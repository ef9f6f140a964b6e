// The session is built once: from an instance record it takes the recorded runtime and
// dataplane and renders each node's plan a single time, and timeline actions find a
// daemon's pid file in the session's plans instead of rendering the node again.
import { describe, expect, it } from 'vitest';
import { openSession, planNodes } from '../../src/lab/session.js';
import { performStep } from '../../src/experiment/actions.js';
import type { InstanceState } from '../../src/runtime/instance-record.js';
import type { Runtime } from '../../src/runtime/runtime.js';
import { STATE_VERSION } from '../../src/runtime/instance-record.js';
import { NetnsRuntime } from '../../src/runtime/netns/netns-runtime.js';
import { ospfEcmpResolved } from '../fixtures/ospf-ecmp.resolved.js';
import { nodeOf } from './render-support.js';

const record: InstanceState = {
  version: STATE_VERSION,
  instance: ospfEcmpResolved.instance,
  runtime: 'netns',
  dataplane: 'nftables',
  dataplaneDetail: 'kernel has no IP_VS (recorded)',
  phase: 'ready',
  createdAt: '2025-01-01T00:00:00.000Z',
  lvslabPid: 1,
  lab: ospfEcmpResolved,
};

describe('the lab session', () => {
  it('is built from the instance record: its runtime, its dataplane decision, one plan per node', async () => {
    const session = await openSession(record);
    expect(session.runtime).toBeInstanceOf(NetnsRuntime);
    expect(session.lab).toBe(record.lab);
    expect(session.record).toBe(record);
    expect(session.decision).toEqual({ dataplane: 'nftables', detail: 'kernel has no IP_VS (recorded)' });
    expect([...session.plans.keys()].sort()).toEqual(ospfEcmpResolved.nodes.map((n) => n.name).sort());
    // the fallback's health daemon, not keepalived: the plans follow the recorded dataplane
    expect(session.plans.get('lb1')!.serviceDaemons.map((d) => d.name)).toEqual(['healthd']);
  });

  it("gives timeline actions the daemons' pid files from its plans", async () => {
    const read: string[] = [];
    const runtime = {
      readFile: async (_i: string, _n: string, path: string) => (read.push(path), '4242\n'),
      exec: async () => ({ code: 0, stdout: '', stderr: '' }),
    } as unknown as Runtime;
    const plans = planNodes(new NetnsRuntime(), ospfEcmpResolved, 'nftables');
    // A pid file no rendering would produce: only the session's plan can name it.
    plans.get('rs1')!.serviceDaemons.find((d) => d.name === 'nginx')!.pidFile = '/from/the/session/nginx.pid';
    const record = await performStep(
      { runtime, lab: ospfEcmpResolved, plans },
      { step: 1, at: 0, action: 'kill', node: nodeOf(ospfEcmpResolved, 'rs1'), daemon: 'nginx' },
      Date.now(),
    );
    expect(record.ok, record.detail).toBe(true);
    expect(read).toEqual(['/from/the/session/nginx.pid']);
  });
});
