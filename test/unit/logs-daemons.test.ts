import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCheckerDecision, takesServerOut } from '../../src/logs/checker.js';
import { parseHealthdLog } from '../../src/logs/healthd.js';
import { parseKeepalivedLog } from '../../src/logs/keepalived.js';
import { parseNginxAccessLog } from '../../src/logs/nginx.js';
import { parseCollectedLogs, parseRouteMonitors } from '../../src/logs/collected.js';
import { parseAccessLogLine } from '../../src/render/nginx.js';

const fixture = (path: string) => readFileSync(new URL(`../fixtures/runs/${path}`, import.meta.url), 'utf8');

describe('parseKeepalivedLog', () => {
  it('reads the captured console log: whole seconds, continuation lines kept, untimestamped lines skipped', () => {
    const text = fixture('captured/keepalived-console.log');
    const lines = parseKeepalivedLog(text, { node: 'lb1', timeZone: 'utc' });
    const raw = text.trim().split('\n');
    expect(lines).toHaveLength(raw.length - 1); // modprobe's line has no timestamp
    expect(lines.some((l) => l.text.startsWith('modprobe'))).toBe(false);
    expect(lines[0]).toEqual({ t: Date.UTC(2026, 10, 21, 11, 17, 12), node: 'lb1', daemon: 'keepalived', text: 'Starting Keepalived v2.2.7 (01/16,2022)' });
    expect(lines[3]!.text).toMatch(/^ {14}'\/tmp\/figcap/);
  });

  it('reads single-digit days padded as ctime() pads them, in local time by default', () => {
    const lines = parseKeepalivedLog(fixture('synthetic/keepalived-removal.log'), { node: 'lb1' });
    const padded = lines.find((l) => l.text.startsWith('a day of the month'))!;
    expect(padded.t).toBe(new Date(2026, 10, 2, 10, 0, 21).getTime());
    expect(lines).toHaveLength(9);
  });

  it('finds the checker decisions in keepalived wording', () => {
    const lines = parseKeepalivedLog(fixture('synthetic/keepalived-removal.log'), { node: 'lb1', timeZone: 'utc' });
    const decisions = lines.map((l) => ({ t: l.t, d: parseCheckerDecision(l.text) })).filter((x) => x.d !== undefined);
    expect(decisions.map((x) => [x.t, x.d!.verb, x.d!.realServer.address])).toEqual([
      [Date.UTC(2026, 10, 21, 10, 0, 12), 'removed', '10.0.1.129'],
      [Date.UTC(2026, 10, 21, 10, 0, 20), 'added', '10.0.1.129'],
    ]);
  });
});

describe('parseHealthdLog', () => {
  it('reads the captured healthd log with ms and finds the Disabling decision of the nginx kill on rs2', () => {
    const lines = parseHealthdLog(fixture('captured/lb2-healthd.log'), { node: 'lb2' });
    expect(lines).toHaveLength(fixture('captured/lb2-healthd.log').trim().split('\n').length);
    expect(lines.every((l) => l.daemon === 'healthd' && l.node === 'lb2')).toBe(true);
    const out = lines.filter((l) => {
      const d = parseCheckerDecision(l.text);
      return d !== undefined && takesServerOut(d) && d.realServer.address === '10.0.1.131';
    });
    expect(out.map((l) => l.t)).toEqual([Date.parse('2026-11-21T11:17:04.722Z')]);
    expect(parseCheckerDecision(out[0]!.text)).toEqual({
      verb: 'disabled',
      realServer: { address: '10.0.1.131', protocol: 'tcp', port: 80 },
      virtualServer: { address: '10.0.1.100', protocol: 'tcp', port: 80 },
    });
  });
});

describe('parseCheckerDecision', () => {
  it('does not mistake other messages for decisions', () => {
    expect(parseCheckerDecision('Shutting down service [10.0.1.129]:tcp:80 from VS [10.0.1.100]:tcp:80')).toBeUndefined();
    expect(parseCheckerDecision('Removing sorry server [10.0.1.200]:tcp:80 from VS [10.0.1.100]:tcp:80')).toBeUndefined();
    expect(parseCheckerDecision('HTTP_CHECK on service [10.0.1.129]:tcp:80 failed after 1 retries.')).toBeUndefined();
    expect(parseCheckerDecision('Activating healthchecker for service [10.0.1.129]:tcp:80 for VS [10.0.1.100]:tcp:80')).toBeUndefined();
  });

  it('reads all four verbs, and only removal and disabling take a server out', () => {
    const verbs = ['Removing service [a]:tcp:1 from VS [b]:tcp:2', 'Disabling service [a]:tcp:1 from VS [b]:tcp:2', 'Adding service [a]:udp:1 to VS [b]:udp:2', 'Enabling service [a]:tcp:1 to VS [b]:tcp:2'].map(
      (t) => parseCheckerDecision(t)!,
    );
    expect(verbs.map((d) => d.verb)).toEqual(['removed', 'disabled', 'added', 'enabled']);
    expect(verbs.map(takesServerOut)).toEqual([true, true, false, false]);
    expect(verbs[2]!.realServer).toEqual({ address: 'a', protocol: 'udp', port: 1 });
  });
});

describe('parseNginxAccessLog', () => {
  it('reads the captured access log: t is $msec in ms, the raw line is the text', () => {
    const text = fixture('captured/rs1-nginx-access.log');
    const lines = parseNginxAccessLog(text, { node: 'rs1' });
    expect(lines).toHaveLength(text.trim().split('\n').length);
    expect(lines[0]).toEqual({ t: 1795259777682, node: 'rs1', daemon: 'nginx', text: '1795259777.682 10.0.1.135:59604 10.0.1.129:80 200 "GET / HTTP/1.0"' });
    // Client requests arrive on the VIP, health checks on the real server's own address.
    const clients = lines.map((l) => parseAccessLogLine(l.text)!).filter((e) => e.serverAddress === '10.0.1.100');
    expect(clients.length).toBeGreaterThan(0);
    expect(clients.every((e) => ['10.0.1.132', '10.0.1.134'].includes(e.clientAddress))).toBe(true);
  });

  it('skips lines that are not in lvslab format', () => {
    expect(parseNginxAccessLog('garbage\n10.0.0.1 - - [21/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 5\n', { node: 'rs1' })).toEqual([]);
  });
});

describe('parseCollectedLogs and parseRouteMonitors', () => {
  it('pick the parser by file name and merge every node by time', () => {
    const lines = parseCollectedLogs(
      {
        router: { 'frr.log': fixture('captured/router-frr.log') },
        lb2: { 'frr.log': fixture('captured/lb2-frr.log'), 'healthd.log': fixture('captured/lb2-healthd.log') },
        rs1: { 'nginx-access.log': fixture('captured/rs1-nginx-access.log') },
      },
      { timeZone: 'utc' },
    );
    expect(new Set(lines.map((l) => `${l.node}/${l.daemon}`))).toEqual(new Set(['router/ospfd', 'router/zebra', 'lb2/ospfd', 'lb2/zebra', 'lb2/healthd', 'rs1/nginx']));
    expect(lines.every((l, i) => i === 0 || lines[i - 1]!.t <= l.t)).toBe(true);
    expect(() => parseCollectedLogs({ lb1: { 'bird.log': '' } })).toThrow(/no parser for log file bird\.log of lb1/);
    const events = parseRouteMonitors({ router: fixture('captured/router-ip-monitor-route.txt') }, { timeZone: 'utc', present: { router: ['10.0.1.100/32'] } });
    expect(events.map((e) => e.kind)).toEqual(['change', 'change', 'change', 'del', 'add', 'change']);
  });
});

describe('keepalived on a real IPVS kernel (captured in the QEMU VM)', () => {
  it('finds the inhibit_on_failure decision in keepalived 2.2.7 wording ("of VS")', () => {
    const text = fixture('captured/keepalived-ipvs-vm.log');
    const lines = parseKeepalivedLog(text, { node: 'lb1', timeZone: 'utc' });
    const decisions = lines.map((l) => parseCheckerDecision(l.text)).filter((d) => d !== undefined);
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({ verb: 'disabled' });
    expect(takesServerOut(decisions[0]!)).toBe(true);
  });
});
