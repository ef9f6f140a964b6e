// Announce only what can be served: which VIPs a director guards, the vtysh commands that add
// and remove them in the running ospfd (checked against a real ospfd's vty), the health
// daemon's hook and keepalived's quorum scripts (keepalived --config-test), and the
// catalogue's ospf-ecmp-guarded, which must stay ospf-ecmp plus the one option.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { healthdConfigFor } from '../../src/lab/dataplane-state.js';
import { loadLabFile } from '../../src/model/load.js';
import { announcementArgv, guardedAnnouncements, startupNetworks } from '../../src/render/announce.js';
import { renderKeepalivedConf } from '../../src/render/keepalived.js';
import { run } from '../../src/util/exec.js';
import { goldenPaths, nodeOf } from './render-support.js';

const tmp = mkdtempSync(join(tmpdir(), 'lvtr-guard-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const guarded = await loadLabFile('labs/ospf-ecmp-guarded.yaml');
const plain = await loadLabFile('labs/ospf-ecmp.yaml');

describe('the catalogue lab ospf-ecmp-guarded', () => {
  it('is ospf-ecmp with announce_only_when_serving: true, and nothing else changed', () => {
    const a = parse(readFileSync('labs/ospf-ecmp.yaml', 'utf8')) as Record<string, unknown>;
    const b = parse(readFileSync('labs/ospf-ecmp-guarded.yaml', 'utf8')) as Record<string, unknown>;
    expect(b.announce_only_when_serving).toBe(true);
    const strip = (doc: Record<string, unknown>) => ({ ...doc, name: undefined, description: undefined, announce_only_when_serving: undefined });
    expect(strip(b)).toEqual(strip(a));
    expect(guarded.announceOnlyWhenServing).toBe(true);
    expect(plain.announceOnlyWhenServing).toBeUndefined(); // off in the seed labs
  });
});

describe('guarded announcements', () => {
  it('are the OSPF VIPs a director announces, only when the lab asks; never the router\'s networks', () => {
    expect(guardedAnnouncements(guarded, nodeOf(guarded, 'lb1')).map((s) => s.name)).toEqual(['web']);
    expect(guardedAnnouncements(guarded, nodeOf(guarded, 'router'))).toEqual([]);
    expect(guardedAnnouncements(plain, nodeOf(plain, 'lb1'))).toEqual([]);
    // 10.0.1.0/24 holds the VIP, so it would match lo's 10.0.1.100 too: lb1's own address instead.
    expect(startupNetworks(guarded, nodeOf(guarded, 'lb1'))).toEqual(['10.0.1.133/32']);
    expect(startupNetworks(plain, nodeOf(plain, 'lb1'))).toEqual(['10.0.1.0/24', '10.0.1.100/32']);
  });

  it('are changed through the vty: configure terminal, router ospf, [no] network VIP/32 area A', () => {
    expect(announcementArgv('/run/x', '10.0.1.100', '0.0.0.0', true)).toEqual(['--vty_socket', '/run/x', '-c', 'configure terminal', '-c', 'router ospf', '-c', 'network 10.0.1.100/32 area 0.0.0.0']);
    expect(announcementArgv('/run/x', '10.0.1.100', '0.0.0.0', false).at(-1)).toBe('no network 10.0.1.100/32 area 0.0.0.0');
  });

  it('the commands are ones FRR 8.4 accepts (vtysh --dryrun on them as a config)', async () => {
    for (const announce of [true, false]) {
      const argv = announcementArgv('/run/x', '10.0.1.100', '0.0.0.0', announce);
      const commands = argv.filter((_, i) => argv[i - 1] === '-c').filter((c) => c !== 'configure terminal');
      const file = join(tmp, `announce-${announce}.conf`);
      writeFileSync(file, ['router ospf', ' network 10.0.1.0/24 area 0.0.0.0', 'exit', ...commands.map((c, i) => (i === 0 ? c : ` ${c}`)), 'exit', ''].join('\n'));
      const r = await run(['vtysh', '--dryrun', '-f', file], { timeoutMs: 20_000 });
      expect({ announce, code: r.code, out: (r.stdout + r.stderr).trim() }).toEqual({ announce, code: 0, out: '' });
    }
  });

  it('the fallback\'s health daemon is given both commands for each guarded VIP; without the option none', () => {
    const lb1 = nodeOf(guarded, 'lb1');
    const paths = goldenPaths(guarded, lb1);
    expect(healthdConfigFor(guarded, lb1, paths).announce).toEqual([
      { service: 'web', vip: '10.0.1.100', up: announcementArgv(paths.frrVtyDir, '10.0.1.100', '0.0.0.0', true), down: announcementArgv(paths.frrVtyDir, '10.0.1.100', '0.0.0.0', false) },
    ]);
    expect(healthdConfigFor(plain, nodeOf(plain, 'lb1'), goldenPaths(plain, nodeOf(plain, 'lb1'))).announce).toBeUndefined();
  });

  it('on ipvs keepalived runs them as the virtual server\'s quorum scripts, its real servers starting failed (alpha)', async () => {
    const lb1 = nodeOf(guarded, 'lb1');
    const paths = goldenPaths(guarded, lb1);
    const conf = renderKeepalivedConf(guarded, lb1, paths, 'ipvs');
    const vty = paths.frrVtyDir;
    expect(conf).toContain(`quorum_up "/usr/bin/vtysh --vty_socket ${vty} -c 'configure terminal' -c 'router ospf' -c 'network 10.0.1.100/32 area 0.0.0.0'"`);
    expect(conf).toContain(`quorum_down "/usr/bin/vtysh --vty_socket ${vty} -c 'configure terminal' -c 'router ospf' -c 'no network 10.0.1.100/32 area 0.0.0.0'"`);
    expect(conf).toMatch(/^ {4}alpha\n {4}quorum 1\n/m);
    expect(conf).toMatch(/enable_script_security\n {4}script_user root/);
    // Nothing of it without the option, nor on the fallback (healthd does it there).
    expect(renderKeepalivedConf(plain, nodeOf(plain, 'lb1'), goldenPaths(plain, nodeOf(plain, 'lb1')), 'ipvs')).not.toMatch(/quorum|alpha|script_user/);
    expect(renderKeepalivedConf(guarded, lb1, paths, 'nftables')).toBe('');
    const file = join(tmp, 'keepalived-guarded.conf');
    writeFileSync(file, conf);
    const r = await run(['keepalived', '--config-test', '-f', file], { timeoutMs: 20_000 });
    expect({ code: r.code, out: (r.stdout + r.stderr).trim() }).toEqual({ code: 0, out: '' });
  });
});
