import { describe, expect, it } from 'vitest';
import { computeFigures } from '../../src/figures/compute.js';
import { parseHealthdLog } from '../../src/logs/healthd.js';
import { parseKeepalivedLog } from '../../src/logs/keepalived.js';
import { at, input, step } from '../fixtures/runs/synthetic.js';

const iso = (seconds: number) => new Date(at(seconds)).toISOString();
const healthd = (node: string, lines: Array<[number, string]>) => parseHealthdLog(lines.map(([s, m]) => `${iso(s)} ${m}`).join('\n'), { node });
const rs1Out = (verb = 'Disabling') => `${verb} service [10.0.1.129]:tcp:80 from VS [10.0.1.100]:tcp:80`;

/** ctime()-style keepalived line, UTC. */
function keepalived(node: string, lines: Array<[number, string]>) {
  const text = lines
    .map(([s, m]) => {
      const d = new Date(at(s));
      const [wd, mon, day, time, year] = [d.toUTCString().slice(0, 3), d.toUTCString().slice(8, 11), d.getUTCDate(), d.toISOString().slice(11, 19), d.getUTCFullYear()];
      return `${wd} ${mon} ${String(day).padStart(2, ' ')} ${time} ${year}: ${m}`;
    })
    .join('\n');
  return parseKeepalivedLog(text, { node, timeZone: 'utc' });
}

const killRs1 = [step(0, 'kill', 'rs1', 10, { daemon: 'nginx' }), step(1, 'start', 'rs1', 25, { daemon: 'nginx' })];

describe('hc_removal_s', () => {
  it('is the failure -> the last director to take that server out (healthd, ms)', () => {
    const logs = [
      ...healthd('lb1', [
        [5, rs1Out()], // before the failure
        [11, 'Disabling service [10.0.1.131]:tcp:80 from VS [10.0.1.100]:tcp:80'], // another server
        [12, 'Disabling service [10.0.1.129]:tcp:8080 from VS [10.0.1.100]:tcp:8080'], // another service
        [13.002, rs1Out()],
        [20, rs1Out()], // a later removal
      ]),
      ...healthd('lb2', [[13.01, rs1Out('Removing')]]),
    ];
    const { figures } = computeFigures(input({ actions: killRs1, logs }));
    expect(figures.hc_removal_s.value).toBe(3.01);
    expect(figures.hc_removal_s.resolution).toBe(0.003); // 1 ms logs + 2 ms command
    expect(figures.hc_removal_s.method).toMatch(/lb1 at 13\.002 s, lb2 at 13\.010 s; the last is lb2/);
  });

  it('has keepalived\'s whole-second resolution when its log is the source, and never goes negative', () => {
    // The failure at 10.700 s; keepalived removes at 10.9 s and stamps it 10 s (truncated).
    const actions = [step(0, 'node-stop', 'rs1', 10.7)];
    const logs = [...keepalived('lb1', [[10.9, rs1Out('Removing')]]), ...keepalived('lb2', [[12.2, rs1Out('Removing')]])];
    const { figures } = computeFigures(input({ actions, logs }));
    expect(figures.hc_removal_s.value).toBeCloseTo(1.3, 9); // lb2 at 12 s
    expect(figures.hc_removal_s.resolution).toBe(1.002);
    expect(figures.hc_removal_s.method).toMatch(/whole seconds/);
    const onlyFirst = computeFigures(input({ actions, logs: [...keepalived('lb1', [[10.9, rs1Out('Removing')]]), ...keepalived('lb2', [[10.95, rs1Out('Removing')]])] }));
    expect(onlyFirst.figures.hc_removal_s.value).toBe(0);
  });

  it('is null when a director never removed the server, naming it', () => {
    const logs = healthd('lb1', [[13, rs1Out()]]);
    const { figures } = computeFigures(input({ actions: killRs1, logs }));
    expect(figures.hc_removal_s.value).toBeNull();
    expect(figures.hc_removal_s.note).toMatch(/director\(s\) lb2 never logged removing rs1/);
  });

  it('only follows real-server failures: director failures and kills of other daemons do not count', () => {
    const logs = [...healthd('lb1', [[13, rs1Out()]]), ...healthd('lb2', [[13, rs1Out()]])];
    const director = computeFigures(input({ actions: [step(0, 'silent-failure', 'lb2', 10, { interface: 'eth0' })], logs })).figures.hc_removal_s;
    expect(director.value).toBeNull();
    expect(director.note).toMatch(/no timeline step fails a real server/);
    const later = computeFigures(input({ actions: [step(0, 'kill', 'rs1', 9, { daemon: 'zebra' }), step(1, 'pause', 'rs1', 12, { daemon: 'nginx' })], logs })).figures.hc_removal_s;
    expect(later.value).toBe(1); // from the pause at 12 s, not the zebra kill at 9 s
  });
});
