// `lvslab export --format containerlab`: every catalogue lab exports to a topology that
// containerlab's own published JSON Schema accepts, and whose structure matches the lab:
// every segment membership and link end is an endpoint, interface names are the
// containers' (eth0 is containerlab's), and the configs and exec lines use the same names.
// containerlab itself cannot run here; its schema is the authority we check against.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ValidateFunction } from 'ajv';
import { loadClabValidator } from '../support/clab-schema.js';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listCatalogue } from '../../src/lab/catalogue.js';
import { loadLabFile } from '../../src/model/load.js';
import type { Dataplane, ResolvedLab } from '../../src/model/types.js';
import { renderContainerlabExport, type ContainerlabExport } from '../../src/export/containerlab.js';
import { BRIDGE_MODES, FABRIC_NODE, type BridgeMode } from '../../src/export/clab-names.js';
import { CONTAINER_BASE, IMAGE_LVSLAB_DIR, nodeImage } from '../../src/images/node-image.js';
import { readLvslabProgramFiles } from '../../src/export/lvslab-programs.js';
import { containerInterfaceName } from '../../src/export/interface-names.js';
import { LvslabError } from '../../src/util/errors.js';

interface ClabEndpoint {
  node: string;
  interface: string;
  mac?: string;
}
interface ClabTopology {
  name: string;
  topology: {
    nodes: Record<string, { kind: string; image?: string; binds?: string[]; exec?: string[]; sysctls?: Record<string, string>; 'network-mode'?: string }>;
    links?: Array<{ type: string; endpoints: ClabEndpoint[] }>;
  };
}

/** containerlab parses with a YAML 1.1 parser: read it the same way. */
function parseTopology(exp: ContainerlabExport): ClabTopology {
  const file = exp.files.find((f) => f.path === exp.topologyFile)!;
  return parse(file.content, { version: '1.1' }) as ClabTopology;
}

function fileOf(exp: ContainerlabExport, path: string): string | undefined {
  return exp.files.find((f) => f.path === path)?.content;
}

let validate: ValidateFunction;
let catalogue: ResolvedLab[];

beforeAll(async () => {
  validate = loadClabValidator();
  catalogue = await Promise.all((await listCatalogue()).map((entry) => loadLabFile(entry.file)));
  expect(catalogue.map((l) => l.name)).toEqual(expect.arrayContaining(['ospf-ecmp', 'lvs-dr', 'ospf-ecmp-p2p']));
});

const VARIANTS: Array<{ dataplane: Dataplane; bridges: BridgeMode }> = (['ipvs', 'nftables'] as const).flatMap((dataplane) =>
  BRIDGE_MODES.map((bridges) => ({ dataplane, bridges })),
);

describe('the schema check itself', () => {
  it('rejects what containerlab would reject (so the checks below can fail)', () => {
    const base = { name: 'x', topology: { nodes: { a: { kind: 'linux', image: 'i' } } } };
    expect(validate(base)).toBe(true);
    expect(validate({ ...base, topology: { nodes: { a: { kind: 'linux', bogus: 1 } } } })).toBe(false);
    expect(validate({ ...base, topology: { ...base.topology, links: [{ type: 'veth', endpoints: [{ node: 'a', interface: 'eth1', color: 'red' }, { node: 'a', interface: 'eth2' }] }] } })).toBe(false);
    expect(validate({ ...base, topology: { ...base.topology, links: [{ type: 'veth', endpoints: [{ node: 'a', interface: 'eth1', mac: 'nope' }, { node: 'a', interface: 'eth2' }] }] } })).toBe(false);
    // the rewritten prefixItems: a short-form endpoint must be node:interface
    expect(validate({ ...base, topology: { ...base.topology, links: [{ endpoints: ['a:eth1', 'a:eth2'] }] } })).toBe(true);
    expect(validate({ ...base, topology: { ...base.topology, links: [{ endpoints: ['a-eth1', 'a:eth2'] }] } })).toBe(false);
  });
});

describe('every catalogue lab exports to a valid containerlab topology', () => {
  for (const variant of VARIANTS) {
    it(`${variant.dataplane} dataplane, ${variant.bridges} bridges`, () => {
      for (const lab of catalogue) {
        const exp = renderContainerlabExport(lab, variant);
        const topo = parseTopology(exp);
        const ok = validate(topo);
        expect(ok, `${lab.name}: ${JSON.stringify(validate.errors?.slice(0, 5), null, 1)}`).toBe(true);
        expect(topo.name).toBe(lab.instance);
        checkStructure(lab, exp, topo, variant);
      }
    });
  }
});

/** The structural checks, for one lab and one variant. */
function checkStructure(lab: ResolvedLab, exp: ContainerlabExport, topo: ClabTopology, variant: { dataplane: Dataplane; bridges: BridgeMode }): void {
  const links = topo.topology.links ?? [];
  const endpointPairs = links.map((l) => {
    expect(l.type).toBe('veth');
    expect(l.endpoints).toHaveLength(2);
    return l.endpoints;
  });
  const containerEndpoints = endpointPairs.flat().filter((e) => lab.nodes.some((n) => n.name === e.node));

  // Lab nodes: linux containers of the one image, their directory bind-mounted.
  for (const node of lab.nodes) {
    const n = topo.topology.nodes[node.name]!;
    expect(n, node.name).toBeDefined();
    expect(n.kind).toBe('linux');
    expect(n.image).toBe(nodeImage());
    // its own directory; these variants pass no lvslab programs, so nothing else is mounted
    expect(n.binds).toEqual([`./${node.name}:${CONTAINER_BASE}`]);

    // Each lab interface is exactly one endpoint, under the container's name, with the lab's MAC.
    const mine = containerEndpoints.filter((e) => e.node === node.name);
    expect(mine.map((e) => e.interface).sort()).toEqual(node.interfaces.map((i) => containerInterfaceName(i.name)).sort());
    for (const iface of node.interfaces) {
      const ep = mine.find((e) => e.interface === containerInterfaceName(iface.name))!;
      expect(ep.mac).toBe(iface.mac);
    }
    expect(mine.some((e) => e.interface === 'eth0')).toBe(false);
  }

  // Segments: every member is an endpoint paired with that segment's bridge node.
  const bridgeNodes = Object.entries(topo.topology.nodes).filter(([, n]) => n.kind === 'bridge');
  expect(bridgeNodes).toHaveLength(lab.segments.length);
  for (const seg of lab.segments) {
    const exported = exp.bridges.find((b) => b.segment === seg.name)!;
    expect(topo.topology.nodes[exported.clabNode]?.kind).toBe('bridge');
    for (const m of seg.members) {
      const pair = endpointPairs.find(([a]) => a!.node === m.node && a!.interface === containerInterfaceName(m.iface));
      expect(pair, `${seg.name}: ${m.node} ${m.iface}`).toBeDefined();
      expect(pair![1]!.node).toBe(exported.clabNode);
      expect(pair![1]!.interface.length).toBeLessThanOrEqual(15);
    }
    if (variant.bridges === 'fabric') {
      expect(exported.clabNode).toBe(`${seg.name}|${FABRIC_NODE}`);
      expect(topo.topology.nodes[exported.clabNode]!['network-mode']).toBe(`container:${FABRIC_NODE}`);
      expect(exp.hostSetup).toEqual([]);
    } else {
      expect(exported.bridge.length).toBeLessThanOrEqual(15);
      expect(exp.hostSetup).toContain(`ip link set dev ${exported.bridge} up`);
      expect(fileOf(exp, exp.topologyFile)).toContain(`ip link add ${exported.bridge} type bridge`);
      expect(fileOf(exp, 'README.md')).toContain(`ip link add ${exported.bridge} type bridge`);
    }
  }
  if (variant.bridges === 'fabric' && lab.segments.length > 0) expect(topo.topology.nodes[FABRIC_NODE]?.kind).toBe('linux');
  // Bridge-side port names are unique (they share one namespace).
  const ports = exp.bridges.flatMap((b) => b.ports.map((p) => p.port));
  expect(new Set(ports).size).toBe(ports.length);

  // Point-to-point links: one veth between the two ends.
  for (const link of lab.links) {
    const want = link.ends.map((e) => `${e.node}:${containerInterfaceName(e.iface)}`).sort();
    expect(endpointPairs.some((pair) => pair.map((e) => `${e.node}:${e.interface}`).sort().join() === want.join()), link.name).toBe(true);
  }
  expect(links).toHaveLength(lab.links.length + lab.segments.reduce((n, s) => n + s.members.length, 0));

  for (const node of lab.nodes) checkNodeNames(lab, exp, topo, node.name, variant.dataplane);
}

/** Configs and exec lines of one node name only the interfaces its container has. */
function checkNodeNames(lab: ResolvedLab, exp: ContainerlabExport, topo: ClabTopology, nodeName: string, dataplane: Dataplane): void {
  const node = lab.nodes.find((n) => n.name === nodeName)!;
  const containerIfaces = new Set(node.interfaces.map((i) => containerInterfaceName(i.name)));
  const known = new Set([...containerIfaces, 'lo']);
  const exec = topo.topology.nodes[nodeName]!.exec ?? [];

  // FRR: every interface block names a container interface, and every OSPF interface has one.
  for (const file of ['frr.conf', 'zebra.conf', 'ospfd.conf']) {
    const text = fileOf(exp, `${nodeName}/conf/${file}`);
    if (!node.ospf) {
      expect(text, `${nodeName} runs no OSPF`).toBeUndefined();
      continue;
    }
    const blocks = [...text!.matchAll(/^interface (\S+)$/gm)].map((m) => m[1]!);
    expect(blocks.length, `${nodeName}/${file}`).toBeGreaterThan(0);
    for (const b of blocks) expect(containerIfaces.has(b), `${nodeName}/${file}: interface ${b}`).toBe(true);
    expect(blocks.sort()).toEqual(node.interfaces.filter((i) => i.ospf).map((i) => containerInterfaceName(i.name)).sort());
    expect(text).toContain(`log file ${CONTAINER_BASE}/log/frr.log`);
  }

  // ip commands and sysctl keys.
  for (const line of exec) {
    for (const m of line.matchAll(/\bdev (\S+)/g)) expect(known.has(m[1]!), `${nodeName}: ${line}`).toBe(true);
    const key = /^sysctl -q -w net\.ipv4\.conf\.([^.]+)\./.exec(line)?.[1];
    if (key && key !== 'all' && key !== 'default') expect(known.has(key), `${nodeName}: ${line}`).toBe(true);
  }
  for (const iface of node.interfaces) {
    expect(exec).toContain(`ip addr add ${iface.cidr} dev ${containerInterfaceName(iface.name)}`);
  }
  // Node-wide sysctls only in `sysctls:` (interfaces do not exist when Docker applies them).
  for (const key of Object.keys(topo.topology.nodes[nodeName]!.sysctls ?? {})) {
    expect(key).toMatch(/^net\.ipv4\.(ip_forward|fib_multipath_hash_policy|conf\.(all|default)\.)/);
  }

  // Daemons.
  const directs = node.role === 'director' && node.directs.length > 0;
  if (directs && dataplane === 'ipvs') {
    expect(fileOf(exp, `${nodeName}/conf/keepalived.conf`)).toContain('virtual_server');
    // keepalived runs line-buffered (stdbuf) in the foreground, detached by setsid
    expect(exec.some((l) => /^setsid -f sh -c 'exec (stdbuf -oL -eL )?keepalived -n /.test(l))).toBe(true);
    expect(fileOf(exp, `${nodeName}/conf/healthd.json`)).toBeUndefined();
  }
  if (directs && dataplane === 'nftables') {
    // keepalived runs on the fallback only to hold a VRRP VIP, without virtual servers.
    const keepalived = fileOf(exp, `${nodeName}/conf/keepalived.conf`);
    if (lab.services.some((s) => s.announce === 'vrrp' && node.directs.includes(s.name))) {
      expect(keepalived).toContain('vrrp_instance');
      expect(keepalived).not.toContain('virtual_server');
      expect(exec.some((l) => /^setsid -f sh -c 'exec (stdbuf -oL -eL )?keepalived -n /.test(l))).toBe(true);
    } else expect(keepalived).toBeUndefined();
    expect(exec.some((l) => l.includes(`exec node ${IMAGE_LVSLAB_DIR}/dist/dataplane/healthd.js --config ${CONTAINER_BASE}/conf/healthd.json`))).toBe(true);
    const config = JSON.parse(fileOf(exp, `${nodeName}/conf/healthd.json`)!) as { director: { interfaces: Array<{ name: string }> }; statePath: string };
    expect(config.director.interfaces.map((i) => i.name).sort()).toEqual([...containerIfaces].sort());
    expect(config.statePath.startsWith(`${CONTAINER_BASE}/run/`)).toBe(true);
  }
  if (node.role === 'realserver' && node.serves.length > 0) {
    expect(exec).toContain(`nginx -e ${CONTAINER_BASE}/log/nginx-error.log -c ${CONTAINER_BASE}/conf/nginx.conf`);
  }
  if (node.ospf) {
    // Started directly: a container has its own /run/frr, no wrapper needed.
    const daemons = lab.ospf.bfd ? ['zebra', 'bfdd', 'ospfd'] : ['zebra', 'ospfd'];
    expect(exec.filter((l) => l.startsWith('/usr/lib/frr/')).map((l) => l.split(' ')[0])).toEqual(daemons.map((d) => `/usr/lib/frr/${d}`));
  }
  // Docker's default route is gone before any lab route is added.
  const flush = exec.indexOf('ip -4 route flush exact 0.0.0.0/0');
  expect(flush).toBeGreaterThanOrEqual(0);
  for (const [i, l] of exec.entries()) if (l.startsWith('ip route add')) expect(i).toBeGreaterThan(flush);
}

describe('nothing in an export depends on this host', () => {
  it('paths are the container\'s, except the relative bind sources', () => {
    // Absolute paths allowed inside containers: lvslab's own directory, FRR's binaries (vtysh: keepalived's quorum scripts) and
    // directories, the image's copy of lvslab, and /dev/null.
    const allowed = [`${CONTAINER_BASE}/`, `${CONTAINER_BASE}:`, '/usr/lib/frr/', '/usr/bin/vtysh', '/run/frr', '/var/tmp/frr', '/opt/lvslab/', '/dev/null'];
    for (const lab of catalogue) {
      for (const variant of VARIANTS) {
        const exp = renderContainerlabExport(lab, variant);
        for (const f of exp.files) {
          expect(f.path.startsWith('/'), f.path).toBe(false);
          expect(f.content).not.toContain('/run/lvslab');
          expect(f.content).not.toContain(process.cwd());
          expect(f.content).not.toContain(lab.sourceFile);
          if (f.path.endsWith('.md')) continue;
          // An absolute path: a '/' starting a word (or a shell redirection's target).
          for (const m of f.content.matchAll(/(?<=^|[\s'"=]|>>)\/[\w.-][\w./-]*/gm)) {
            const path = m[0];
            expect(allowed.some((a) => path.startsWith(a) || path === a.replace(/[/:]$/, '')), `${lab.name} ${f.path}: ${path}`).toBe(true);
          }
        }
        for (const node of Object.values(parseTopology(exp).topology.nodes)) {
          for (const bind of node.binds ?? []) expect(bind).toMatch(/^\.\/[a-z][a-z0-9-]*:\/lvslab$/);
        }
      }
    }
  });

  it('the topology file has nothing containerlab would expand ($ variables, Go template braces)', () => {
    for (const lab of catalogue) {
      for (const variant of VARIANTS) {
        const exp = renderContainerlabExport(lab, variant);
        const text = fileOf(exp, exp.topologyFile)!;
        expect(text).not.toContain('$');
        expect(text).not.toContain('{{');
        expect(text).not.toContain('__clab');
      }
    }
  });

  it('is deterministic', () => {
    for (const lab of catalogue) {
      expect(renderContainerlabExport(lab, VARIANTS[0]!)).toEqual(renderContainerlabExport(lab, VARIANTS[0]!));
    }
  });
});

describe('interface renaming reaches every config', () => {
  it('a lab with named and eth-numbered interfaces keeps both consistent', async () => {
    const lab = await loadLabFile(writeLab(`
name: renamed
ospf: { hello: 1, dead: 4 }
segments: { lan: { subnet: 10.9.1.0/24 } }
links: { up: { subnet: 10.9.2.0/30 } }
nodes:
  r:
    role: router
    interfaces:
      - { name: uplink, link: up, address: 10.9.2.1 }
      - { segment: lan, address: 10.9.1.1 }
  d:
    role: director
    interfaces:
      - { link: up, address: 10.9.2.2 }
      - { name: eth5, segment: lan, address: 10.9.1.2, ospf: false }
  s:
    role: realserver
    interfaces: [ { segment: lan, address: 10.9.1.10 } ]
services:
  web:
    vip: 10.9.9.9
    port: 80
    announce: ospf
    real_servers: [ { node: s } ]
`));
    const exp = renderContainerlabExport(lab, { dataplane: 'ipvs', bridges: 'host' });
    const topo = parseTopology(exp);
    expect(validate(topo), JSON.stringify(validate.errors)).toBe(true);
    const endpoints = (topo.topology.links ?? []).flatMap((l) => l.endpoints.map((e) => `${e.node}:${e.interface}`));
    // r: uplink kept, eth1 (lab) -> eth2; d: eth0 -> eth1, eth5 -> eth6
    expect(endpoints).toEqual(expect.arrayContaining(['r:uplink', 'r:eth2', 'd:eth1', 'd:eth6', 's:eth1']));
    expect(fileOf(exp, 'r/conf/ospfd.conf')).toMatch(/^interface uplink$/m);
    expect(fileOf(exp, 'r/conf/ospfd.conf')).toMatch(/^interface eth2$/m);
    expect(fileOf(exp, 'd/conf/ospfd.conf')).toMatch(/^interface eth1$/m);
    expect(fileOf(exp, 'd/conf/ospfd.conf')).not.toMatch(/^interface eth6$/m); // ospf: false
    expect(topo.topology.nodes.d!.exec).toContain('ip addr add 10.9.1.2/24 dev eth6');
    expect(fileOf(exp, exp.topologyFile)).toContain('# link up (10.9.2.0/30): r uplink - d eth1 (lab eth0)');
    checkStructure(lab, exp, topo, { dataplane: 'ipvs', bridges: 'host' });
  });

  it('the VRRP interface in keepalived.conf is the container\'s', async () => {
    const lab = await loadLabFile(writeLab(`
name: vrrp-pair
segments: { lan: { subnet: 10.8.1.0/24 } }
nodes:
  d1: { role: director, interfaces: [ { segment: lan, address: 10.8.1.2 } ] }
  d2: { role: director, interfaces: [ { segment: lan, address: 10.8.1.3 } ] }
  s: { role: realserver, interfaces: [ { segment: lan, address: 10.8.1.10 } ] }
  c: { role: client, interfaces: [ { segment: lan, address: 10.8.1.20 } ] }
services:
  web:
    vip: 10.8.1.100
    port: 80
    announce: vrrp
    vrrp: { virtual_router_id: 7 }
    real_servers: [ { node: s } ]
`));
    const exp = renderContainerlabExport(lab, { dataplane: 'ipvs', bridges: 'host' });
    const conf = fileOf(exp, 'd1/conf/keepalived.conf')!;
    expect(conf).toMatch(/^\s+interface eth1$/m);
    expect(conf).toContain('10.8.1.100/32 dev eth1');
    expect(conf).not.toMatch(/\beth0\b/);
  });
});

describe('refusals', () => {
  it('a layout the nftables fallback cannot forward is refused for --dataplane nftables only', () => {
    // DR rewrites only the MAC: a real server on no segment of its director cannot be reached.
    const lab = structuredClone(catalogue.find((l) => l.name === 'ospf-ecmp')!);
    lab.services[0]!.realServers[0]!.address = '10.99.0.1';
    expect(() => renderContainerlabExport(lab, { dataplane: 'nftables', bridges: 'host' })).toThrow(/shares no segment/);
    expect(() => renderContainerlabExport(lab, { dataplane: 'nftables', bridges: 'host' })).toThrow(LvslabError);
    expect(() => renderContainerlabExport(lab, { dataplane: 'ipvs', bridges: 'host' })).not.toThrow();
  });

  it('an interface name too long after renaming is refused', () => {
    const lab = structuredClone(catalogue.find((l) => l.name === 'ospf-ecmp')!);
    const rename = (name: string): void => {
      const node = lab.nodes.find((n) => n.name === 'client1')!;
      const old = node.interfaces[0]!.name;
      node.interfaces[0]!.name = name;
      for (const seg of lab.segments) for (const m of seg.members) if (m.node === 'client1' && m.iface === old) m.iface = name;
    };
    rename('eth999999999999'); // 15 characters; eth1000000000000 would be 16
    expect(() => renderContainerlabExport(lab, { dataplane: 'ipvs', bridges: 'host' })).toThrow(/too long/);
  });

  it('a lab subnet inside containerlab\'s management network is refused', () => {
    const lab = structuredClone(catalogue.find((l) => l.name === 'lvs-dr')!);
    lab.segments[0]!.subnet = '172.20.0.0/16';
    expect(() => renderContainerlabExport(lab, { dataplane: 'ipvs', bridges: 'host' })).toThrow(/management network 172\.20\.20\.0\/24/);
  });

  it('a topology name containerlab would refuse is refused', () => {
    const lab = { ...catalogue[0]!, instance: '-bad' };
    expect(() => renderContainerlabExport(lab, { dataplane: 'ipvs', bridges: 'host' })).toThrow(LvslabError);
  });
});

describe('FRR accepts the exported configs', () => {
  it('vtysh --dryrun passes every exported frr.conf', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lvslab-export-frr-'));
    try {
      let checked = 0;
      for (const lab of catalogue) {
        const exp = renderContainerlabExport(lab, VARIANTS[0]!);
        for (const f of exp.files.filter((x) => x.path.endsWith('/frr.conf'))) {
          const file = join(dir, f.path.replaceAll('/', '-'));
          writeFileSync(file, f.content);
          const out = execFileSync('vtysh', ['--dryrun', '-f', file], { encoding: 'utf8', timeout: 20_000 });
          expect(out.trim(), `${lab.name} ${f.path}`).toBe('');
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// Lab files written for a test live in one temp dir, removed at the end.
const labDir = mkdtempSync(join(tmpdir(), 'lvslab-export-labs-'));
let labCount = 0;
function writeLab(text: string): string {
  const file = join(labDir, `lab-${labCount++}.yaml`);
  writeFileSync(file, text);
  return file;
}
afterAll(() => rmSync(labDir, { recursive: true, force: true }));

describe('lvslab programs in an export', () => {
  it('a copy travels with the export and is mounted read-only; a host directory is mounted as given', async () => {
    const lab = catalogue.find((l) => l.name === 'lvs-dr')!;
    const files = [{ path: 'lvslab/package.json', content: '{"type":"module"}\n' }, { path: 'lvslab/dist/dataplane/healthd.js', content: '// x\n' }];
    const copied = renderContainerlabExport(lab, { dataplane: 'nftables', bridges: 'host', lvslabPrograms: { files } });
    expect(copied.files.map((f) => f.path)).toEqual(expect.arrayContaining(files.map((f) => f.path)));
    for (const node of Object.values(parseTopology(copied).topology.nodes).filter((n) => n.kind === 'linux')) {
      expect(node.binds).toContain(`./lvslab:${IMAGE_LVSLAB_DIR}:ro`);
    }
    const mounted = renderContainerlabExport(lab, { dataplane: 'nftables', bridges: 'host', lvslabPrograms: { dir: '/usr/lib/lvslab' } });
    expect(mounted.files.some((f) => f.path.startsWith('lvslab/'))).toBe(false);
    for (const node of Object.values(parseTopology(mounted).topology.nodes).filter((n) => n.kind === 'linux')) {
      expect(node.binds).toContain(`/usr/lib/lvslab:${IMAGE_LVSLAB_DIR}:ro`);
    }
  });

  it('the copy is the compiled health daemon with its package.json, and nothing from node_modules', async () => {
    const files = await readLvslabProgramFiles();
    const paths = files.map((f) => f.path);
    expect(paths).toContain('lvslab/package.json');
    expect(paths.every((p) => p === 'lvslab/package.json' || /^lvslab\/(dist|src)\/.+\.js$/.test(p))).toBe(true);
    expect(paths.some((p) => p.includes('node_modules'))).toBe(false);
  });
});

