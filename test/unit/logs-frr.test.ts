import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isAdjacencyLoss, parseFrrLog, parseOspfAdjacencyChange } from '../../src/logs/frr.js';

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
