// The GNS3 stand-in's docker nodes as real containers (server.mjs with `containers: true`):
// the Docker engine, a network namespace of the stand-in's own and the kernel's bridges,
// veths, nftables and tcpdump. server.mjs decides what the API answers; this module only
// makes the host do what a GNS3 2.2 compute does behind those answers. It shares no code
// with src/ (see server.mjs's header for what is mirrored and from where).
//
// Layout, all inside ONE namespace `gns3sb-<6 hex>` (made on first use, deleted by close()):
//   n<i>e<a>     the outer end of docker node i's adapter a (inner end: eth<a> in the container)
//   s<j>         a Linux bridge per ethernet_switch j
//   s<j>p<port>  a switch port: one end of a veth pair, enslaved to s<j>
//   k<l>         a Linux bridge per link l, joining the link's two link-side ports:
//                a docker end's n<i>e<a> (while the node runs), or k<l>s<end>, the other end
//                of the switch port's veth pair
// No addresses anywhere (IPv6 is off in the namespace, lo stays down), multicast snooping off
// on every bridge, STP off. Nothing is created in the host's namespace: veths are made in the
// stand-in's namespace with their peer placed straight into the container's.
// Filters and suspend: one nftables `bridge` table (gns3sb) in the namespace, rewritten as a
// whole on every change, matching the link-side ports by name (so rules survive a node's
// stop/start). They follow the filters the link's compute holds, which server.mjs gives as
// each version's compute keeps them (a suspend is frequency_drop -1; on 3.0.6 an empty list
// leaves the previous filters in place), never the controller's link JSON. delay/corrupt need sch_netem: applied with tc on the link-side ports when the
// kernel has it, otherwise recorded in `unappliedFilters`. bpf is stored, never applied.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, openSync, readSync, closeSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const TABLE = 'gns3sb';

/** Runs argv (no shell); resolves with code/stdout/stderr, never rejects for a non-zero exit. */
function exec(argv, { input } = {}) {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    child.on('error', (e) => resolve({ code: 127, stdout, stderr: String(e) }));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

async function must(argv, opts) {
  const r = await exec(argv, opts);
  if (r.code !== 0) throw new Error(`${argv.join(' ')}: exit ${r.code}: ${r.stderr.trim() || r.stdout.trim()}${opts?.input ? `\n--- input ---\n${opts.input}` : ''}`);
  return r;
}

/** A statically linked executable (no PT_INTERP program header), so it runs in any image. */
function isStaticElf(path) {
  let fd;
  try {
    fd = openSync(path, 'r');
    const h = Buffer.alloc(64);
    readSync(fd, h, 0, 64, 0);
    if (h.readUInt32BE(0) !== 0x7f454c46 || h[4] !== 2 || h[5] !== 1) return false; // ELF64, little endian
    const phoff = Number(h.readBigUInt64LE(0x20));
    const phentsize = h.readUInt16LE(0x36);
    const phnum = h.readUInt16LE(0x38);
    const ph = Buffer.alloc(phentsize * phnum);
    readSync(fd, ph, 0, ph.length, phoff);
    for (let i = 0; i < phnum; i++) if (ph.readUInt32LE(i * phentsize) === 3) return false;
    return true;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** shlex.split for what start commands hold: words, '…', "…" and backslash escapes. */
export function shellWords(s) {
  const words = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) throw new Error('No closing quotation');
      cur += s.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < s.length && s[j] !== '"'; j++) {
        if (s[j] === '\\' && j + 1 < s.length && '"\\$`'.includes(s[j + 1])) j++;
        cur += s[j];
      }
      if (j >= s.length) throw new Error('No closing quotation');
      i = j;
      inWord = true;
    } else if (c === '\\') {
      if (i + 1 >= s.length) throw new Error('No escaped character');
      cur += s[++i];
      inWord = true;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/** An error the API passes on as a 409 with this message. */
export class DockerError extends Error {}

function dockerMessage(e) {
  const detail = e?.json?.message ?? (Buffer.isBuffer(e?.json) ? e.json.toString() : undefined) ?? e?.reason ?? e?.message ?? String(e);
  return `Docker has returned an error: ${e?.statusCode ?? 500} ${String(detail).trim()}`;
}

/** GNS3's sample /etc/network/interfaces for a node without one (the server writes it at create). */
function sampleInterfaces(adapters, hostname) {
  let s = '#\n# This is a sample network config, please uncomment lines to configure the network\n#\n\n# Uncomment this line to load custom interface files\n# source /etc/network/interfaces.d/*\n';
  for (let a = 0; a < adapters; a++) {
    s += `\n# Static config for eth${a}\n#auto eth${a}\n#iface eth${a} inet static\n#\taddress 192.168.${a}.2\n#\tnetmask 255.255.255.0\n#\tgateway 192.168.${a}.1\n#\tup echo nameserver 192.168.${a}.1 > /etc/resolv.conf\n`;
    s += `\n# DHCP config for eth${a}\n#auto eth${a}\n#iface eth${a} inet dhcp\n#\thostname ${hostname}\n`;
  }
  return s;
}

/** /etc/network, the image's volumes and extra_volumes, the most general of nested ones kept. */
function volumeList(imageVolumes, extra) {
  for (const v of extra) {
    if (!v.trim() || v[0] !== '/' || v.includes('..')) throw new DockerError(`Persistent volume '${v}' has invalid format. It must start with a '/' and not contain '..'.`);
  }
  const norm = (x) => (x.endsWith('/') ? x : `${x}/`).replace(/\/\/+/g, '/');
  const covers = (general, specific) => norm(specific).startsWith(norm(general));
  let out = [];
  for (const v of ['/etc/network', ...imageVolumes, ...extra]) {
    out = out.filter((x) => !covers(v, x));
    if (!out.some((x) => covers(x, v))) out.push(v);
  }
  return out;
}

/**
 * The engine side of the stand-in. `api` 'v2'|'v3' (3.0 passes Mounts, 2.2 Binds),
 * `resourcesDir` the directory mounted at /gns3 (made here, inside the stand-in's temp dir).
 */
export async function createContainerWiring({ api, resourcesDir }) {
  const { default: Docker } = await import('dockerode');
  const docker = new Docker();
  const ns = `gns3sb-${randomBytes(3).toString('hex')}`;
  let nsMade = false;
  let netem;
  let counter = 0;
  const nodes = new Map(); // node_id -> { idx, cid, adapters, macs, pid, running }
  const switches = new Map(); // node_id -> { idx }
  const links = new Map(); // link_id -> { idx, ends: [{ kind, node_id, adapter, port }], state, capture }
  const unappliedFilters = new Map();
  const tcpdumps = new Set();

  // /gns3 in every container: our own init.sh and a shell for it. A static busybox from the
  // host lets init.sh run in images without one; otherwise /gns3/bin/sh is the image's /bin/sh.
  mkdirSync(join(resourcesDir, 'bin'), { recursive: true });
  copyFileSync(join(HERE, 'init.sh'), join(resourcesDir, 'init.sh'));
  chmodSync(join(resourcesDir, 'init.sh'), 0o755);
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p) && isStaticElf(p));
  if (busybox) {
    copyFileSync(busybox, join(resourcesDir, 'bin/busybox'));
    chmodSync(join(resourcesDir, 'bin/busybox'), 0o755);
    symlinkSync('busybox', join(resourcesDir, 'bin/sh'));
  } else {
    symlinkSync('/bin/sh', join(resourcesDir, 'bin/sh'));
  }

  // Every change inside the namespace goes through one queue: ip, nft and tc calls from
  // concurrent API requests must not interleave.
  let tail = Promise.resolve();
  const serial = (fn) => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
  const ipBatch = (lines, { force = false } = {}) => (lines.length ? (force ? exec : must)(['ip', '-n', ns, ...(force ? ['-force'] : []), '-batch', '-'], { input: `${lines.join('\n')}\n` }) : undefined);

  let nsReady;
  const ensureNs = () =>
    (nsReady ??= makeNs().catch(async (e) => {
      if (nsMade) await exec(['ip', 'netns', 'del', ns]);
      nsMade = false;
      nsReady = undefined;
      throw e;
    }));
  async function makeNs() {
    await must(['ip', 'netns', 'add', ns]);
    nsMade = true;
    await must(['ip', 'netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
    // Does this kernel have sch_netem (delay, corrupt)?
    await must(['ip', '-n', ns, 'link', 'add', 'gns3sbprobe0', 'type', 'veth', 'peer', 'name', 'gns3sbprobe1']);
    netem = (await exec(['tc', '-n', ns, 'qdisc', 'add', 'dev', 'gns3sbprobe0', 'root', 'netem', 'delay', '1ms'])).code === 0;
    await must(['ip', '-n', ns, 'link', 'del', 'gns3sbprobe0']);
    await writeRules();
  }

  const nodePort = (n, a) => `n${n.idx}e${a}`;
  const linkBridge = (l) => `k${l.idx}`;
  const switchBridge = (s) => `s${s.idx}`;
  /** The port on link l's bridge for its end e. */
  const linkPort = (l, e, i) => (e.kind === 'docker' ? nodePort(nodes.get(e.node_id), e.adapter) : `k${l.idx}s${i}`);

  // ---- nftables and netem from each link's stored state ----

  function linkRules(l) {
    const ports = l.ends.map((e, i) => linkPort(l, e, i));
    const all = `iifname { ${ports.map((p) => `"${p}"`).join(', ')} }`;
    // The filters the link's compute holds (a suspend is frequency_drop -1 there). A refused
    // filter leaves ubridge's bridge passing nothing until the filters are reset.
    const { filters, refused } = l.state;
    if (refused) return [`${all} drop`];
    const rules = [];
    const loss = filters.packet_loss?.[0];
    if (loss >= 100) rules.push(`${all} drop`);
    else if (loss > 0) for (const p of ports) rules.push(`iifname "${p}" numgen random mod 100 < ${loss} drop`);
    const every = filters.frequency_drop?.[0];
    if (every === -1) rules.push(`${all} drop`);
    else if (every > 0) for (const p of ports) rules.push(`iifname "${p}" numgen inc mod ${every} == ${every - 1} drop`);
    return rules;
  }

  function writeRules() {
    const rules = [...links.values()].filter((l) => l.ends.length).flatMap(linkRules);
    const text = [`table bridge ${TABLE}`, `delete table bridge ${TABLE}`, `table bridge ${TABLE} {`, '  chain links {', '    type filter hook forward priority 0; policy accept;', ...rules.map((r) => `    ${r}`), '  }', '}', ''].join('\n');
    return must(['ip', 'netns', 'exec', ns, 'nft', '-f', '-'], { input: text });
  }

  /** delay/corrupt on the link-side ports that exist now (netem), and what cannot be applied. */
  async function applyNetem(l) {
    const { filters, refused } = l.state;
    const unapplied = Object.keys(filters).filter((k) => k === 'bpf' || (!netem && (k === 'delay' || k === 'corrupt')));
    if (unapplied.length) unappliedFilters.set(l.link_id, unapplied);
    else unappliedFilters.delete(l.link_id);
    if (!netem) return;
    const args = [];
    if (!refused) {
      if (filters.delay?.[0] > 0) args.push('delay', `${filters.delay[0]}ms`, ...(filters.delay[1] > 0 ? [`${filters.delay[1]}ms`] : []));
      if (filters.corrupt?.[0] > 0) args.push('corrupt', `${filters.corrupt[0]}%`);
    }
    for (const [i, e] of l.ends.entries()) {
      if (e.kind === 'docker' && !nodes.get(e.node_id)?.running) continue;
      const dev = linkPort(l, e, i);
      if (args.length) await must(['tc', '-n', ns, 'qdisc', 'replace', 'dev', dev, 'root', 'netem', ...args]);
      else await exec(['tc', '-n', ns, 'qdisc', 'del', 'dev', dev, 'root']);
    }
  }

  // ---- docker nodes ----

  /**
   * Creates the container as GNS3 2.2 does at node creation (state Created), and the node
   * directory with its /etc/network volume. Returns the container id.
   */
  async function createDockerNode(spec) {
    const { node_id, name, project_id, projectVariables, projectPath, image, adapters, startCommand, environment, extraHosts, extraVolumes, macs, nodeDir } = spec;
    let info;
    try {
      info = await docker.getImage(image).inspect();
    } catch (e) {
      if (e?.statusCode === 404) throw new DockerError(`Could not pull the '${image}' image`);
      throw new DockerError(dockerMessage(e));
    }
    const config = info.Config ?? {};
    const netDir = join(nodeDir, 'etc/network');
    for (const d of ['if-up.d', 'if-down.d', 'if-pre-up.d', 'if-post-down.d', 'interfaces.d']) mkdirSync(join(netDir, d), { recursive: true });
    writeFileSync(join(netDir, '.gns3_perms'), '', { flag: 'a' });
    if (!existsSync(join(netDir, 'interfaces'))) writeFileSync(join(netDir, 'interfaces'), sampleInterfaces(adapters, name));
    const volumes = volumeList(Object.keys(config.Volumes ?? {}), extraVolumes ?? []);
    const sources = volumes.map((v) => {
      const src = join(nodeDir, v.replace(/^\/+/, ''));
      mkdirSync(src, { recursive: true });
      return [src, `/gns3volumes${v}`];
    });

    const entrypoint = ['/gns3/init.sh', ...(config.Entrypoint ?? [])];
    let cmd = [];
    if (startCommand) {
      try {
        cmd = shellWords(startCommand);
      } catch (e) {
        throw new DockerError(`Invalid start command '${startCommand}': ${e.message}`);
      }
    }
    if (!cmd.length) cmd = config.Cmd ?? [];
    if (!cmd.length && entrypoint.length === 1) cmd = ['/bin/sh'];
    const env = ['container=docker', `GNS3_MAX_ETHERNET=eth${adapters - 1}`, `GNS3_VOLUMES=${volumes.join(':')}`];
    const params = {};
    if (config.User) {
      params.User = 'root';
      env.push(`GNS3_USER=${config.User}`);
    }
    const vars = projectVariables ?? [];
    const withVars = (s) => vars.reduce((acc, v) => acc.replaceAll(`\${${v.name}}`, v.value ?? ''), s);
    for (const v of vars) env.push(`${v.name}=${withVars(v.value ?? '')}`);
    for (const line of (environment ?? '').trim().split('\n')) {
      const e = line.trim();
      if (e.split('=')[0] === '' || e.startsWith('GNS3_')) continue;
      env.push(
        withVars(e)
          .replaceAll('%vm-name%', `"${name.replaceAll(',', ',,').replaceAll('"', '\\"')}"`)
          .replaceAll('%vm-id%', node_id)
          .replaceAll('%project-id%', project_id)
          .replaceAll('%project-path%', `"${projectPath.replaceAll(',', ',,').replaceAll('"', '\\"')}"`),
      );
    }
    const hosts = (extraHosts ?? '').split('\n').map((h) => h.trim()).filter(Boolean);
    if (hosts.length) {
      const pairs = hosts.map((h) => {
        const parts = h.split(':');
        if (parts.length !== 2) throw new DockerError(`Can't apply \`ExtraHosts\`, wrong format: ${extraHosts}`);
        return [parts[0].trim(), parts[1].trim()];
      });
      env.push(`GNS3_EXTRA_HOSTS=${pairs.filter(([h, ip]) => h && ip).map(([h, ip]) => `${ip}\t${h}`).join('\n')}`);
    }
    // GNS3 2.2 sends Privileged true and CapAdd ALL; runc on these machines cannot apply that
    // (see server.mjs's header), so the HostConfig is the findings' local change.
    const hostConfig = { CapAdd: ['ALL'], CapDrop: ['SYS_RESOURCE'], Privileged: false, SecurityOpt: ['seccomp=unconfined'], MaskedPaths: [], ReadonlyPaths: [], UsernsMode: 'host' };
    if (api === 'v3') hostConfig.Mounts = [{ Type: 'bind', Source: resourcesDir, Target: '/gns3', ReadOnly: true }, ...sources.map(([Source, Target]) => ({ Type: 'bind', Source, Target }))];
    else hostConfig.Binds = [`${resourcesDir}:/gns3:ro`, ...sources.map(([s, t]) => `${s}:${t}`)];
    let container;
    try {
      container = await docker.createContainer({ name: `GNS3.${name}.${project_id}`, Hostname: name, Image: image, NetworkDisabled: true, Tty: true, OpenStdin: true, StdinOnce: false, HostConfig: hostConfig, Volumes: {}, Env: env, Cmd: cmd, Entrypoint: entrypoint, ...params });
    } catch (e) {
      throw new DockerError(dockerMessage(e));
    }
    const old = nodes.get(node_id);
    nodes.set(node_id, { idx: old?.idx ?? ++counter, cid: container.id, adapters, macs, pid: 0, running: false });
    return container.id;
  }

  async function containerState(node_id) {
    const n = nodes.get(node_id);
    if (!n?.cid) throw new DockerError(`No container for node ${node_id}`);
    const s = (await docker.getContainer(n.cid).inspect()).State;
    return s.Paused ? 'paused' : s.Running ? 'running' : 'stopped';
  }

  /** docker start, then one veth per adapter: ethN inside with its MAC, up; the outer end on its link's bridge. */
  async function startDockerNode(node_id) {
    const n = nodes.get(node_id);
    const c = docker.getContainer(n.cid);
    const state = await containerState(node_id);
    if (state === 'paused') return unpauseDockerNode(node_id);
    if (state === 'running') return;
    try {
      await c.start();
    } catch (e) {
      throw new DockerError(dockerMessage(e));
    }
    const s = (await c.inspect()).State;
    if (!s.Running || !s.Pid) {
      const log = await c.logs({ stdout: true, stderr: true }).catch(() => Buffer.from(''));
      await stopDockerNode(node_id).catch(() => undefined);
      throw new DockerError(String(log));
    }
    n.pid = s.Pid;
    try {
      await ensureNs();
      await serial(() => plugAdapters(n, node_id));
    } catch (e) {
      // As the compute does when it cannot move the interfaces in: stop, and say why.
      const log = await c.logs({ stdout: true, stderr: true }).catch(() => Buffer.from(''));
      await stopDockerNode(node_id).catch(() => undefined);
      throw new DockerError(`${e.message}${String(log).trim() ? `\n${String(log).trim()}` : ''}`);
    }
  }

  /** ethN per adapter (MAC, up) in the container; the outer end up, on its link's bridge if linked. */
  async function plugAdapters(n, node_id) {
    const outer = Array.from({ length: n.adapters }, (_, a) => nodePort(n, a));
    // The previous run's veths go with the old container netns, asynchronously: clear any left.
    await ipBatch(outer.map((p) => `link del ${p}`), { force: true });
    const lines = [];
    for (let a = 0; a < n.adapters; a++) {
      lines.push(`link add ${outer[a]} type veth peer name eth${a} address ${n.macs[a]} netns ${n.pid}`);
      const l = [...links.values()].find((x) => x.ends.some((e) => e.kind === 'docker' && e.node_id === node_id && e.adapter === a));
      lines.push(`link set ${outer[a]}${l ? ` master ${linkBridge(l)}` : ''} up`);
    }
    await ipBatch(lines);
    if (n.adapters) await must(['nsenter', '-t', String(n.pid), '-n', 'ip', '-batch', '-'], { input: `${Array.from({ length: n.adapters }, (_, a) => `link set eth${a} up`).join('\n')}\n` });
    n.running = true;
    for (const l of links.values()) if (l.ends.some((e) => e.kind === 'docker' && e.node_id === node_id)) await applyNetem(l);
  }

  /** docker stop -t 5 (unpausing first); the veths vanish with the container's netns. */
  async function stopDockerNode(node_id) {
    const n = nodes.get(node_id);
    if (!n?.cid) return;
    const c = docker.getContainer(n.cid);
    let state;
    try {
      state = await containerState(node_id);
    } catch (e) {
      if (e?.statusCode === 404) return;
      throw new DockerError(dockerMessage(e));
    }
    if (state === 'paused') await c.unpause();
    try {
      await c.stop({ t: 5 });
    } catch (e) {
      if (e?.statusCode !== 304) throw new DockerError(dockerMessage(e));
    }
    n.running = false;
    n.pid = 0;
  }

  async function pauseDockerNode(node_id) {
    try {
      await docker.getContainer(nodes.get(node_id).cid).pause();
    } catch (e) {
      throw new DockerError(dockerMessage(e));
    }
  }

  async function unpauseDockerNode(node_id) {
    try {
      await docker.getContainer(nodes.get(node_id).cid).unpause();
    } catch (e) {
      throw new DockerError(dockerMessage(e));
    }
  }

  /** Stops (gracefully, as the server's close/delete do, unless `kill`) and removes the container. */
  async function removeDockerNode(node_id, { kill = false } = {}) {
    const n = nodes.get(node_id);
    if (!n?.cid) return;
    for (const t of [...tcpdumps]) if (t.node_id === node_id) await stopTcpdump(t);
    if (!kill) await stopDockerNode(node_id).catch(() => undefined);
    try {
      await docker.getContainer(n.cid).remove({ force: true, v: true });
    } catch (e) {
      if (e?.statusCode !== 404) throw new DockerError(dockerMessage(e));
    }
    n.running = false;
    n.cid = undefined;
  }

  /** Forgets a deleted node (its index is not reused). */
  function forgetNode(node_id) {
    nodes.delete(node_id);
  }

  // ---- switches and links ----

  async function addSwitch(node_id) {
    const s = switches.get(node_id) ?? { idx: ++counter };
    switches.set(node_id, s);
    await ensureNs();
    await serial(() => ipBatch([`link add ${switchBridge(s)} type bridge mcast_snooping 0 stp_state 0`, `link set ${switchBridge(s)} up`]));
  }

  async function removeSwitch(node_id) {
    const s = switches.get(node_id);
    if (!s || !nsMade) return;
    // Its ports' veth pairs go with the links that use them (removed first by the server).
    await serial(() => ipBatch([`link del ${switchBridge(s)}`], { force: true }));
  }

  function forgetSwitch(node_id) {
    switches.delete(node_id);
  }

  /**
   * A link: its bridge, the switch ends' veth pairs, the docker ends' ports if their nodes
   * run, and its filters. ends: [{ kind: 'docker'|'switch', node_id, adapter, port }].
   */
  async function addLink(link_id, ends, state) {
    const l = links.get(link_id) ?? { link_id, idx: ++counter };
    Object.assign(l, { ends, state });
    links.set(link_id, l);
    await ensureNs();
    await serial(async () => {
      const br = linkBridge(l);
      const lines = [`link add ${br} type bridge mcast_snooping 0 stp_state 0`, `link set ${br} up`];
      for (const [i, e] of ends.entries()) {
        if (e.kind === 'switch') {
          const sp = `${switchBridge(switches.get(e.node_id))}p${e.port}`;
          lines.push(`link add ${linkPort(l, e, i)} type veth peer name ${sp}`, `link set ${sp} master ${switchBridge(switches.get(e.node_id))} up`, `link set ${linkPort(l, e, i)} master ${br} up`);
        } else if (nodes.get(e.node_id)?.running) {
          lines.push(`link set ${linkPort(l, e, i)} master ${br}`);
        }
      }
      await ipBatch(lines);
      await writeRules();
      await applyNetem(l);
    });
  }

  /** Removes the link's bridge and switch-end veths; a docker end's port stays up, unattached. */
  async function removeLink(link_id) {
    const l = links.get(link_id);
    if (!l) return;
    for (const t of [...tcpdumps]) if (t.link_id === link_id) await stopTcpdump(t);
    links.delete(link_id);
    unappliedFilters.delete(link_id);
    if (!nsMade) return;
    await serial(async () => {
      const lines = [`link del ${linkBridge(l)}`];
      for (const [i, e] of l.ends.entries()) if (e.kind === 'switch') lines.push(`link del ${linkPort(l, e, i)}`);
      await ipBatch(lines, { force: true });
      // A docker end's port outlives the link: it keeps no delay/corrupt of it.
      if (netem) for (const [i, e] of l.ends.entries()) if (e.kind === 'docker' && nodes.get(e.node_id)?.running) await exec(['tc', '-n', ns, 'qdisc', 'del', 'dev', linkPort(l, e, i), 'root']);
      await writeRules();
    });
  }

  async function updateLink(link_id, state) {
    const l = links.get(link_id);
    if (!l) return;
    l.state = state;
    await serial(async () => {
      await writeRules();
      await applyNetem(l);
    });
  }

  // ---- packet capture ----

  /** tcpdump on the link-side port of end `endIndex`, writing `file`, until stopCapture. */
  async function startCapture(link_id, endIndex, file) {
    const l = links.get(link_id);
    const e = l.ends[endIndex];
    const dev = linkPort(l, e, endIndex);
    mkdirSync(dirname(file), { recursive: true });
    const child = spawn('ip', ['netns', 'exec', ns, 'tcpdump', '-i', dev, '-w', file, '-U', '-Z', 'root', '-n'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const t = { link_id, node_id: e.kind === 'docker' ? e.node_id : undefined, child, exited: new Promise((r) => child.on('close', r)) };
    tcpdumps.add(t);
    let err = '';
    const ok = await new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), 10_000);
      child.stderr.on('data', (b) => {
        err += b;
        if (/listening on/.test(err)) {
          clearTimeout(timer);
          resolve(true);
        }
      });
      child.on('close', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    if (!ok) {
      await stopTcpdump(t);
      throw new DockerError(`Could not start packet capture on ${dev}: ${err.trim()}`);
    }
    l.capture = t;
  }

  async function stopTcpdump(t) {
    tcpdumps.delete(t);
    if (t.child.exitCode === null && t.child.signalCode === null) t.child.kill('SIGTERM');
    await t.exited;
    const l = links.get(t.link_id);
    if (l?.capture === t) l.capture = undefined;
  }

  async function stopCapture(link_id) {
    const t = links.get(link_id)?.capture;
    if (t) await stopTcpdump(t);
  }

  // ---- the rest ----

  async function listImages() {
    try {
      const list = await docker.listImages();
      return list.flatMap((i) => i.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
    } catch {
      return null;
    }
  }

  async function close() {
    for (const t of [...tcpdumps]) await stopTcpdump(t);
    await Promise.all([...nodes.keys()].map((id) => removeDockerNode(id, { kill: true }).catch(() => undefined)));
    await nsReady?.catch(() => undefined);
    if (nsMade) {
      await serial(() => exec(['ip', 'netns', 'del', ns]));
      nsMade = false;
      nsReady = undefined;
    }
  }

  return {
    get namespace() {
      return nsMade ? ns : undefined;
    },
    /** Whether the kernel has sch_netem; undefined until the namespace exists. */
    get netem() {
      return netem;
    },
    unappliedFilters,
    createDockerNode,
    startDockerNode,
    stopDockerNode,
    pauseDockerNode,
    unpauseDockerNode,
    removeDockerNode,
    forgetNode,
    containerState,
    containerId: (node_id) => nodes.get(node_id)?.cid,
    addSwitch,
    removeSwitch,
    forgetSwitch,
    addLink,
    removeLink,
    updateLink,
    startCapture,
    stopCapture,
    listImages,
    close,
  };
}
