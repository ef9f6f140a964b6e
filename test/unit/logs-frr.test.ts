import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isAdjacencyLoss, isBfdSessionLoss, parseBfdStateChange, parseFrrLog, parseOspfAdjacencyChange } from '../../src/logs/frr.js';

const captured = (name: string) => readFileSync(new URL(`../fixtures/runs/captured/${name}`, import.meta.url), 'utf8');

/** actions.txt: label -> epoch ms of the moment written just before the step. */
function capturedActions(): Map<string, number> {
  const map = new Map<string, number>();
  for (const line of captured('actions.txt').trim().split('\n')) {
    const i = line.lastIndexOf(' ');
    map.set(line.slice(0, i), Number(line.slice(i + 1)) * 1000);
  }
  return map;
}

describe('parseFrrLog', () => {
  it('reads every timestamped line of a captured router log, with ms and the daemon of each tag', () => {
    const text = captured('router-frr.log');
    const lines = parseFrrLog(text, { node: 'router', timeZone: 'utc' });
    expect(lines).toHaveLength(text.trim().split('\n').length);
    expect(lines.every((l) => l.node === 'router')).toBe(true);
    expect(new Set(lines.map((l) => l.daemon))).toEqual(new Set(['ospfd', 'zebra']));
    const deleted = lines.find((l) => l.text.includes('Full -> Deleted (InactivityTimer)'))!;
    expect(deleted.t).toBe(Date.UTC(2026, 10, 21, 11, 16, 31, 467));
    expect(deleted.text).toBe(
      '[Y05P2-YJVXY] AdjChg: Nbr 10.0.1.135, NbrIP 10.0.1.135 (default) on eth0:10.0.1.136: Full -> Deleted (InactivityTimer)',
    );
  });

  it('reads wall-clock times in the local zone by default', () => {
    const [line] = parseFrrLog('2026/11/21 10:57:08.132 OSPF: [Y05P2-YJVXY] hello\n', { node: 'r' });
    expect(line!.t).toBe(new Date(2026, 10, 21, 10, 57, 8, 132).getTime());
  });

  it('keeps sub-millisecond precision when FRR is set to print it, and skips lines without a timestamp', () => {
    const lines = parseFrrLog(
      ['2026/11/21 10:57:08.132456 ZEBRA: [AAAAA-BBBBB] x', 'Backtrace for signal 11:', '    #0 0x1234', '2026/11/21 10:57:09 OSPF: no fraction'].join('\n'),
      { node: 'r', timeZone: 'utc' },
    );
    const offsets = lines.map((l) => l.t - Date.UTC(2026, 10, 21, 10, 57, 8));
    expect(offsets).toHaveLength(2);
    expect(offsets[0]).toBeCloseTo(132.456, 3);
    expect(offsets[1]).toBe(1000);
  });

  it('places the captured log on the same clock as the actions: the router lost lb2 one dead interval after its link went down', () => {
    // The router's interface stays up on a shared segment: only the dead timer (4 s, hello 1 s)
    // notices, between 3 and 4 s after the last hello, plus the CLI start-up before `ip link`.
    const actions = capturedActions();
    const lines = parseFrrLog(captured('router-frr.log'), { node: 'router', timeZone: 'utc' });
    const down = lines.find((l) => {
      const c = parseOspfAdjacencyChange(l.text);
      return c !== undefined && isAdjacencyLoss(c) && c.neighborId === '10.0.1.135' && l.t > actions.get('linkdown')!;
    })!;
    const seconds = (down.t - actions.get('linkdown')!) / 1000;
    expect(seconds).toBeGreaterThan(3);
    expect(seconds).toBeLessThan(4.5);
  });
});

describe('parseOspfAdjacencyChange', () => {
  it('reads FRR 8 lines with NbrIP and the NSM event', () => {
    expect(
      parseOspfAdjacencyChange('[Y05P2-YJVXY] AdjChg: Nbr 10.0.1.135, NbrIP 10.0.1.135 (default) on eth0:10.0.1.136: Full -> Down (InactivityTimer)'),
    ).toEqual({ neighborId: '10.0.1.135', neighborAddress: '10.0.1.135', iface: 'eth0', localAddress: '10.0.1.136', from: 'Full', to: 'Down', event: 'InactivityTimer' });
  });

  it('reads FRR 7 lines without NbrIP, with a router id different from the address', () => {
    expect(parseOspfAdjacencyChange('AdjChg: Nbr 2.2.2.2(default) on eth1:10.21.21.1: Full -> Deleted (KillNbr)')).toEqual({
      neighborId: '2.2.2.2',
      iface: 'eth1',
      localAddress: '10.21.21.1',
      from: 'Full',
      to: 'Deleted',
      event: 'KillNbr',
    });
  });

  it('tells losses from other changes and ignores other messages', () => {
    const lines = parseFrrLog(captured('lb2-frr.log'), { node: 'lb2', timeZone: 'utc' });
    const changes = lines.map((l) => parseOspfAdjacencyChange(l.text)).filter((c) => c !== undefined);
    const losses = changes.filter(isAdjacencyLoss);
    // lb2's own link went down: it killed both neighbours at once (KillNbr).
    expect(losses.map((c) => `${c.neighborId} ${c.from}->${c.to} ${c.event}`)).toEqual(
      expect.arrayContaining(['10.0.1.133 2-Way->Deleted KillNbr', '10.0.1.136 Full->Deleted KillNbr']),
    );
    expect(changes.filter((c) => c.to === 'Full').length).toBeGreaterThan(0);
    expect(losses.every((c) => c.to === 'Down' || c.to === 'Deleted')).toBe(true);
    expect(isAdjacencyLoss({ neighborId: 'x', from: 'Down', to: 'Deleted' })).toBe(false);
    expect(parseOspfAdjacencyChange('[S3578-FNEB0] nsm_change_state:[10.0.1.135:default], Full -> Deleted): scheduling new router-LSA origination')).toBeUndefined();
  });
});

describe('parseBfdStateChange', () => {
  it("reads bfdd's state-change lines (FRR 8.4, debug bfd peer), with and without a reason", () => {
    expect(parseBfdStateChange('[SEY1D-NT8EQ] state-change: [mhop:no peer:10.0.1.135 local:0.0.0.0 vrf:default ifname:eth0] up -> down reason:control-expired')).toEqual({
      peer: '10.0.1.135',
      local: '0.0.0.0',
      vrf: 'default',
      iface: 'eth0',
      multihop: false,
      from: 'up',
      to: 'down',
      reason: 'control-expired',
    });
    expect(parseBfdStateChange('[J1C6V-VMRW5] state-change: [mhop:no peer:10.0.1.133 local:0.0.0.0 vrf:default ifname:eth0] down -> up')).toMatchObject({ peer: '10.0.1.133', from: 'down', to: 'up' });
    expect(parseBfdStateChange('[J1C6V-VMRW5] state-change: [mhop:yes peer:192.0.2.1 local:192.0.2.2 vrf:default] init -> up')).toMatchObject({ multihop: true, from: 'init', to: 'up' });
    expect(parseBfdStateChange('[PSB4R-8T1TJ] session-new: mhop:no peer:10.0.1.133 local:0.0.0.0 vrf:default ifname:eth0')).toBeUndefined();
    expect(parseBfdStateChange('[NW21R-MRYNT] session-delete: mhop:no peer:10.0.1.135 local:0.0.0.0 vrf:default ifname:eth0')).toBeUndefined();
  });

  it('counts only an established session going down as a loss', () => {
    const change = (from: string, to: string) => ({ peer: 'p', multihop: false, from, to });
    expect(isBfdSessionLoss(change('up', 'down'))).toBe(true);
    expect(isBfdSessionLoss(change('init', 'down'))).toBe(false); // never came up
    expect(isBfdSessionLoss(change('down', 'up'))).toBe(false);
    expect(isBfdSessionLoss(change('up', 'admin-down'))).toBe(false);
  });

  it('finds, in a captured router log of two failover-bfd runs, each loss of lb2 within 3 x 300 ms of its silent failure', () => {
    const lines = parseFrrLog(captured('router-frr-bfd.log'), { node: 'router', timeZone: 'utc' });
    expect(new Set(lines.map((l) => l.daemon))).toEqual(new Set(['ospfd', 'zebra', 'bfdd']));
    // results.json timeline[0].startedAt and its command time of each run (README.md).
    const failures = [
      { at: Date.parse('2026-12-02T15:35:28.568Z'), tookMs: 63 },
      { at: Date.parse('2026-12-02T15:39:24.142Z'), tookMs: 181 },
    ];
    const losses = lines.filter((l) => {
      const c = l.daemon === 'bfdd' ? parseBfdStateChange(l.text) : undefined;
      return c !== undefined && isBfdSessionLoss(c);
    });
    expect(losses.map((l) => parseBfdStateChange(l.text)!.peer)).toEqual(['10.0.1.135', '10.0.1.135']);
    for (const [i, f] of failures.entries()) {
      const seconds = (losses[i]!.t - f.at) / 1000;
      // The last control packet came at most one interval (300 ms) before the drop was in
      // place (within the step's command time): BFD declares the loss 900 ms after it.
      expect(seconds).toBeGreaterThan(0.9 - 0.3);
      expect(seconds).toBeLessThanOrEqual(0.9 + f.tookMs / 1000 + 0.01);
      // ospfd dropped the adjacency on bfdd's news, in the same millisecond.
      const ospf = lines.find((l) => l.t >= losses[i]!.t && l.text.includes('AdjChg: Nbr 10.0.1.135') && l.text.includes('Full -> Deleted'));
      expect(ospf!.t - losses[i]!.t).toBeLessThanOrEqual(1);
    }
  });
});
