// A workshop end to end on netns: a class of three on lvs-dr with the arp-ignore exercise
// (rs2 planted without arp_ignore/arp_announce). An untouched student's lab fails its checks,
// one fixed through `lvslab exec --student` passes, one reset is back at the start and fails
// again, and no student's actions change another's checks. The grade's class page and a
// student's report render in headless Chromium (no network); `workshop down` leaves the host
// as it was, also after a kill -9 of `workshop up`.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { run } from '../../src/util/exec.js';
import { hostHasCommand } from '../../src/host/host.js';
import { localHost } from '../../src/host/local.js';
import { pollUntil } from '../../src/util/poll.js';
import { foreignDockerLinks, hostSnapshot, leftovers, lvslab, REPO, scaledMs, type HostSnapshot } from './support.js';

const CLASS = 'wse2e';
const KILLED_CLASS = 'wse2ek';
const BFD_CLASS = 'wse2eb';
const STUDENTS = ['alice', 'bob', 'carol'];
const instances = [...STUDENTS.map((s) => `ws-${CLASS}-${s}`), `ws-${KILLED_CLASS}-s01`, `ws-${BFD_CLASS}-s01`];
let before: HostSnapshot;
let scratch = '';

interface Grade {
  students: Array<{ student: string; notGraded?: string; checks: Array<{ id: string; outcome: string; observed: unknown; detail: string }>; predictions: Array<{ id: string; predicted: number | null; measured: unknown }> }>;
}

async function grade(out: string): Promise<{ code: number; grade: Grade }> {
  const r = await lvslab(['workshop', 'grade', '--class', CLASS, '--out', out, '--json'], { timeoutMs: 120_000 });
  expect(r.stdout, r.stderr).not.toBe('');
  return { code: r.code, grade: JSON.parse(r.stdout) as Grade };
}

const outcomes = (g: Grade, student: string, ids?: string[]): Record<string, string> =>
  Object.fromEntries(g.students.find((s) => s.student === student)!.checks.filter((c) => !ids || ids.includes(c.id)).map((c) => [c.id, c.outcome]));

// The checks a planted fault decides alone; `spread` also depends on what the router's ARP
// cache learned meanwhile (that is the lesson), so isolation is judged on these.
const FAULT_CHECKS = ['rs2-arp-ignore', 'rs2-arp-announce', 'director-up'];

beforeAll(async () => {
  for (const c of [CLASS, KILLED_CLASS, BFD_CLASS]) await lvslab(['workshop', 'down', '--class', c]);
  before = await hostSnapshot();
  scratch = mkdtempSync(join(tmpdir(), 'lvslab-workshop-'));
}, scaledMs(60_000));

afterAll(async () => {
  for (const c of [CLASS, KILLED_CLASS, BFD_CLASS]) await lvslab(['workshop', 'down', '--class', c]);
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}, scaledMs(60_000));

describe('workshop on netns', () => {
  test('a roster with a bad name is refused at its line, and nothing is created', async () => {
    const roster = join(scratch, 'bad.csv');
    writeFileSync(roster, 'name,group\nalice,a\nBob Smith,b\n');
    const r = await lvslab(['workshop', 'up', 'lvs-dr', '--roster', roster, '--class', CLASS]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${roster}:3:1: error: name: 'Bob Smith' is not a valid student name`);
    expect(existsSync(`/run/lvslab/_workshops/${CLASS}`)).toBe(false);
  });

  test('workshop up brings one ready lab per student, with the fault planted', async () => {
    const roster = join(scratch, 'class.yaml');
    writeFileSync(roster, `students:\n${STUDENTS.map((s) => `  - { name: ${s}, group: g1 }`).join('\n')}\n`);
    const r = await lvslab(['workshop', 'up', 'lvs-dr', '--roster', roster, '--class', CLASS, '--exercise', 'arp-ignore', '--json'], { timeoutMs: 240_000 });
    expect(r.code, r.stderr).toBe(0);
    // The capacity check ran from the benchmark result, before anything was created.
    expect(r.stderr).toMatch(/capacity: class of 3: \d+ MiB memory, \d+ processes/);
    const record = JSON.parse(r.stdout) as { students: Array<{ name: string; instance: string; status: string }> };
    expect(record.students.map((s) => [s.name, s.instance, s.status])).toEqual(STUDENTS.map((s) => [s, `ws-${CLASS}-${s}`, 'ready']));
    for (const s of STUDENTS) {
      const v = await lvslab(['exec', '--student', s, '--class', CLASS, 'rs2', '--', 'sysctl', '-n', 'net.ipv4.conf.all.arp_ignore']);
      expect(v.stdout.trim()).toBe('0');
      const rs1 = await lvslab(['exec', '--student', s, '--class', CLASS, 'rs1', '--', 'sysctl', '-n', 'net.ipv4.conf.all.arp_ignore']);
      expect(rs1.stdout.trim()).toBe('1');
    }
    const sheet = readFileSync(`/run/lvslab/_workshops/${CLASS}/sheets/alice.md`, 'utf8');
    expect(sheet).toContain(`lvslab exec --student alice --class ${CLASS} client -- curl -s http://192.168.30.254:80/`);
    expect(sheet).toContain('```mermaid');
    const status = await lvslab(['workshop', 'status', '--class', CLASS, '--json']);
    expect((JSON.parse(status.stdout) as { students: Array<{ student: string; stage: string }> }).students.map((s) => [s.student, s.stage])).toEqual(STUDENTS.map((s) => [s, 'arp-ignore 1/1']));
  }, scaledMs(300_000));

  let untouched: Grade;
  test('untouched labs fail the checks the fault decides', async () => {
    const { code, grade: g } = await grade(join(scratch, 'grade-0'));
    expect(code).toBe(7);
    for (const s of STUDENTS) expect(outcomes(g, s, FAULT_CHECKS)).toEqual({ 'rs2-arp-ignore': 'failed', 'rs2-arp-announce': 'failed', 'director-up': 'passed' });
    untouched = g;
  }, scaledMs(180_000));

  test('a student who fixes rs2 through exec --student passes; the others\' checks do not change', async () => {
    for (const s of ['alice', 'bob']) {
      const fix = await lvslab(['exec', '--student', s, '--class', CLASS, 'rs2', '--', 'sysctl', '-w', 'net.ipv4.conf.all.arp_ignore=1', 'net.ipv4.conf.all.arp_announce=2', 'net.ipv4.conf.lo.arp_ignore=1', 'net.ipv4.conf.lo.arp_announce=2']);
      expect(fix.code, fix.stderr).toBe(0);
      // What the router learned from rs2 while it was broken goes too, as the exercise says.
      expect((await lvslab(['exec', '--student', s, '--class', CLASS, 'router', '--', 'ip', 'neigh', 'flush', '192.168.30.254'])).code).toBe(0);
    }
    expect((await lvslab(['workshop', 'predict', '--class', CLASS, '--student', 'alice', 'servers', '4'])).code).toBe(0);
    const { code, grade: g } = await grade(join(scratch, 'grade-1'));
    expect(code).toBe(7); // carol has not fixed hers
    expect(outcomes(g, 'alice')).toEqual({ 'rs2-arp-ignore': 'passed', 'rs2-arp-announce': 'passed', spread: 'passed', 'director-up': 'passed' });
    expect(g.students.find((s) => s.student === 'alice')!.predictions).toEqual([{ stage: 0, id: 'servers', ask: expect.any(String), unit: 'servers', predicted: 4, measured: 4 }]);
    expect(outcomes(g, 'carol', FAULT_CHECKS)).toEqual(outcomes(untouched, 'carol', FAULT_CHECKS));
  }, scaledMs(180_000));

  test('a reset student is back at the start: the fault is there again, nobody else is touched', async () => {
    const r = await lvslab(['workshop', 'reset', 'bob', '--class', CLASS], { timeoutMs: 180_000 });
    expect(r.code, r.stderr).toBe(0);
    const { grade: g } = await grade(join(scratch, 'grade-2'));
    expect(outcomes(g, 'bob', FAULT_CHECKS)).toEqual(outcomes(untouched, 'bob', FAULT_CHECKS));
    expect(outcomes(g, 'alice', FAULT_CHECKS)).toEqual({ 'rs2-arp-ignore': 'passed', 'rs2-arp-announce': 'passed', 'director-up': 'passed' });
    expect(outcomes(g, 'carol', FAULT_CHECKS)).toEqual(outcomes(untouched, 'carol', FAULT_CHECKS));
    const csv = readFileSync(join(scratch, 'grade-2', 'class.csv'), 'utf8').split('\n');
    expect(csv[0]).toBe('student,group,stage,rs2-arp-ignore,rs2-arp-announce,spread,director-up,passed,failed,not_graded');
    expect(csv[1]).toMatch(/^alice,g1,1,passed,passed,passed,passed,4,0,$/);
    const junit = readFileSync(join(scratch, 'grade-2', 'junit.xml'), 'utf8');
    expect(junit).toContain(`<testsuite name="workshop.${CLASS}.alice" tests="4" failures="0"`);
  }, scaledMs(300_000));

  test('the class page and a student report render in headless Chromium with no network (unshare --net)', async () => {
    for (const cmd of ['chromium', 'xmllint', 'unshare']) expect(await hostHasCommand(localHost, cmd), `${cmd} (scripts/install-deps.sh)`).toBe(true);
    const dir = join(scratch, 'grade-2');
    for (const page of ['class.html', 'alice.html', 'bob.html']) {
      // Well-formed as XML (the pages are polyglot, as the run reports are).
      const lint = await run(['xmllint', '--noout', join(dir, page)]);
      expect(lint.code, lint.stderr).toBe(0);
      const profile = mkdtempSync(join(scratch, 'profile-'));
      const r = await run(
        ['unshare', '--net', '--', 'chromium', '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-extensions', `--user-data-dir=${profile}`, '--virtual-time-budget=2000', '--dump-dom', `file://${join(dir, page)}`],
        { timeoutMs: 60_000 },
      );
      expect(r.code, r.stderr).toBe(0);
      if (page === 'class.html') {
        // One row per student, one cell per check: alice passes all four.
        const rows = r.stdout.match(/<tr[^>]*>.*?<\/tr>/gs)!.filter((row) => row.includes('.html">'));
        expect(rows).toHaveLength(3);
        expect(rows[0]!.match(/<td class="pass">/g)).toHaveLength(4);
        expect(rows[1]).toContain('class="fail"');
      } else if (page === 'alice.html') {
        expect(r.stdout).toContain('4 passed, 0 failed');
        expect(r.stdout).toContain('as predicted');
      } else expect(r.stdout).toMatch(/expected 1, seen 0/);
    }
  }, scaledMs(200_000));

  test('workshop down after a kill -9 of workshop up leaves nothing', async () => {
    const child = spawn(process.execPath, [`${REPO}dist/cli/main.js`, 'workshop', 'up', 'lvs-dr', '--students', '1', '--class', KILLED_CLASS], { stdio: 'ignore' });
    // Killed once the student's lab is being created (its instance record exists).
    const seen = await pollUntil(async () => ({ done: existsSync(`/run/lvslab/ws-${KILLED_CLASS}-s01/instance.json`), value: true }), { timeoutMs: scaledMs(30_000), intervalMs: 20 });
    expect(seen.ok).toBe(true);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const r = await lvslab(['workshop', 'down', '--class', KILLED_CLASS, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { removedInstances: string[] }).removedInstances).toEqual([`ws-${KILLED_CLASS}-s01`]);
  }, scaledMs(90_000));

  test('a prediction beside a measured figure, then a stage whose fault waits for the dead interval', async () => {
    const up = await lvslab(['workshop', 'up', 'ospf-ecmp-bfd', '--students', '1', '--class', BFD_CLASS, '--exercise', 'dead-interval-bfd'], { timeoutMs: 180_000 });
    expect(up.code, up.stderr).toBe(0);
    expect((await lvslab(['workshop', 'predict', '--class', BFD_CLASS, '--student', 's01', 'outage', '4'])).code).toBe(0);
    const gradeOf = async (out: string) => {
      const r = await lvslab(['workshop', 'grade', '--class', BFD_CLASS, '--out', join(scratch, out), '--json'], { timeoutMs: 180_000 });
      return { code: r.code, g: (JSON.parse(r.stdout) as Grade).students[0]! };
    };
    // Stage 1 runs failover-bfd once on the student's lab; both figure checks read that run.
    const first = await gradeOf('bfd-0');
    expect(first.g.checks.map((c) => [c.id, c.outcome])).toEqual([['outage', 'passed'], ['during', 'passed']]);
    const outage = first.g.predictions.find((p) => p.id === 'outage')!;
    expect(outage.predicted).toBe(4);
    // BFD's detection is 300 ms x 3 here; the experiment's own bound is 1.2 s.
    expect(outage.measured).toBeGreaterThan(0);
    expect(outage.measured).toBeLessThanOrEqual(1.2);
    expect(first.code).toBe(0);
    // Stage 2: lb1's dead interval no longer matches. Graded at once, the adjacency is still
    // up until the router's dead timer (4 s) runs out: hold_s 5 makes that a failure.
    expect((await lvslab(['workshop', 'next', '--class', BFD_CLASS, 's01'])).code).toBe(0);
    const broken = await gradeOf('bfd-1');
    expect(broken.code).toBe(7);
    expect(broken.g.checks.map((c) => [c.id, c.outcome])).toEqual([['outage', 'passed'], ['during', 'passed'], ['adjacencies', 'failed'], ['nexthops', 'failed']]);
    const fix = await lvslab(['exec', '--student', 's01', '--class', BFD_CLASS, 'lb1', '--', 'vtysh', '-c', 'configure terminal', '-c', 'interface eth0', '-c', 'ip ospf dead-interval 4']);
    expect(fix.code, fix.stderr).toBe(0);
    const fixed = await gradeOf('bfd-2');
    expect(fixed.g.checks.map((c) => [c.id, c.outcome])).toEqual([['outage', 'passed'], ['during', 'passed'], ['adjacencies', 'passed'], ['nexthops', 'passed']]);
    expect(fixed.code).toBe(0);
    expect((await lvslab(['workshop', 'down', '--class', BFD_CLASS])).code).toBe(0);
  }, scaledMs(600_000));

  test('workshop down removes the class and leaves the host as it was', async () => {
    const r = await lvslab(['workshop', 'down', '--class', CLASS, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { removedInstances: string[] }).removedInstances).toEqual(STUDENTS.map((s) => `ws-${CLASS}-${s}`));
    const after = await hostSnapshot();
    expect(leftovers(before, after, instances, await foreignDockerLinks(instances))).toEqual({});
    const again = await lvslab(['workshop', 'status', '--class', CLASS]);
    expect(again.code).toBe(5);
  }, scaledMs(60_000));
});
