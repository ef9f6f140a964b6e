// What the FRR 8.4 validators on this host do, found by trying them:
//  - `vtysh --dryrun -f FILE` checks an integrated config: silent and exit 0 when valid,
//    "Unknown command" lines and a non-zero exit otherwise.
//  - `zebra -C -f FILE` / `ospfd -C -f FILE` / `bfdd -C -f FILE` read a daemon's config the
//    way the daemon does and exit. Their exit code is 0 even for an unknown line or a missing file: only what
//    they print on stderr says something is wrong ("No such command on config line N: ...",
//    "can't open configuration file"). zebra always adds one notice, "Disabling MPLS support
//    (no kernel support)", which says nothing about the file. A dry run reads the kernel's
//    interfaces, writes /run/frr/ospfd-gr.json (bfdd: its control socket /run/frr/bfdd.sock)
//    and leaves /var/tmp/frr/<daemon>.<pid> behind, so it runs in a throwaway namespace with private copies of those directories
//    (as lvslab starts the real daemons, see src/lab/node-setup.ts), as the frr user's files.
import { chownSync, chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BFD_PROFILE, renderFrrConf, renderFrrDaemonConfs, serviceAnnouncements } from '../../src/render/frr.js';
import type { NodePaths, ResolvedLab, ResolvedNode } from '../../src/model/types.js';
import { run, runOk } from '../../src/util/exec.js';
import { ospfEcmpResolved } from '../fixtures/ospf-ecmp.resolved.js';
import { loadLabText } from '../../src/model/load.js';
import {
  cloneLab,
  createNamespace,
  deleteNamespace,
  expectGolden,
  FIXTURES,
  goldenPaths,
  inNamespace,
  nodeOf,
  tempPaths,
  testNamespace,
} from './render-support.js';

const DRYRUN_NS = testNamespace('frr');
let tmp: string;
let frrUid: number;
let frrGid: number;
beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'lvtr-frr-'));
  // The daemons read their config and write their log as the frr user.
  chmodSync(tmp, 0o755);
  frrUid = Number((await runOk(['id', '-u', 'frr'])).trim());
  frrGid = Number((await runOk(['id', '-g', 'frr'])).trim());
  for (const dir of ['frr-run', 'frr-tmp']) {
    mkdirSync(join(tmp, dir));
    chownSync(join(tmp, dir), frrUid, frrGid);
  }
  await deleteNamespace(DRYRUN_NS);
  // Every interface the configs below name (the variant adds uplink0, the anycast router eth1).
  await createNamespace(DRYRUN_NS, ['eth0', 'eth1', 'uplink0']);
});
afterAll(async () => {
  await deleteNamespace(DRYRUN_NS);
  rmSync(tmp, { recursive: true, force: true });
});

/** `vtysh --dryrun -f` on `text`; exit code and everything it printed. */
async function vtyshDryrun(text: string, name: string): Promise<{ code: number; output: string }> {
  const file = join(tmp, name);
  writeFileSync(file, text);
  const r = await run(['vtysh', '--dryrun', '-f', file], { timeoutMs: 20_000 });
  return { code: r.code, output: (r.stdout + r.stderr).trim() };
}

/** Node paths below the temp dir whose log directory the frr user may write. */
function daemonPaths(label: string, lab: ResolvedLab, node: ResolvedNode): NodePaths {
  const paths = tempPaths(join(tmp, label), lab, node);
  chownSync(paths.log, frrUid, frrGid);
  return paths;
}

/**
 * `<daemon> -C -f FILE`, inside the throwaway namespace with private FRR directories;
 * exit code and output lines, minus zebra's constant MPLS notice.
 */
type FrrDaemon = 'zebra' | 'ospfd' | 'bfdd';

async function dryrunFile(daemon: FrrDaemon, file: string): Promise<{ code: number; complaints: string[] }> {
  const script = 'mount --bind "$1" /run/frr && mount --bind "$2" /var/tmp/frr && shift 2 && exec "$@"';
  const argv = ['sh', '-c', script, 'lvtr-frr', join(tmp, 'frr-run'), join(tmp, 'frr-tmp'), `/usr/lib/frr/${daemon}`, '-C', '-f', file];
  const r = await run(inNamespace(DRYRUN_NS, argv), { timeoutMs: 20_000 });
  const complaints = (r.stdout + r.stderr)
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.includes('Disabling MPLS support (no kernel support)'));
  return { code: r.code, complaints };
}

/** dryrunFile on `text`, written to the temp dir as `name`. */
async function daemonDryrun(daemon: FrrDaemon, text: string, name: string): Promise<{ code: number; complaints: string[] }> {
  const file = join(tmp, name);
  writeFileSync(file, text);
  return dryrunFile(daemon, file);
}

/** A variant of ospf-ecmp exercising what the seed labs leave at defaults. */
function variantLab(): ResolvedLab {
  const lab = cloneLab(ospfEcmpResolved);
  lab.ospf.referenceBandwidth = 1000;
  lab.ospf.spfDelayMs = 10;
  lab.ospf.spfMaxHoldMs = 2000;
  const router = nodeOf(lab, 'router');
  router.ospf!.defaultOriginate = true;
  router.interfaces.push({
    name: 'uplink0',
    mac: '02:00:00:00:00:01',
    address: '10.21.21.1',
    cidr: '10.21.21.1/30',
    prefixLength: 30,
    subnet: '10.21.21.0/30',
    attachment: { kind: 'link', link: 'up', peer: { node: 'lb1', iface: 'eth1' } },
    ospf: { retransmit: 2, cost: 10, priority: 1, hello: 1, dead: 4, network: 'point-to-point', passive: true },
  });
  router.ospf!.networks.push('10.21.21.0/30');
  return lab;
}

/** ospf-ecmp with BFD at values other than FRR's defaults, so the file must carry them. */
function bfdLab(): ResolvedLab {
  const lab = cloneLab(ospfEcmpResolved);
  lab.ospf.bfd = { intervalMs: 50, multiplier: 5 };
  return lab;
}

/** The variant (a passive point-to-point uplink beside the segment) with BFD. */
function variantBfdLab(): ResolvedLab {
  const lab = variantLab();
  lab.ospf.bfd = { intervalMs: 300, multiplier: 3 };
  return lab;
}

describe('renderFrrConf', () => {
  for (const lab of FIXTURES) {
    for (const node of lab.nodes) {
      it(`${lab.instance}/${node.name} matches its golden file (empty when no OSPF)`, () => {
        const text = renderFrrConf(lab, node, goldenPaths(lab, node));
        if (!node.ospf) {
          expect(text).toBe('');
          return;
        }
        expectGolden(`${lab.instance}/${node.name}/frr.conf`, text);
      });
    }
  }

  it('filters OSPF routes out of the kernel on directors only (seed 001)', () => {
    const lab = ospfEcmpResolved;
    const director = renderFrrConf(lab, nodeOf(lab, 'lb1'), goldenPaths(lab, nodeOf(lab, 'lb1')));
    const router = renderFrrConf(lab, nodeOf(lab, 'router'), goldenPaths(lab, nodeOf(lab, 'router')));
    expect(director).toMatch(/^route-map LVSLAB-NO-OSPF deny 10$/m);
    expect(director).toMatch(/^ip protocol ospf route-map LVSLAB-NO-OSPF$/m);
    expect(router).not.toMatch(/route-map/);
    expect(director).toMatch(/^ network 10\.0\.1\.100\/32 area 0\.0\.0\.0$/m);
    expect(router).not.toMatch(/10\.0\.1\.100/);
  });

  it('logs with millisecond timestamps into the node log directory', () => {
    const lab = ospfEcmpResolved;
    const node = nodeOf(lab, 'router');
    const text = renderFrrConf(lab, node, goldenPaths(lab, node));
    expect(text).toContain(`log file /run/lvslab/ospf-ecmp/nodes/router/log/frr.log\nlog timestamp precision 3\n`);
  });

  it('renders passive, p2p, reference bandwidth and default originate', () => {
    const lab = variantLab();
    const node = nodeOf(lab, 'router');
    const text = renderFrrConf(lab, node, goldenPaths(lab, node));
    expect(text).toContain(
      'interface uplink0\n ip ospf network point-to-point\n ip ospf hello-interval 1\n ip ospf dead-interval 4\n' +
        ' ip ospf retransmit-interval 2\n ip ospf cost 10\n ip ospf priority 1\n ip ospf passive\nexit\n',
    );
    expect(text).toMatch(/^ auto-cost reference-bandwidth 1000$/m);
    expect(text).toMatch(/^ default-information originate always$/m);
    expect(text).toMatch(/^ timers throttle spf 10 50 2000$/m);
    expect(text).toMatch(/^ network 10\.21\.21\.0\/30 area 0\.0\.0\.0$/m);
  });

  it('with BFD: a profile with the lab\'s timers, and every active OSPF interface asks for sessions with it', () => {
    const lab = bfdLab();
    for (const node of lab.nodes.filter((n) => n.ospf)) {
      expectGolden(`ospf-ecmp-with-bfd/${node.name}/frr.conf`, renderFrrConf(lab, node, goldenPaths(lab, node)));
      expectGolden(`ospf-ecmp-with-bfd/${node.name}/bfdd.conf`, renderFrrDaemonConfs(lab, node, goldenPaths(lab, node)).bfdd);
    }
    const text = renderFrrConf(lab, nodeOf(lab, 'router'), goldenPaths(lab, nodeOf(lab, 'router')));
    expect(text).toContain(`bfd\n profile ${BFD_PROFILE}\n  detect-multiplier 5\n  receive-interval 50\n  transmit-interval 50\n exit\n`);
    expect(text).toMatch(/^interface eth0\n(?: ip ospf .*\n)* ip ospf bfd\n ip ospf bfd profile lvslab\nexit$/m);
    // bfdd logs its sessions' state changes only as peer debug messages: experiments need them.
    expect(text).toMatch(/^debug bfd peer$/m);
    // Without ospf.bfd: not a word of BFD.
    expect(renderFrrConf(ospfEcmpResolved, nodeOf(ospfEcmpResolved, 'router'), goldenPaths(ospfEcmpResolved, nodeOf(ospfEcmpResolved, 'router')))).not.toMatch(/bfd/);
  });

  it('with BFD: a passive interface asks for no session (it has no neighbour)', () => {
    const lab = variantBfdLab();
    const text = renderFrrConf(lab, nodeOf(lab, 'router'), goldenPaths(lab, nodeOf(lab, 'router')));
    const block = (name: string) => new RegExp(`^interface ${name}\n((?: .*\n)*)exit$`, 'm').exec(text)![1]!;
    expect(block('eth0')).toContain(' ip ospf bfd\n');
    expect(block('uplink0')).toContain(' ip ospf passive\n');
    expect(block('uplink0')).not.toContain('bfd');
  });

  it('announcing only what can be served: a director starts without the VIP /32 (its check adds it), the router is unchanged', () => {
    const lab = guardedLab();
    const lb1 = renderFrrConf(lab, nodeOf(lab, 'lb1'), goldenPaths(lab, nodeOf(lab, 'lb1')));
    expect(lb1).not.toMatch(/^ network 10\.0\.1\.100\/32 area/m);
    // Not the segment's /24, which holds the VIP and would match lo's address: lb1's own address on it.
    expect(lb1).not.toMatch(/^ network 10\.0\.1\.0\/24 area/m);
    expect(lb1).toMatch(/^ network 10\.0\.1\.133\/32 area 0\.0\.0\.0$/m);
    expect(lb1).toContain(' ! 10.0.1.100/32 is announced only while a real server of web passes its health check');
    const router = (l: ResolvedLab) => renderFrrConf(l, nodeOf(l, 'router'), goldenPaths(l, nodeOf(l, 'router')));
    expect(router(lab)).toBe(router(ospfEcmpResolved));
  });

  it('is deterministic', () => {
    const lab = ospfEcmpResolved;
    const node = nodeOf(lab, 'lb2');
    expect(renderFrrConf(lab, node, goldenPaths(lab, node))).toBe(renderFrrConf(cloneLab(lab), node, goldenPaths(lab, node)));
  });
});

describe('renderFrrConf output passes vtysh --dryrun (FRR 8.4)', () => {
  for (const [label, lab] of COMMAND_CASES()) {
    for (const node of lab.nodes.filter((n) => n.ospf)) {
      it(`${label}/${node.name}`, async () => {
        const text = renderFrrConf(lab, node, tempPaths(tmp, lab, node));
        const r = await vtyshDryrun(text, `${label}-${node.name}.conf`);
        expect(r.output).toBe('');
        expect(r.code).toBe(0);
      });
    }
  }

  // The validator must be able to say no, or the checks above prove nothing.
  it('rejects a config with a misspelled command or a bad value', async () => {
    const lab = ospfEcmpResolved;
    const node = nodeOf(lab, 'lb1');
    const good = renderFrrConf(lab, node, tempPaths(tmp, lab, node));
    const misspelled = await vtyshDryrun(good.replace(' maximum-paths ', ' maximum-pathz '), 'bad1.conf');
    expect(misspelled.code).not.toBe(0);
    expect(misspelled.output).toMatch(/Unknown command.*maximum-pathz/);
    const outOfRange = await vtyshDryrun(good.replace(' ip ospf cost 1', ' ip ospf cost 0'), 'bad2.conf');
    expect(outOfRange.code).not.toBe(0);
  });

  it("rejects BFD values outside FRR 8.4's ranges (the lab schema's limits)", async () => {
    const lab = bfdLab();
    const node = nodeOf(lab, 'router');
    const good = renderFrrConf(lab, node, tempPaths(tmp, lab, node));
    for (const [from, to] of [
      ['  detect-multiplier 5', '  detect-multiplier 1'],
      ['  detect-multiplier 5', '  detect-multiplier 256'],
      ['  receive-interval 50', '  receive-interval 9'],
      ['  transmit-interval 50', '  transmit-interval 60001'],
    ] as const) {
      const r = await vtyshDryrun(good.replace(from, to), 'bad-bfd.conf');
      expect(r.output, to).toMatch(new RegExp(`Unknown command.*${to.trim()}`));
      expect(r.code, to).not.toBe(0);
    }
    for (const edge of ['  detect-multiplier 2', '  detect-multiplier 255', '  receive-interval 10', '  transmit-interval 60000']) {
      const r = await vtyshDryrun(good.replace(new RegExp(`^  ${edge.trim().split(' ')[0]} \\d+$`, 'm'), edge), 'edge-bfd.conf');
      expect(r.output, edge).toBe('');
      expect(r.code, edge).toBe(0);
    }
  });
});

/** The lines that configure something (no comments, separators, block ends or header). */
function commandLines(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('!') && l !== 'exit' && l !== 'end' && !l.startsWith('frr ') && !l.startsWith('hostname ') && !l.startsWith('log '));
}

const COMMAND_CASES = (): Array<[string, ResolvedLab]> => [
  ...FIXTURES.map((lab): [string, ResolvedLab] => [lab.instance, lab]),
  ['variant', variantLab()],
  ['bfd', bfdLab()],
  ['variant-bfd', variantBfdLab()],
  ['guarded', guardedLab()],
  ['anycast', anycastLab()],
];

/** ospf-ecmp announcing only what can be served: the directors start without the VIP's network. */
function guardedLab(): ResolvedLab {
  const lab = cloneLab(ospfEcmpResolved);
  lab.announceOnlyWhenServing = true;
  return lab;
}

/** Seed 003's catalogue lab: the web servers are OSPF speakers announcing the service address. */
function anycastLab(): ResolvedLab {
  return loadLabText(readFileSync('labs/ospf-anycast.yaml', 'utf8'), 'labs/ospf-anycast.yaml');
}

/**
 * The command lines of an integrated frr.conf by the daemon that owns them: interface
 * names go to zebra and ospfd, `ip ospf` lines and `router ospf` to ospfd, the `bfd` block
 * and `debug bfd` to bfdd, everything else at the top level to zebra.
 */
function linesByDaemon(integrated: string): Record<FrrDaemon, string[]> {
  const owned: Record<FrrDaemon, string[]> = { zebra: [], ospfd: [], bfdd: [] };
  let block: 'interface' | 'router ospf' | 'bfd' | undefined;
  for (const line of commandLines(integrated)) {
    if (!line.startsWith(' ')) block = undefined;
    if (line.startsWith('interface ')) {
      block = 'interface';
      owned.zebra.push(line);
      owned.ospfd.push(line);
    } else if (line === 'router ospf') {
      block = 'router ospf';
      owned.ospfd.push(line);
    } else if (line === 'bfd' || line.startsWith('debug bfd')) {
      block = line === 'bfd' ? 'bfd' : undefined;
      owned.bfdd.push(line);
    } else if (block === 'interface' || block === 'router ospf') owned.ospfd.push(line);
    else if (block === 'bfd') owned.bfdd.push(line);
    else owned.zebra.push(line);
  }
  return owned;
}

describe('an anycast server (seed 003) as an OSPF speaker', () => {
  it('announces the service address from lo, keeps OSPF routes out of its kernel, and the router carries cost 2', () => {
    const lab = anycastLab();
    const web1 = nodeOf(lab, 'web1');
    const confs = renderFrrDaemonConfs(lab, web1, goldenPaths(lab, web1));
    expect(web1.loopbacks).toEqual(['192.168.0.23/32']);
    expect(confs.ospfd).toContain(' network 192.168.0.0/24 area 0.0.0.0\n network 192.168.0.23/32 area 0.0.0.0\n');
    expect(confs.ospfd).toContain(' ip ospf priority 0\n');
    expect(confs.zebra).toContain('ip protocol ospf route-map LVSLAB-NO-OSPF');
    const router = renderFrrDaemonConfs(lab, nodeOf(lab, 'router'), goldenPaths(lab, nodeOf(lab, 'router'))).ospfd;
    expect(router.match(/ ip ospf cost 2\n/g)).toHaveLength(2);
    expect(router).not.toContain('192.168.0.23');
  });

  it('names the statement an announcement guard would withdraw: the service /32, on the servers only', () => {
    const lab = anycastLab();
    expect(serviceAnnouncements(lab, nodeOf(lab, 'web1'))).toEqual([{ service: 'web', prefix: '192.168.0.23/32', area: '0.0.0.0' }]);
    expect(serviceAnnouncements(lab, nodeOf(lab, 'router'))).toEqual([]);
    // The same for seed 001's directors, whose VIP they announce.
    expect(serviceAnnouncements(ospfEcmpResolved, nodeOf(ospfEcmpResolved, 'lb2')).map((a) => a.prefix)).toEqual(['10.0.1.100/32']);
    const ospfd = renderFrrDaemonConfs(lab, nodeOf(lab, 'web1'), goldenPaths(lab, nodeOf(lab, 'web1'))).ospfd;
    for (const a of serviceAnnouncements(lab, nodeOf(lab, 'web1'))) expect(ospfd).toContain(` network ${a.prefix} area ${a.area}\n`);
  });
});

describe('renderFrrDaemonConfs', () => {
  for (const lab of FIXTURES) {
    for (const node of lab.nodes) {
      it(`${lab.instance}/${node.name} matches its golden files (empty when no OSPF)`, () => {
        const confs = renderFrrDaemonConfs(lab, node, goldenPaths(lab, node));
        if (!node.ospf) {
          expect(confs).toEqual({ zebra: '', ospfd: '', bfdd: '' });
          return;
        }
        expect(confs.bfdd, 'no BFD in the fixtures').toBe('');
        expectGolden(`${lab.instance}/${node.name}/zebra.conf`, confs.zebra);
        expectGolden(`${lab.instance}/${node.name}/ospfd.conf`, confs.ospfd);
      });
    }
  }

  for (const [label, lab] of COMMAND_CASES()) {
    for (const node of lab.nodes.filter((n) => n.ospf)) {
      it(`${label}/${node.name}: each line of the integrated file is in the file of the daemon that owns it`, () => {
        const paths = goldenPaths(lab, node);
        const confs = renderFrrDaemonConfs(lab, node, paths);
        const owned = linesByDaemon(renderFrrConf(lab, node, paths));
        // ospfd: interface names, their `ip ospf` lines (BFD's included) and `router ospf`;
        // zebra: interface names and the route filter; bfdd: its debug line and profile.
        // Each in the integrated order.
        for (const daemon of ['zebra', 'ospfd', 'bfdd'] as const) expect(commandLines(confs[daemon]), daemon).toEqual(owned[daemon]);
        expect(confs.bfdd === '', 'bfdd.conf is empty exactly when the lab runs no BFD').toBe(lab.ospf.bfd === undefined);
        for (const text of [confs.zebra, confs.ospfd, ...(confs.bfdd ? [confs.bfdd] : [])]) {
          expect(text).toContain(`hostname ${node.name}\nlog file ${paths.log}/frr.log\nlog timestamp precision 3\n`);
          expect(text.endsWith('end\n')).toBe(true);
        }
      });
    }
  }

  it('keeps the route filter in zebra only, where it takes effect (seed 001)', () => {
    const lab = ospfEcmpResolved;
    const lb1 = renderFrrDaemonConfs(lab, nodeOf(lab, 'lb1'), goldenPaths(lab, nodeOf(lab, 'lb1')));
    expect(lb1.zebra).toMatch(/^route-map LVSLAB-NO-OSPF deny 10\nexit\nip protocol ospf route-map LVSLAB-NO-OSPF$/m);
    expect(lb1.ospfd).not.toMatch(/route-map|ip protocol/);
    expect(lb1.zebra).not.toMatch(/ospf (network|hello|cost|priority)|^router ospf/m);
    const router = renderFrrDaemonConfs(lab, nodeOf(lab, 'router'), goldenPaths(lab, nodeOf(lab, 'router')));
    expect(router.zebra).not.toMatch(/route-map/);
  });
});

describe('per-daemon configs pass zebra -C, ospfd -C and bfdd -C (FRR 8.4)', () => {
  for (const [label, lab] of COMMAND_CASES()) {
    for (const node of lab.nodes.filter((n) => n.ospf)) {
      it(`${label}/${node.name}`, async () => {
        const paths = daemonPaths(`daemons-${label}`, lab, node);
        const confs = renderFrrDaemonConfs(lab, node, paths);
        for (const daemon of (['zebra', 'ospfd', 'bfdd'] as const).filter((d) => confs[d] !== '')) {
          const r = await daemonDryrun(daemon, confs[daemon], `${label}-${node.name}-${daemon}.conf`);
          expect(r.complaints, daemon).toEqual([]);
          expect(r.code, daemon).toBe(0);
        }
        // The log the daemons share (what experiments parse) got no complaint either.
        const log = join(paths.log, 'frr.log');
        const logged = existsSync(log) ? readFileSync(log, 'utf8') : '';
        expect(logged).not.toMatch(/No such command|Unknown command|can't open/);
      });
    }
  }

  // The dry run must be able to say no, or the checks above prove nothing.
  it('reports a line the daemon does not know, a bad value and a missing file', async () => {
    const lab = ospfEcmpResolved;
    const node = nodeOf(lab, 'lb1');
    const paths = daemonPaths('broken', lab, node);
    const confs = renderFrrDaemonConfs(lab, node, paths);

    // The integrated file (what the daemons used to get): each daemon trips on the other's lines.
    const integrated = renderFrrConf(lab, node, paths);
    const zebraOnIntegrated = await daemonDryrun('zebra', integrated, 'integrated-zebra.conf');
    expect(zebraOnIntegrated.complaints.join('\n')).toMatch(/No such command on config line \d+:\s+ip ospf hello-interval 1/);
    expect(zebraOnIntegrated.complaints.join('\n')).toMatch(/No such command on config line \d+: router ospf/);
    const ospfdOnIntegrated = await daemonDryrun('ospfd', integrated, 'integrated-ospfd.conf');
    expect(ospfdOnIntegrated.complaints.join('\n')).toMatch(/No such command on config line \d+: ip protocol ospf route-map/);

    const misspelled = await daemonDryrun('ospfd', confs.ospfd.replace(' maximum-paths ', ' maximum-pathz '), 'bad-ospfd-1.conf');
    expect(misspelled.complaints.join('\n')).toMatch(/No such command.*maximum-pathz/);
    const outOfRange = await daemonDryrun('ospfd', confs.ospfd.replace(' ip ospf cost 1', ' ip ospf cost 0'), 'bad-ospfd-2.conf');
    expect(outOfRange.complaints.join('\n')).toMatch(/No such command.*ip ospf cost 0/);
    const badZebra = await daemonDryrun('zebra', confs.zebra.replace('ip protocol ospf', 'ip protocol ospfx'), 'bad-zebra.conf');
    expect(badZebra.complaints.join('\n')).toMatch(/No such command.*ip protocol ospfx/);
    // Exit code 0 all the same: that is why the checks above read the output.
    expect([misspelled.code, outOfRange.code, badZebra.code]).toEqual([0, 0, 0]);

    // bfdd's profile and ospfd's BFD lines are checked as strictly.
    const bfd = renderFrrDaemonConfs(bfdLab(), node, daemonPaths('broken-bfd', bfdLab(), node));
    const badMultiplier = await daemonDryrun('bfdd', bfd.bfdd.replace('  detect-multiplier 5', '  detect-multiplier 1'), 'bad-bfdd.conf');
    expect(badMultiplier.complaints.join('\n')).toMatch(/No such command.*detect-multiplier 1/);
    // (not 'profil': FRR takes any unambiguous prefix of a keyword)
    const badProfile = await daemonDryrun('ospfd', bfd.ospfd.replace(' ip ospf bfd profile ', ' ip ospf bfd profiles '), 'bad-ospfd-bfd.conf');
    expect(badProfile.complaints.join('\n')).toMatch(/No such command.*ip ospf bfd profiles /);

    const missing = await dryrunFile('zebra', join(tmp, 'no-such.conf'));
    expect(missing.complaints.join('\n')).toMatch(/can't open configuration file/);
    expect(missing.code).toBe(0);
  });
});
