// The promises `up` and `down` make beyond the happy path: bad input changes nothing, a
// lab that does not get ready is rolled back, a killed `up` or `down` is cleaned by `down`, and two
// instances of one lab live side by side.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { pollUntil } from '../../src/util/poll.js';
import { hostSnapshot, leftovers, lvslab, REPO, requestLoop, type HostSnapshot, scaledMs } from './support.js';

const NAMES = ['e2e-rb', 'e2e-kill', 'e2e-kdown', 'e2e-a', 'e2e-b'];
let before: HostSnapshot;

beforeAll(async () => {
  for (const n of NAMES) await lvslab(['down', n]);
  before = await hostSnapshot();
}, scaledMs(60_000));

afterAll(async () => {
  for (const n of NAMES) await lvslab(['down', n]);
}, scaledMs(60_000));

describe('lifecycle', () => {
  test('a lab file with several errors: every one reported with line:column, nothing created', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lvslab-e2e-'));
    const file = join(dir, 'broken.yaml');
    writeFileSync(
      file,
      [
        'name: broken',
        'nodes:',
        '  r1:',
        '    role: routr', // line 4: bad enum
        '    interfaces:',
        '      - { segment: lan, adress: 10.0.0.1 }', // line 6: unknown key
        '  averyveryverylongnodename-is-too-long-for-us:', // line 7: bad node name
        '    role: client',
        '    interfaces: [ { segment: nowhere } ]', // line 9: unknown segment
        'segments:',
        '  lan: { subnet: 10.0.0.0/24 }',
        '',
      ].join('\n'),
    );
    const r = await lvslab(['up', file, '--name', 'e2e-rb']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/broken\.yaml:4:\d+: error: nodes\.r1\.role/);
    expect(r.stderr).toMatch(/broken\.yaml:6:\d+: error: .*adress.*accepted: .*address/);
    expect(r.stderr).toMatch(/broken\.yaml:7:\d+: error/);
    expect(r.stderr).toMatch(/broken\.yaml:9:\d+: error: .*nowhere/);
    const v = await lvslab(['validate', file, '--json']);
    expect(v.code).toBe(2);
    expect((JSON.parse(v.stdout) as { problems: unknown[] }).problems.length).toBeGreaterThanOrEqual(4);
    expect(leftovers(before, await hostSnapshot(), NAMES)).toEqual({});
  });

  test('unknown lab names and bad instance names are input errors', async () => {
    const r = await lvslab(['up', 'no-such-lab']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/accepted: .*ospf-ecmp/);
    const bad = await lvslab(['up', 'ospf-ecmp', '--name', 'Bad/Name']);
    expect(bad.code).toBe(2);
    expect(leftovers(before, await hostSnapshot(), NAMES)).toEqual({});
  });

  test('a lab that is not ready in time is diagnosed and rolled back', async () => {
    // 1 s is shorter than OSPF's 4 s DR-election wait: readiness cannot be reached.
    const r = await lvslab(['up', 'ospf-ecmp', '--name', 'e2e-rb', '--timeout', '1']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/did not become ready within 1 s/);
    expect(r.stderr).toMatch(/router/); // the diagnosis names what is missing
    expect(r.stderr).toMatch(/rolled back/);
    expect(leftovers(before, await hostSnapshot(), NAMES)).toEqual({});
  }, scaledMs(60_000));

  test('after kill -9 of lvslab during up, down still removes everything', async () => {
    const child = spawn(process.execPath, [`${REPO}dist/cli/main.js`, 'up', 'ospf-ecmp', '--name', 'e2e-kill'], { stdio: 'ignore' });
    // Wait until it is mid-way: namespaces exist and the router's FRR is running.
    const midway = await pollUntil(
      async () => ({ done: existsSync('/run/lvslab/e2e-kill/nodes/router/run/frr/ospfd.pid'), value: null }),
      { timeoutMs: scaledMs(20_000), intervalMs: 20 },
    );
    expect(midway.ok).toBe(true);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(readdirSync('/run/netns').filter((n) => n.startsWith('lvslab.e2e-kill.')).length).toBeGreaterThan(0);
    const status = await lvslab(['status', '--json']);
    expect(status.stdout).toContain('e2e-kill');
    const d = await lvslab(['down', 'e2e-kill']);
    expect(d.code, d.stderr).toBe(0);
    expect(leftovers(before, await hostSnapshot(), NAMES)).toEqual({});
  }, scaledMs(60_000));

  test('after kill -9 of lvslab during down, the state record outlives every object, and down removes the rest', async () => {
    const up = await lvslab(['up', 'ospf-ecmp', '--name', 'e2e-kdown']);
    expect(up.code, up.stderr).toBe(0);
    const namespaces = () => (existsSync('/run/netns') ? readdirSync('/run/netns').filter((n) => n.startsWith('lvslab.e2e-kdown.')) : []);
    const routerOspfd = Number(readFileSync('/run/lvslab/e2e-kdown/nodes/router/run/frr/ospfd.pid', 'utf8').trim());
    const child = spawn(process.execPath, [`${REPO}dist/cli/main.js`, 'down', 'e2e-kdown'], { stdio: 'ignore' });
    // Mid-way: down has started killing the daemons (the router's ospfd is gone) or deleting namespaces.
    const midway = await pollUntil(
      async () => {
        // Gone, or a zombie (killed; whoever adopted it has not reaped it yet).
        let alive = true;
        try {
          alive = !/\) Z /.test(readFileSync(`/proc/${routerOspfd}/stat`, 'utf8'));
        } catch {
          alive = false;
        }
        return { done: !alive || namespaces().length < 7, value: null };
      },
      { timeoutMs: scaledMs(20_000), intervalMs: 5 },
    );
    expect(midway.ok).toBe(true);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    // Whatever the kill interrupted, nothing of the lab is left without its record.
    if (namespaces().length > 0) expect(existsSync('/run/lvslab/e2e-kdown/instance.json')).toBe(true);
    const d = await lvslab(['down', 'e2e-kdown']);
    expect(d.code, d.stderr).toBe(0);
    expect(leftovers(before, await hostSnapshot(), NAMES)).toEqual({});
  }, scaledMs(90_000));

  test('two instances of one lab run side by side and are removed independently', async () => {
    const [a, b] = await Promise.all([
      lvslab(['up', 'lvs-dr', '--name', 'e2e-a', '--json']),
      lvslab(['up', 'lvs-dr', '--name', 'e2e-b', '--json']),
    ]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    // Same addresses in both (the seed's), yet fully isolated.
    for (const inst of ['e2e-a', 'e2e-b']) {
      const t = await requestLoop(inst, 'client', 'http://192.168.30.254/', 6);
      expect(t.failures).toBe(0);
    }
    expect((await lvslab(['down', 'e2e-a'])).code).toBe(0);
    const stillB = await requestLoop('e2e-b', 'client', 'http://192.168.30.254/', 6);
    expect(stillB.failures).toBe(0);
    const all = await lvslab(['down', '--all']);
    expect(all.code).toBe(0);
    expect(leftovers(before, await hostSnapshot(), NAMES)).toEqual({});
  }, scaledMs(120_000));
});
