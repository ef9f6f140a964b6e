#!/usr/bin/env node
// A stand-in for a GNS3 server, for lvslab's tests only: no GNS3 server can be installed in CI.
// It shares no code with src/ on purpose — it is the server's side of the contract, written
// from what real servers answered, so a client bug cannot hide in shared code.
//
// What it mirrors, and from where (files in ../shared/reference/ of the lvslab workspace):
//   - GNS3 2.2.59's /v2 API (gns3-transcript.txt, gns3-transcript-docker.txt, gns3-api-v2.md,
//     gns3-findings.md, and this repository's test/fixtures/gns3/real-2.2.59.txt, recorded by
//     the contract suite): version, computes, docker images, projects (create 201 with
//     auto_close, duplicate 409, close 204, open 201 with new container ids, delete 204 then
//     404, 403 "The project is not opened" on a closed one), nodes (docker and ethernet_switch
//     JSON as the server gives them, duplicate names renamed R1 -> R2 / PCa -> PCa1, single
//     start/stop/suspend 200 with the status from *before*, the new status readable a moment
//     later, start on a suspended node resuming it, all-nodes start/stop/suspend 204, switches
//     started at creation, docker MACs 02:42:<node_id[2:8]>:NN or base+N, custom_adapters at
//     creation echoed and setting one port's mac_address/port name), links (201, "Port is
//     already used" 409, "Port 0/99 for SW1 not found" 404, PUT 201, suspend, filters stored
//     even when refused with ubridge's 409, 0-valued filters dropped, a non-array filter value
//     a 500 traceback, available_filters), HTTP basic auth (401, empty body, WWW-Authenticate:
//     Basic realm="GNS3 server", on every route; an unknown path is aiohttp's plain 404
//     first), errors as {"message","status"}; on request, a compute without dynamips (409
//     "Could not find Dynamips" for a switch) and a host refusing privileged containers (the
//     409 runc caps error at docker node start).
//   - GNS3 3.0.6's /v3 API (gns3-transcript-v3.txt): public /v3/version, login by form
//     (/access/users/login) or JSON (/access/users/authenticate) giving an HS256 JWT, 401
//     "Not authenticated" / "Could not validate credentials" / "Authentication was
//     unsuccessful." with WWW-Authenticate: Bearer, ?token= accepted, /computes listing [] and
//     /computes/local a 500, single start/stop/suspend 204 (start 422 without a JSON body),
//     PUT link 200, compute errors wrapped ("HTTP error 422 received from compute …"), 422 for
//     non-UUID ids and missing fields (pydantic's repr), {"detail":"Not Found"} for unknown
//     routes, errors as {"message"}.
//   - Link updates as each version's compute takes them (gns3-server's sources; updateOnCompute
//     cites the lines): the controller sends the active filters (frequency_drop -1 while
//     suspended) to the link's filter node only when its filters or suspend changed; 2.2's
//     compute stores what it is sent, 3.0.6's ignores an empty filter list, so there a resume
//     or a clear leaves the previous filters dropping frames while the link JSON reads {}.
//   - Packet capture and drawings are not in the transcripts: their paths, statuses and bodies
//     follow gns3-server's v2.2.59 and v3.0.6 sources (start_capture/stop_capture 201 + link on
//     2.2, capture/start 201 + link and capture/stop 204 on 3.0; the capture side chosen as the
//     controller does, a switch first; a capture stops when its node stops or is suspended,
//     keeping capture_file_name/_path; GET links/{l}/pcap on 2.2 and links/{l}/capture/stream
//     on 3.0: 200 application/vnd.tcpdump.pcap streaming the file from its start until the
//     capture stops, 409 "This link has no active packet capture" otherwise; drawings 201/204).
//
// Docker nodes as real containers (option `containers: true`; ./containers.mjs does the host
// side). Default false: bookkeeping only, no Docker engine needed (the unit and contract
// suites). With it, as gns3-findings.md ("Docker nodes", "Links") and gns3-server 2.2.59's
// docker_vm.py describe the compute:
//   - Node creation makes the container at once (state Created): name GNS3.<name>.<project_id>,
//     Hostname = name, no labels, Entrypoint /gns3/init.sh (+ the image's), Cmd = start_command
//     split as a shell would or the image's Cmd, Env container=docker, GNS3_MAX_ETHERNET=eth<N-1>,
//     GNS3_VOLUMES (/etc/network, the image's volumes, extra_volumes) and the environment
//     lines, NetworkDisabled, Tty, UsernsMode host, binds <resources>:/gns3:ro and
//     <node_dir><volume>:/gns3volumes<volume>. The data directory is a real temp dir, so the
//     API's project path and node_directory are where the files are.
//   - HostConfig: NOT GNS3's Privileged true + CapAdd ALL, which runc refuses on these machines
//     ("unable to apply caps", gns3-findings.md), but the findings' local change that lets
//     docker nodes start: CapAdd ALL, CapDrop SYS_RESOURCE, Privileged false, SecurityOpt
//     seccomp=unconfined, MaskedPaths [], ReadonlyPaths [] (3.0 sends Mounts, 2.2 Binds).
//   - /gns3/init.sh is the stand-in's own (./init.sh, written from the described behaviour, not
//     GNS3's): volumes bind-mounted (the image's files copied in the first time), extra hosts,
//     wait for eth0..ethN-1, ifup -a if the image has ifup and /etc/network/interfaces, exec the
//     command. It runs under a static busybox copied from the host when there is one, else
//     the image's /bin/sh (GNS3 ships its own busybox).
//   - Start = docker start, then one interface per adapter, ethN inside with its MAC (the
//     ports' mac_address), UP. These are VETH pairs, not GNS3's TAPs: without a process
//     holding its fd (ubridge) a TAP here has no carrier. So operstate reads "up" (GNS3:
//     "unknown"), `ip link` shows eth0@ifN, and the link type is veth; carrier is on whether
//     linked or not, as with GNS3. The outer ends live in ONE network namespace of the
//     stand-in's (gns3sb-<6 hex>, made on first use, deleted by close()); nothing of the lab
//     is in the host's namespace. There is no ubridge process per node.
//   - Links: a Linux bridge per link in that namespace joining its ends while both exist; an
//     ethernet_switch is a bridge too (all ports one segment: ports_mapping's VLANs and dot1q
//     are not mirrored), a switch port a veth pair between it and the link's bridge. Multicast
//     snooping and STP off, no addresses anywhere; frames cross between links only through a
//     switch. Linux bridges drop most 01:80:c2:00:00:0x frames (pause, LACP, LLDP), which
//     ubridge passes.
//   - Suspend and filters in each direction, as the link's compute holds them (not as the
//     link JSON reads: they differ on 3.0.6, above): nftables `bridge` rules in the namespace (suspend
//     and a refused stored filter drop everything; packet_loss with numgen random,
//     frequency_drop every n-th frame with numgen inc, -1 all). delay and corrupt need sch_netem
//     (tc on the link's bridge ports) — this kernel has none: then the answers are unchanged
//     and the server object's `unappliedFilters` says what is not applied; bpf is stored only.
//   - Stop = docker stop -t 5 (the veths vanish with the container's netns, link bridges
//     stay); suspend = docker pause; project close removes the containers, switches and link
//     bridges (open makes them again, new container ids); node/project delete and close()
//     remove containers, the namespace and the temp dirs. Captures: tcpdump -U on a link-side
//     port of the capture side, into <project>/project-files/captures/<file>.
//   - Each call does its engine work before answering (create, start, stop, link, PUT), and
//     statuses change after the answer, as on the real server; the durations are this host's.
// Project files: GET …/projects/{p}/files/{path} (v2.2.59's get_file, v3.0.6's FileResponse;
// from their sources), raw bytes below the project's directory, 403 outside it, 404 missing.
// Computes besides the local one (option `extraComputes`): a controller that already knows
// them, as after a GUI user added a remote server (Edit → Preferences → Server; the stand-in
// has no POST /computes). As a real 2.2.59 controller with a second compute answered
// (test/fixtures/gns3/real-two-computes-2.2.59.txt: two gns3server processes on one host):
// listed after local in the local compute's JSON shape with their own compute_id, name, host
// and port (on 3.0, not recorded with a second compute, listed alone, as 3.0 lists no local);
// GET /computes/{id} that object, an unknown id 404 "Compute ID vm9 doesn't exist", a node on
// an unknown compute the same 404; nodes and switches made on them, their JSON differing only
// in compute_id; their images listed as on local. A link between nodes of two computes is a
// UDP tunnel whose addresses the controller picks as 2.2.59's get_ip_on_same_subnet does:
// both computes' hosts, unless one is 127.0.0.1 or 0.0.0.0; then the first pair of their
// interfaces on a common subnet with different addresses; none: 409 "Cannot get an IP address
// on same subnet: No common subnet for compute vm and vm2" (which two computes on one machine
// always get: their interfaces are the same). A compute's interfaces are option `interfaces`
// ([{ip_address, netmask}]; the local one's `localInterfaces`), else this machine's. Here
// every compute is this machine and engine: containers are named as on any compute, and a
// link between computes is the same bridge as any link (no UDP tunnel, no ubridge).
// Left out: templates, VPCS and every other node type, node files, PUT on nodes, reload of
// nodes, consoles (console ports are allocated, nothing listens), notifications, websockets,
// UDP tunnels between computes, the GUI's /static, users and access control beyond one login, project
// variables, the 2.2 docker-node failure without console_type (its body was not recorded).
//
// Use: import { startGns3Standin } from './server.mjs' (tests), or
//      node server.mjs [--api v2|v3] [--port N] [--user U --password P] [--image repo:tag]…
//                      [--containers]
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { open as openFile, readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { networkInterfaces, tmpdir } from 'node:os';
import { isAbsolute, join, normalize } from 'node:path';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LABEL_STYLE = 'font-family: TypeWriter;font-size: 10.0;font-weight: bold;fill: #000000;fill-opacity: 1.0;';
const FILTER_TYPES = ['frequency_drop', 'packet_loss', 'delay', 'corrupt', 'bpf'];
const FILTER_RANGES = { frequency_drop: [-1, 32767], packet_loss: [0, 100], delay: [0, 32767], corrupt: [0, 100] };
const ALWAYS_RUNNING = ['ethernet_switch', 'ethernet_hub', 'cloud', 'nat'];
const MAC = /^([0-9a-fA-F]{2}[:]){5}([0-9a-fA-F]{2})$/;
// A pcap file's global header (LE, v2.4, snaplen 262144, Ethernet): what a capture with no frame holds.
const PCAP_HEADER = Buffer.from('d4c3b2a1' + '0200' + '0400' + '00000000' + '00000000' + '00000400' + '01000000', 'hex');

class HttpError extends Error {
  constructor(status, message, extra = {}) {
    super(message);
    this.status = status;
    this.extra = extra;
  }
}

/** This machine's IPv4 interfaces as a compute's GET /network/interfaces lists them (the fields get_ip_on_same_subnet reads). */
function machineInterfaces() {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a && a.family === 'IPv4')
    .map((a) => ({ ip_address: a.address, netmask: a.netmask }));
}

const ipv4 = (s) => s.split('.').reduce((n, o) => n * 256 + Number(o), 0);
/** Python's ip_network(f"{ip}/{mask}", strict=False).overlaps(...): one network holds the other's base. */
function subnetsOverlap(a, b) {
  const net = (x) => ({ base: ipv4(x.ip_address) - (ipv4(x.ip_address) % (2 ** 32 - ipv4(x.netmask))), size: 2 ** 32 - ipv4(x.netmask) });
  const [m, n] = [net(a), net(b)];
  return (m.base <= n.base && n.base < m.base + m.size) || (n.base <= m.base && m.base < n.base + n.size);
}

/**
 * The UDP tunnel's two addresses for a link between computes, or the controller's 409, as
 * 2.2.59's Compute.get_ip_on_same_subnet and UDPLink.create decide them.
 */
function tunnelAddresses(a, b) {
  const loopbackOrAny = (h) => h === '0.0.0.0' || h === '127.0.0.1';
  if (!loopbackOrAny(a.json.host) && !loopbackOrAny(b.json.host)) return [a.json.host, b.json.host];
  const first = (list, host) => [...list].sort((x, y) => Number(x.ip_address !== host) - Number(y.ip_address !== host));
  for (const x of first(a.interfaces, a.json.host)) {
    if (!x.ip_address || x.netmask == null || x.ip_address.startsWith('169.254.')) continue;
    for (const y of first(b.interfaces, b.json.host)) {
      if (!y.ip_address || y.netmask == null || y.ip_address === x.ip_address) continue;
      if (subnetsOverlap(x, y)) return [x.ip_address, y.ip_address];
    }
  }
  throw new HttpError(409, `Cannot get an IP address on same subnet: No common subnet for compute ${a.json.name} and ${b.json.name}`);
}

/** Python's repr of a JSON value, as the servers embed request data in their messages. */
function pyRepr(v) {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  return `{${Object.entries(v).map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
}

const b64url = (s) => Buffer.from(s).toString('base64url');

/**
 * Starts a stand-in. Options: api 'v2'|'v3', version, port (0 = any), host, user/password
 * (v2: basic auth on when user is set; v3: the one account, admin/admin by default), images
 * (the local compute's Docker images; `null` = no Docker engine reachable; with containers
 * and unset, the engine's own list), statusDelayMs (how long after a start/stop answer the
 * node changes status), containers (docker nodes as real containers, wired as GNS3 wires
 * them: needs root, the Docker engine, ip, nft, nsenter and tcpdump; default false).
 */
export async function startGns3Standin(options = {}) {
  const api = options.api ?? 'v2';
  const version = options.version ?? (api === 'v3' ? '3.0.6' : '2.2.59');
  const user = options.user ?? (api === 'v3' ? 'admin' : undefined);
  const password = options.password ?? (api === 'v3' ? 'admin' : undefined);
  const images = options.images === undefined ? (options.containers ? undefined : ['lvslab/node:latest']) : options.images;
  const statusDelayMs = options.statusDelayMs ?? 30;
  // A compute without dynamips cannot make switches; one whose kernel refuses privileged
  // containers cannot start docker nodes (both seen on these machines with 2.2.59).
  const dynamips = options.dynamips ?? true;
  const privileged = options.privilegedContainers ?? true;
  const extraComputes = options.extraComputes ?? [];
  const localInterfaces = options.localInterfaces;
  const jwtKey = randomBytes(32);
  const projects = new Map();
  // Every request served past authentication, in order: { method, path, body } (no query,
  // no login bodies: they hold credentials), so a test can see what a client sent.
  const requests = [];
  const timers = new Set();
  let nextConsole = api === 'v3' ? 6000 : 5000;

  // With containers the server's data directory is real (a temp dir, gone after close()):
  // project paths, node directories and capture files in the API are where they are.
  const dataDir = options.containers ? mkdtempSync(join(tmpdir(), 'gns3-standin-')) : undefined;
  const DATA = dataDir ?? '<gns3-data>';
  const sub = api === 'v3' ? '' : 'data/';
  const projectDir = (p) => `${DATA}/${sub}projects/${p.project_id}`;
  const nodeDir = (p, n) => `${projectDir(p)}/project-files/docker/${n.node_id}`;
  const captureFile = (p, name) => `${projectDir(p)}/project-files/captures/${name}`;
  let wiring;
  if (options.containers) {
    try {
      const { createContainerWiring } = await import('./containers.mjs');
      wiring = await createContainerWiring({ api, resourcesDir: `${DATA}/${sub}resources/docker` });
    } catch (e) {
      rmSync(dataDir, { recursive: true, force: true });
      throw e;
    }
  }
  const DockerError = wiring ? (await import('./containers.mjs')).DockerError : class extends Error {};

  // ---- helpers on the API's shapes ----

  const errorBody = (status, message, extra) => (api === 'v3' ? { message } : { message, status, ...extra });

  function later(fn) {
    const t = setTimeout(() => {
      timers.delete(t);
      Promise.resolve()
        .then(fn)
        .catch(() => undefined);
    }, statusDelayMs);
    timers.add(t);
  }

  function projectJson(p) {
    const j = {
      auto_close: p.auto_close,
      auto_open: false,
      auto_start: false,
      drawing_grid_size: 25,
      filename: `${p.name}.gns3`,
      grid_size: 75,
      name: p.name,
      path: projectDir(p),
      project_id: p.project_id,
      scene_height: 1000,
      scene_width: 2000,
      show_grid: false,
      show_interface_labels: false,
      show_layers: false,
      snap_to_grid: false,
      status: p.status,
      supplier: null,
      variables: null,
      zoom: 100,
    };
    return j;
  }

  function getProject(id) {
    if (api === 'v3' && !UUID.test(id)) throw uuidError('project_id', id);
    const p = projects.get(id);
    if (!p) throw new HttpError(404, `Project ID ${id} doesn't exist`);
    return p;
  }

  function uuidError(field, id) {
    const bad = [...id].find((c) => !/[0-9a-fA-F-]/.test(c)) ?? id[0];
    const at = id.indexOf(bad) + 1;
    const err = `invalid character: expected an optional prefix of \`urn:uuid:\` followed by [0-9a-fA-F-], found \`${bad}\` at ${at}`;
    return new HttpError(422, pyRepr([{ type: 'uuid_parsing', loc: ['path', field], msg: `Input should be a valid UUID, ${err}`, input: id, ctx: { error: err } }]).replace(`['path', '${field}']`, `('path', '${field}')`));
  }

  const requireOpen = (p) => {
    if (p.status !== 'opened') throw new HttpError(403, 'The project is not opened');
  };

  /** The server's update_allocated_node_name: spaces dropped, a taken name gets a number. */
  function allocateName(p, wanted) {
    let base = wanted.replace(/ /g, '');
    const taken = new Set([...p.nodes.values()].map((n) => n.name));
    if (taken.has(base)) base = base.replace(/[0-9]+$/, '{0}');
    if (base.includes('{0}')) {
      for (let i = 1; ; i++) if (!taken.has(base.replace('{0}', String(i)))) return base.replace('{0}', String(i));
    }
    if (!taken.has(base)) return base;
    for (let i = 1; ; i++) if (!taken.has(base + i)) return base + i;
  }

  function macPlus(base, n) {
    const v = BigInt(`0x${base.replace(/:/g, '')}`) + BigInt(n);
    return v.toString(16).padStart(12, '0').match(/../g).join(':');
  }

  function portJson(node, adapter, port, name, shortName, mac) {
    const j = { adapter_number: adapter };
    if (api === 'v3') j.adapter_type = null;
    j.data_link_types = { Ethernet: 'DLT_EN10MB' };
    j.link_type = 'ethernet';
    if (api === 'v3' || mac !== undefined) j.mac_address = mac ?? null;
    j.name = name;
    j.port_number = port;
    j.short_name = shortName;
    return j;
  }

  /** The controller's port for adapter a: custom_adapters' port_name and mac_address, else ethN and base+N. */
  const customAdapter = (n, a) => n.custom_adapters.find((c) => c.adapter_number === a) ?? {};
  const dockerMac = (n, a) => customAdapter(n, a).mac_address ?? macPlus(n.properties.mac_address, a);
  /** What the compute gives the container's ethN: the custom MAC or base+N (port names do not change ethN). */
  const containerMacs = (n) => Array.from({ length: n.properties.adapters }, (_, a) => dockerMac(n, a).toLowerCase());

  function nodeJson(p, n) {
    const ports = [];
    if (n.node_type === 'docker') {
      for (let a = 0; a < n.properties.adapters; a++) {
        const name = customAdapter(n, a).port_name ?? `eth${a}`;
        ports.push(portJson(n, a, 0, name, name, dockerMac(n, a)));
      }
    } else {
      for (const m of n.properties.ports_mapping) ports.push(portJson(n, 0, m.port_number, m.name, `e${m.port_number}`, undefined));
    }
    const j = {};
    if (api === 'v3') Object.assign(j, { aux: n.node_type === 'docker' ? n.properties.aux : null, aux_type: n.node_type === 'docker' ? 'none' : null });
    Object.assign(j, {
      // 2.2 gives a docker node's command_line as null, started or not (gns3-transcript-docker.txt).
      command_line: null,
      compute_id: n.compute_id,
      console: n.console,
      console_auto_start: false,
      console_host: '127.0.0.1',
      console_type: n.console_type,
      custom_adapters: n.custom_adapters,
      first_port_name: null,
      height: 59,
      label: { rotation: 0, style: null, text: n.name, x: null, y: -40 },
      locked: false,
      name: n.name,
      node_directory: n.node_type === 'docker' ? nodeDir(p, n) : null,
      node_id: n.node_id,
      node_type: n.node_type,
      port_name_format: 'Ethernet{0}',
      port_segment_size: 0,
      ports,
      project_id: p.project_id,
      properties: api === 'v3' ? { compute_id: n.compute_id, ...n.properties } : { ...n.properties },
      status: n.status,
      symbol: ':/symbols/computer.svg',
      template_id: null,
      width: 65,
      x: n.x,
      y: n.y,
      z: 1,
    });
    return j;
  }

  function linkJson(p, l, { created = false } = {}) {
    const label = (e) =>
      created && api === 'v3'
        ? { rotation: null, style: LABEL_STYLE, text: `${e.adapter_number}/${e.port_number}`, x: null, y: null }
        : { style: LABEL_STYLE, text: `${e.adapter_number}/${e.port_number}` };
    return {
      capture_compute_id: l.capturing ? (p.nodes.get(l.captureNodeId)?.compute_id ?? 'local') : null,
      capture_file_name: l.capture_file_name,
      capture_file_path: l.capture_file_name ? captureFile(p, l.capture_file_name) : null,
      capturing: l.capturing,
      filters: l.filters,
      link_id: l.link_id,
      link_style: created && api === 'v3' ? { color: null, type: null, width: null } : {},
      link_type: 'ethernet',
      nodes: l.nodes.map((e) => ({ adapter_number: e.adapter_number, label: label(e), node_id: e.node_id, port_number: e.port_number })),
      project_id: p.project_id,
      suspend: l.suspend,
    };
  }

  function drawingJson(p, d) {
    return { drawing_id: d.drawing_id, locked: false, project_id: p.project_id, rotation: 0, svg: d.svg, x: d.x, y: d.y, z: d.z };
  }

  // ---- the calls ----

  function createProject(body) {
    if (typeof body?.name !== 'string') {
      if (api === 'v3') throw new HttpError(422, pyRepr([{ type: 'missing', loc: ['body', 'name'], msg: 'Field required', input: body ?? null }]).replace("['body', 'name']", "('body', 'name')"));
      throw new HttpError(400, `JSON schema error with API request '/v2/projects' and JSON data '${pyRepr(body ?? {})}': 'name' is a required property`);
    }
    for (const p of projects.values()) if (p.name === body.name) throw new HttpError(409, `Project "${body.name}" already exists`);
    const p = { project_id: randomUUID(), name: body.name, auto_close: body.auto_close ?? true, status: 'opened', nodes: new Map(), links: new Map(), drawings: new Map() };
    projects.set(p.project_id, p);
    return [201, projectJson(p)];
  }

  function createNodeSchemaError(p, body, what) {
    return new HttpError(400, `JSON schema error with API request '/v2/projects/${p.project_id}/nodes' and JSON data '${pyRepr(body)}': ${what}`);
  }

  /** custom_adapters as the 2.2 controller's schema takes them (adapter_number required, a MAC pattern). */
  function checkCustomAdapters(p, body) {
    const list = body.custom_adapters;
    if (list === undefined || api !== 'v2') return;
    if (!Array.isArray(list)) throw createNodeSchemaError(p, body, `${pyRepr(list)} is not of type 'array'`);
    for (const c of list) {
      if (typeof c !== 'object' || c === null || Array.isArray(c)) throw createNodeSchemaError(p, body, `${pyRepr(c)} is not of type 'object'`);
      const extra = Object.keys(c).filter((k) => !['adapter_number', 'port_name', 'adapter_type', 'mac_address'].includes(k));
      if (extra.length) throw createNodeSchemaError(p, body, `Additional properties are not allowed (${extra.map((k) => `'${k}'`).join(', ')} ${extra.length > 1 ? 'were' : 'was'} unexpected)`);
      if (c.adapter_number === undefined) throw createNodeSchemaError(p, body, "'adapter_number' is a required property");
      if (!Number.isInteger(c.adapter_number)) throw createNodeSchemaError(p, body, `${pyRepr(c.adapter_number)} is not of type 'integer'`);
      if (c.mac_address !== undefined && !(typeof c.mac_address === 'string' && MAC.test(c.mac_address))) throw createNodeSchemaError(p, body, `${pyRepr(c.mac_address)} does not match '${MAC.source}'`);
    }
  }

  /** What the engine side needs to make a node's container. */
  function containerSpec(p, n) {
    return {
      node_id: n.node_id,
      name: n.name,
      project_id: p.project_id,
      projectPath: projectDir(p),
      projectVariables: null,
      image: n.properties.image.includes(':') ? n.properties.image : `${n.properties.image}:latest`,
      adapters: n.properties.adapters,
      startCommand: n.properties.start_command,
      environment: n.properties.environment,
      extraHosts: n.properties.extra_hosts,
      extraVolumes: n.properties.extra_volumes,
      macs: containerMacs(n),
      nodeDir: nodeDir(p, n),
    };
  }

  async function createNode(p, body) {
    requireOpen(p);
    const allowed = ['name', 'node_type', 'compute_id', 'x', 'y', 'z', 'console', 'console_type', 'properties', 'custom_adapters', 'symbol', 'label', 'locked', 'port_name_format', 'port_segment_size', 'first_port_name', 'node_id', 'console_auto_start'];
    const extra = Object.keys(body ?? {}).filter((k) => !allowed.includes(k));
    if (extra.length && api === 'v2')
      throw new HttpError(400, `JSON schema error with API request '/v2/projects/${p.project_id}/nodes' and JSON data '${pyRepr(body)}': Additional properties are not allowed (${extra.map((k) => `'${k}'`).join(', ')} ${extra.length > 1 ? 'were' : 'was'} unexpected)`);
    if (body?.compute_id === undefined) {
      if (api === 'v3') throw new HttpError(422, `[{'type': 'missing', 'loc': ('body', 'compute_id'), 'msg': 'Field required', 'input': ${pyRepr(body)}}]`);
      throw new HttpError(400, `JSON schema error with API request '/v2/projects/${p.project_id}/nodes' and JSON data '${pyRepr(body)}': 'compute_id' is a required property`);
    }
    checkCustomAdapters(p, body);
    if (!computeIds().includes(body.compute_id)) throw new HttpError(404, `Compute ID ${body.compute_id} doesn't exist`);
    const nodeId = randomUUID();
    const props = body.properties ?? {};
    const node = { node_id: nodeId, node_type: body.node_type, compute_id: body.compute_id, x: body.x ?? 0, y: body.y ?? 0, custom_adapters: body.custom_adapters ?? [], lock: Promise.resolve() };
    if (body.node_type === 'docker') {
      if (typeof props.image !== 'string') {
        const compute = api === 'v3' ? 'vm (controller)' : 'local';
        const input = { compute_id: body.compute_id, name: body.name, node_id: nodeId };
        if (api === 'v3')
          throw new HttpError(422, `HTTP error 422 received from compute '${compute}' for request POST /projects/${p.project_id}/docker/nodes: ${JSON.stringify({ detail: [{ type: 'missing', loc: ['body', 'image'], msg: 'Field required', input }] })}`);
        throw new HttpError(400, `Bad request http://127.0.0.1:3080/v2/compute/projects/${p.project_id}/docker/nodes ${JSON.stringify({ message: `JSON schema error with API request '/v2/compute/projects/${p.project_id}/docker/nodes' and JSON data '${pyRepr(input)}': 'image' is a required property`, status: 400 })}`);
      }
      if (images === null) throw new HttpError(409, 'Docker has returned an error: Cannot connect to unix socket /var/run/docker.sock ssl:default [No such file or directory]');
      const image = props.image.includes(':') ? props.image : `${props.image}:latest`;
      // With containers and no list given, the engine itself says whether it has the image.
      if (images !== undefined && !images.includes(image)) throw new HttpError(409, `Could not pull the '${props.image}' image`);
      node.console_type = body.console_type ?? 'telnet';
      node.console = node.console_type === 'none' ? null : nextConsole++;
      const aux = nextConsole++;
      node.properties = {
        adapters: props.adapters ?? 1,
        aux,
        console_http_path: '/',
        console_http_port: 80,
        console_resolution: '1024x768',
        container_id: randomBytes(32).toString('hex'),
        environment: props.environment ?? null,
        extra_hosts: props.extra_hosts ?? null,
        extra_volumes: props.extra_volumes ?? [],
        image: props.image,
        mac_address: props.mac_address ?? `02:42:${nodeId.slice(2, 4)}:${nodeId.slice(4, 6)}:${nodeId.slice(6, 8)}:00`,
        start_command: props.start_command ?? null,
        usage: '',
      };
      node.status = 'stopped';
    } else if (body.node_type === 'ethernet_switch') {
      if (!dynamips) throw new HttpError(409, 'Could not find Dynamips');
      const mapping = props.ports_mapping ?? Array.from({ length: 8 }, (_, i) => ({ name: `Ethernet${i}`, port_number: i, type: 'access', vlan: 1 }));
      node.console_type = 'none';
      node.console = nextConsole++;
      node.properties = { ports_mapping: mapping.map((m) => (api === 'v3' ? { ethertype: m.ethertype ?? '0x8100', ...m } : { ...m })) };
      if (api === 'v3') node.properties.usage = '';
      node.status = 'started';
    } else {
      throw new HttpError(409, `Node type ${body.node_type} is not supported by this GNS3 stand-in`);
    }
    node.name = allocateName(p, String(body.name));
    // Held while the compute makes it, so a concurrent create cannot take the same name.
    p.nodes.set(nodeId, node);
    if (wiring) {
      try {
        if (node.node_type === 'docker') node.properties.container_id = await wiring.createDockerNode(containerSpec(p, node));
        else await wiring.addSwitch(node.node_id);
      } catch (e) {
        p.nodes.delete(nodeId);
        if (node.node_type === 'docker') rmSync(nodeDir(p, node), { recursive: true, force: true });
        throw e;
      }
    }
    return [201, nodeJson(p, node)];
  }

  function getNode(p, id) {
    if (api === 'v3' && !UUID.test(id)) throw uuidError('node_id', id);
    const n = p.nodes.get(id);
    if (!n) throw new HttpError(404, `Node ID ${id} doesn't exist`);
    return n;
  }

  /** One operation at a time per node, as the server's node lock does. */
  function withNode(n, fn) {
    const run = n.lock.then(fn, fn);
    n.lock = run.catch(() => undefined);
    return run;
  }

  const refusePrivileged = () =>
    new HttpError(409, "Docker has returned an error: 500 b'failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: unable to apply caps: operation not permitted: unknown\\n'");

  /**
   * What the compute does for a docker node's start/stop/suspend; returns the status the node
   * will read. Start on a suspended node unpauses it; stop on one unpauses it first.
   */
  async function dockerAction(p, n, action) {
    if (action === 'suspend' && n.status !== 'started' && n.status !== 'suspended')
      throw new DockerError(`Docker has returned an error: 409 Container ${n.properties.container_id} is not running`);
    if (wiring) {
      if (action === 'start') await wiring.startDockerNode(n.node_id);
      else if (action === 'stop') await wiring.stopDockerNode(n.node_id);
      else if (n.status !== 'suspended') await wiring.pauseDockerNode(n.node_id);
    }
    return action === 'start' ? 'started' : action === 'stop' ? 'stopped' : 'suspended';
  }

  /** The controller's node_updated: a capture taken on a node that no longer runs stops. */
  async function setStatus(p, n, status) {
    n.status = status;
    if (status === 'started') return;
    for (const l of p.links.values()) if (l.capturing && l.captureNodeId === n.node_id) await endCapture(l);
  }

  async function nodeAction(p, n, action, hasBody) {
    requireOpen(p);
    if (api === 'v3' && action === 'start' && !hasBody) throw new HttpError(422, "[{'type': 'missing', 'loc': ('body',), 'msg': 'Field required', 'input': None}]");
    if (action === 'start' && n.node_type === 'docker' && !privileged) throw refusePrivileged();
    const before = nodeJson(p, n);
    if (!ALWAYS_RUNNING.includes(n.node_type)) {
      const want = await withNode(n, () => dockerAction(p, n, action));
      // Both servers answer before the node reads its new status.
      later(() => {
        if (p.nodes.get(n.node_id) === n) return setStatus(p, n, want);
      });
    }
    return api === 'v3' ? [204, undefined] : [200, before];
  }

  /** POST /nodes/start|stop|suspend: every node at once, 204 when all are done. */
  async function allNodesAction(p, action) {
    requireOpen(p);
    // Suspending all leaves the stopped ones alone.
    const list = [...p.nodes.values()].filter((n) => !ALWAYS_RUNNING.includes(n.node_type) && (action !== 'suspend' || n.status === 'started'));
    if (action === 'start' && !privileged && list.some((n) => n.node_type === 'docker')) throw refusePrivileged();
    const results = await Promise.allSettled(list.map((n) => withNode(n, () => dockerAction(p, n, action))));
    for (const [i, r] of results.entries()) if (r.status === 'fulfilled') await setStatus(p, list[i], r.value);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    return [204, undefined];
  }

  /** Link ends as the engine side needs them. */
  const linkEnds = (p, l) =>
    l.nodes.map((e) => ({ kind: p.nodes.get(e.node_id)?.node_type === 'docker' ? 'docker' : 'switch', node_id: e.node_id, adapter: e.adapter_number, port: e.port_number }));

  /** The first filter ubridge refuses (unknown type, value out of range) as [type, values]: the link then passes nothing. */
  const refusedFilter = (filters) =>
    Object.entries(filters).find(([k, v]) => !FILTER_TYPES.includes(k) || (FILTER_RANGES[k] && v.some((x) => !Number.isInteger(x) || x < FILTER_RANGES[k][0] || x > FILTER_RANGES[k][1])));

  /** The controller's get_active_filters: a suspended link's filter node drops everything. */
  const activeFilters = (l) => (l.suspend ? { frequency_drop: [-1] } : l.filters);

  /** What the engine side applies to a link: the filters its compute holds, not the controller's. */
  const linkState = (l) => ({ filters: l.computeFilters, refused: Boolean(refusedFilter(l.computeFilters)) });

  /**
   * The controller's link update as each version's compute takes it. The controller sends the
   * active filters to the link's filter node only (the first end whose type filters, a docker
   * node here; a switch end gets no PUT, the other end {}): udp_link.py update(), v2.2.59
   * lines 98-130, v3.0.6 lines 101-136; _get_filter_node(), link.py v2.2.59 line 419, v3.0.6
   * line 398. The compute then resets its ubridge filters and adds the NIO's (base_node.py
   * _ubridge_apply_filters, v2.2.59 line 763, v3.0.6 line 853). What the NIO holds differs:
   *   2.2.59 handlers/api/compute/docker_handler.py lines 270-271:
   *       if "filters" in request.json and nio:
   *           nio.filters = request.json["filters"]
   *   3.0.6 api/routes/compute/docker_nodes.py lines 292-293 (update_docker_node_nio):
   *       if nio_data.filters:
   *           nio.filters = nio_data.filters
   * so on 3.0.6 an empty filter list leaves the compute's filters as they were: a resumed link
   * keeps the suspend's frequency_drop -1 and passes nothing, and cleared filters stay
   * applied, while the controller's link JSON reads {} (the bug lvslab's client works around
   * with a BPF filter that matches no frame, then {}). Returns ubridge's refusal, if any; a
   * filter refused once is refused again on every later apply of the same NIO filters.
   */
  async function updateOnCompute(l, p) {
    const n = filterNode(p, l);
    if (!n) return undefined;
    const sent = activeFilters(l);
    if (api === 'v2' || Object.keys(sent).length) l.computeFilters = sent;
    await wiring?.updateLink(l.link_id, linkState(l));
    const bad = refusedFilter(l.computeFilters);
    if (!bad) return undefined;
    return new HttpError(409, `Error while sending command 'bridge add_packet_filter DOCKER-${n.node_id} filter0 ${bad[0]} ${bad[1].join(' ')}': Failed to add filter 'filter0': uBridge version 0.9.19 running with libpcap version 1.10.3 (with TPACKET_V3)\nHypervisor TCP control server started (IP 127.0.0.1 port 20000)`);
  }

  /** Python's dict equality for filter maps (key order does not matter, values compared in order). */
  const sameFilters = (a, b) => {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return JSON.stringify(ka) === JSON.stringify(kb) && ka.every((k) => JSON.stringify(a[k]) === JSON.stringify(b[k]));
  };

  async function deleteNode(p, n) {
    requireOpen(p);
    await withNode(n, async () => {
      for (const l of [...p.links.values()]) if (l.nodes.some((e) => e.node_id === n.node_id)) await removeLink(p, l);
      if (wiring) {
        if (n.node_type === 'docker') {
          await wiring.removeDockerNode(n.node_id);
          wiring.forgetNode(n.node_id);
          rmSync(nodeDir(p, n), { recursive: true, force: true });
        } else {
          await wiring.removeSwitch(n.node_id);
          wiring.forgetSwitch(n.node_id);
        }
      }
      p.nodes.delete(n.node_id);
    });
    return [204, undefined];
  }

  async function createLink(p, body) {
    requireOpen(p);
    const ends = body?.nodes;
    if (!Array.isArray(ends) || ends.some((e) => typeof e?.node_id !== 'string' || !Number.isInteger(e?.adapter_number) || !Number.isInteger(e?.port_number))) {
      if (api === 'v3') throw new HttpError(422, `[{'type': 'missing', 'loc': ('body', 'nodes'), 'msg': 'Field required', 'input': ${pyRepr(body)}}]`);
      throw new HttpError(400, `JSON schema error with API request '/v2/projects/${p.project_id}/links' and JSON data '${pyRepr(body)}': 'adapter_number' is a required property`);
    }
    for (const e of ends) {
      const n = getNode(p, e.node_id);
      const exists = n.node_type === 'docker' ? e.port_number === 0 && e.adapter_number < n.properties.adapters : e.adapter_number === 0 && n.properties.ports_mapping.some((m) => m.port_number === e.port_number);
      if (!exists) throw new HttpError(404, `Port ${e.adapter_number}/${e.port_number} for ${n.name} not found`);
      for (const l of p.links.values()) if (l.nodes.some((x) => x.node_id === e.node_id && x.adapter_number === e.adapter_number && x.port_number === e.port_number)) throw new HttpError(409, 'Port is already used');
    }
    const [c1, c2] = ends.map((e) => getNode(p, e.node_id).compute_id);
    if (ends.length === 2 && c1 !== c2) tunnelAddresses(computeById(c1), computeById(c2));
    const l = { link_id: randomUUID(), nodes: ends.map((e) => ({ node_id: e.node_id, adapter_number: e.adapter_number, port_number: e.port_number })), filters: {}, computeFilters: {}, suspend: false, capturing: false, capture_file_name: null };
    p.links.set(l.link_id, l);
    if (wiring) {
      try {
        await wiring.addLink(l.link_id, linkEnds(p, l), linkState(l));
      } catch (e) {
        p.links.delete(l.link_id);
        await wiring.removeLink(l.link_id).catch(() => undefined);
        throw e;
      }
    }
    return [201, linkJson(p, l, { created: true })];
  }

  async function removeLink(p, l) {
    if (l.capturing) await endCapture(l);
    p.links.delete(l.link_id);
    await wiring?.removeLink(l.link_id);
  }

  function getLink(p, id) {
    if (api === 'v3' && !UUID.test(id)) throw uuidError('link_id', id);
    const l = p.links.get(id);
    if (!l) throw new HttpError(404, `Link ID ${id} doesn't exist`);
    return l;
  }

  function filterNode(p, l) {
    return l.nodes.map((e) => p.nodes.get(e.node_id)).find((n) => n && n.node_type === 'docker');
  }

  async function updateLink(p, l, body) {
    let refused;
    if (body?.filters !== undefined) {
      const next = {};
      for (const [k, v] of Object.entries(body.filters)) {
        if (!Array.isArray(v))
          throw new HttpError(500, `Traceback (most recent call last):\n  File "${DATA}/gns3server/web/route.py", line 200, in control_schema\n    await func(request, response)\n  File "${DATA}/gns3server/controller/link.py", line 120, in update_filters\n    for v in values:\nTypeError: 'int' object is not iterable`);
        // The controller's update_filters: strings stripped, numbers made integers, and a
        // filter whose first value is 0 (or '') dropped as inactive.
        const values = v.map((x) => (typeof x === 'string' ? x.replace(/^[\n ]+|[\n ]+$/g, '') : Math.trunc(Number(x))));
        if (values.length !== 0 && values[0] !== 0 && values[0] !== '') next[k] = values;
      }
      // Stored before ubridge gets to refuse them, and sent to the compute only when they
      // changed (`if new_filters != self.filters:`, link.py v2.2.59 line 199, v3.0.6 line 160).
      if (!sameFilters(next, l.filters)) {
        l.filters = next;
        refused = await updateOnCompute(l, p);
      }
    }
    // update_suspend likewise only when the value changes (v2.2.59 line 207, v3.0.6 line 168);
    // a refused filter raised before it ran.
    if (!refused && typeof body?.suspend === 'boolean' && body.suspend !== l.suspend) {
      l.suspend = body.suspend;
      refused = await updateOnCompute(l, p);
    }
    if (refused) throw refused;
    return [api === 'v3' ? 200 : 201, linkJson(p, l)];
  }

  /** The controller's _choose_capture_side: a started always-running node (a switch) first, then any started node. */
  function captureSide(p, l) {
    const ends = l.nodes.map((e, i) => ({ i, n: p.nodes.get(e.node_id) }));
    return ends.find((x) => x.n && ALWAYS_RUNNING.includes(x.n.node_type) && x.n.status === 'started') ?? ends.find((x) => x.n && x.n.status === 'started');
  }

  async function startCapture(p, l, body) {
    const side = captureSide(p, l);
    if (!side) throw new HttpError(409, 'Cannot capture because there is no running device on this link');
    const [a, b] = l.nodes.map((e) => ({ ...e, name: p.nodes.get(e.node_id)?.name ?? '' }));
    const name = body?.capture_file_name || `${a.name}_${a.adapter_number}-${a.port_number}_to_${b.name}_${b.adapter_number}-${b.port_number}`.replace(/[^0-9A-Za-z_-]/g, '') + '.pcap';
    if (l.capturing) await endCapture(l);
    await wiring?.startCapture(l.link_id, side.i, captureFile(p, name));
    l.capture_file_name = name;
    l.captureNodeId = side.n.node_id;
    l.capturing = true;
    return [201, linkJson(p, l)];
  }

  /** The capture stops; its file name and path stay in the link. */
  async function endCapture(l) {
    l.capturing = false;
    l.captureNodeId = undefined;
    await wiring?.stopCapture(l.link_id);
  }

  async function stopCapture(p, l) {
    await endCapture(l);
    return api === 'v3' ? [204, undefined] : [201, linkJson(p, l)];
  }

  /**
   * GET …/links/{l}/pcap (2.2) and …/capture/stream (3.0): the capture file from its first
   * byte, followed as it grows, until the capture stops (the compute's stream_pcap_file).
   */
  function pcapStream(p, l) {
    if (!l.capturing) throw new HttpError(409, 'This link has no active packet capture');
    return {
      async stream(res) {
        let fh;
        if (wiring) {
          try {
            fh = await openFile(captureFile(p, l.capture_file_name), 'r');
          } catch (e) {
            if (e.code === 'ENOENT') throw new HttpError(404, 'Not Found');
            throw new HttpError(403, 'Forbidden');
          }
        }
        res.writeHead(200, { 'Content-Type': 'application/vnd.tcpdump.pcap' });
        let gone = false;
        res.on('close', () => (gone = true));
        try {
          // Without containers there are no frames: the capture is its file header alone.
          if (!fh) res.write(PCAP_HEADER);
          const buf = Buffer.alloc(64 * 1024);
          while (l.capturing && !gone) {
            const { bytesRead } = fh ? await fh.read(buf, 0, buf.length, null) : { bytesRead: 0 };
            if (bytesRead > 0) res.write(Buffer.from(buf.subarray(0, bytesRead)));
            else await new Promise((r) => setTimeout(r, 100));
          }
        } finally {
          await fh?.close();
          res.end();
        }
      },
    };
  }

  /**
   * GET …/projects/{p}/files/{path}: a file below the project's directory, raw (2.2's
   * stream_file, 3.0's FileResponse as application/octet-stream); 403 for a path that
   * leaves the directory, 404 for a missing file. Without containers there are no files.
   */
  function projectFile(p, rel) {
    const path = normalize(rel);
    if (isAbsolute(path) || path === '..' || path.startsWith('../')) throw new HttpError(403, 'Forbidden');
    return {
      async stream(res) {
        let data;
        try {
          if (!wiring) throw Object.assign(new Error('no files'), { code: 'ENOENT' });
          data = await readFile(join(projectDir(p), path));
        } catch (e) {
          if (e.code === 'ENOENT' || e.code === 'EISDIR') throw new HttpError(404, 'Not Found');
          throw new HttpError(403, 'Forbidden');
        }
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': data.length });
        res.end(data);
      },
    };
  }

  function createDrawing(p, body) {
    requireOpen(p);
    const d = { drawing_id: randomUUID(), svg: body?.svg ?? '<svg></svg>', x: body?.x ?? 0, y: body?.y ?? 0, z: body?.z ?? 2 };
    p.drawings.set(d.drawing_id, d);
    return [201, drawingJson(p, d)];
  }

  /** What closing does on the compute: captures stop, links and switches go, containers are stopped and removed. */
  async function teardown(p) {
    for (const l of p.links.values()) if (l.capturing) await endCapture(l);
    if (!wiring) return;
    for (const l of p.links.values()) await wiring.removeLink(l.link_id);
    await Promise.all(
      [...p.nodes.values()].map((n) => withNode(n, () => (n.node_type === 'docker' ? wiring.removeDockerNode(n.node_id) : wiring.removeSwitch(n.node_id)))),
    );
  }

  async function closeProject(p) {
    if (p.status === 'opened') await teardown(p);
    for (const n of p.nodes.values()) if (!ALWAYS_RUNNING.includes(n.node_type)) n.status = 'stopped';
    p.status = 'closed';
    return [204, undefined];
  }

  /** Opening again makes new containers (state Created, new ids), switches and links. */
  async function openProject(p) {
    if (p.status !== 'opened') {
      for (const n of p.nodes.values()) if (n.node_type === 'docker') n.properties.container_id = randomBytes(32).toString('hex');
      if (wiring) {
        for (const n of p.nodes.values()) {
          if (n.node_type === 'docker') n.properties.container_id = await wiring.createDockerNode(containerSpec(p, n));
          else await wiring.addSwitch(n.node_id);
        }
      }
      // The compute makes each NIO again from what the controller sends it at link creation.
      for (const l of p.links.values()) {
        if (filterNode(p, l)) l.computeFilters = activeFilters(l);
        if (wiring) await wiring.addLink(l.link_id, linkEnds(p, l), linkState(l));
      }
      p.status = 'opened';
    }
    return [201, projectJson(p)];
  }

  async function deleteProject(p) {
    if (p.status === 'opened') await teardown(p);
    if (wiring) {
      for (const n of p.nodes.values()) n.node_type === 'docker' ? wiring.forgetNode(n.node_id) : wiring.forgetSwitch(n.node_id);
      rmSync(projectDir(p), { recursive: true, force: true });
    }
    projects.delete(p.project_id);
    return [204, undefined];
  }

  // ---- auth ----

  function signJwt(sub) {
    const head = b64url(JSON.stringify({ typ: 'JWT', alg: 'HS256' }));
    const body = b64url(JSON.stringify({ sub, exp: Math.floor(Date.now() / 1000) + 1440 * 60 }));
    const sig = createHmac('sha256', jwtKey).update(`${head}.${body}`).digest('base64url');
    return `${head}.${body}.${sig}`;
  }

  function validJwt(token) {
    const [head, body, sig] = token.split('.');
    if (!head || !body || !sig) return false;
    if (createHmac('sha256', jwtKey).update(`${head}.${body}`).digest('base64url') !== sig) return false;
    try {
      return JSON.parse(Buffer.from(body, 'base64url').toString()).exp * 1000 > Date.now();
    } catch {
      return false;
    }
  }

  function basicOk(req) {
    const m = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
    if (!m) return false;
    return Buffer.from(m[1], 'base64').toString() === `${user}:${password}`;
  }

  // ---- routing ----

  // As 2.2.59 lists its built-in compute (test/fixtures/gns3/real-2.2.59.txt); name is the host's.
  const localCompute = () => ({
    capabilities: { node_types: ['cloud', 'ethernet_hub', 'ethernet_switch', 'nat', 'vpcs', 'virtualbox', 'dynamips', 'frame_relay_switch', 'atm_switch', 'qemu', 'vmware', 'traceng', 'docker', 'iou'], platform: 'linux', version },
    compute_id: 'local',
    connected: true,
    cpu_usage_percent: 1.0,
    host: '127.0.0.1',
    last_error: null,
    memory_usage_percent: 3.3,
    name: 'vm',
    port: server.address().port,
    protocol: 'http',
    user: user ?? null,
  });
  const computeIds = () => ['local', ...extraComputes.map((c) => c.compute_id)];
  /** A compute as the controller holds it: its JSON and its interfaces. */
  const computeById = (id) => {
    const extra = extraComputes.find((c) => c.compute_id === id);
    return extra ? { json: extraCompute(extra), interfaces: extra.interfaces ?? machineInterfaces() } : { json: localCompute(), interfaces: localInterfaces ?? machineInterfaces() };
  };
  /** An extra compute as the controller lists it: the local one's shape, its own id, name, host and port. */
  const extraCompute = (c) => ({ ...localCompute(), compute_id: c.compute_id, name: c.name ?? c.compute_id, host: c.host ?? '127.0.0.1', port: c.port ?? 3080 });

  async function route(method, parts, body, hasBody, query) {
    const [top, id, sub, subId, action, extra] = parts;
    if (top === 'version' && parts.length === 1 && method === 'GET') return [200, api === 'v3' ? { controller_host: '127.0.0.1', local: true, version } : { local: true, version }];
    if (top === 'computes') {
      // 3.0 does not list its built-in compute.
      if (parts.length === 1 && method === 'GET') return [200, [...(api === 'v3' ? [] : [localCompute()]), ...extraComputes.map(extraCompute)]];
      if (parts.length === 2 && method === 'GET') {
        const known = extraComputes.find((c) => c.compute_id === id);
        if (known) return [200, extraCompute(known)];
        if (api === 'v3') throw new HttpError(500, 'Database error detected, please check logs to find details');
        if (id !== 'local') throw new HttpError(404, `Compute ID ${id} doesn't exist`);
        return [200, localCompute()];
      }
      if (parts.length === 4 && sub === 'docker' && subId === 'images' && method === 'GET') {
        if (!computeIds().includes(id)) throw new HttpError(404, `Compute ID ${id} doesn't exist`);
        const list = images === undefined ? await wiring.listImages() : images;
        if (list === null) throw new HttpError(409, 'Docker has returned an error: Cannot connect to unix socket /var/run/docker.sock ssl:default [No such file or directory]');
        return [200, list.map((image) => ({ image }))];
      }
    }
    if (top === 'projects') {
      if (parts.length === 1) {
        if (method === 'GET') return [200, [...projects.values()].map(projectJson)];
        if (method === 'POST') return createProject(body);
      }
      const p = getProject(id);
      if (parts.length === 2) {
        if (method === 'GET') return [200, projectJson(p)];
        if (method === 'DELETE') return deleteProject(p);
      }
      if (parts.length === 3 && method === 'POST' && sub === 'close') return closeProject(p);
      if (parts.length === 3 && method === 'POST' && sub === 'open') return openProject(p);
      if (sub === 'nodes') {
        if (parts.length === 3 && method === 'GET') return [200, [...p.nodes.values()].map((n) => nodeJson(p, n))];
        if (parts.length === 3 && method === 'POST') return createNode(p, body);
        if (parts.length === 4 && method === 'POST' && ['start', 'stop', 'suspend'].includes(subId)) return allNodesAction(p, subId);
        const n = getNode(p, subId);
        if (parts.length === 4 && method === 'GET') return [200, nodeJson(p, n)];
        if (parts.length === 4 && method === 'DELETE') return deleteNode(p, n);
        if (parts.length === 5 && method === 'POST' && ['start', 'stop', 'suspend'].includes(action)) return nodeAction(p, n, action, hasBody);
        if (parts.length === 5 && method === 'GET' && action === 'links') return [200, [...p.links.values()].filter((l) => l.nodes.some((e) => e.node_id === n.node_id)).map((l) => linkJson(p, l))];
      }
      if (sub === 'links') {
        if (parts.length === 3 && method === 'GET') return [200, [...p.links.values()].map((l) => linkJson(p, l))];
        if (parts.length === 3 && method === 'POST') return createLink(p, body);
        const l = getLink(p, subId);
        if (parts.length === 4 && method === 'GET') return [200, linkJson(p, l)];
        if (parts.length === 4 && method === 'PUT') return updateLink(p, l, body);
        if (parts.length === 4 && method === 'DELETE') {
          await removeLink(p, l);
          return [204, undefined];
        }
        if (parts.length === 5 && method === 'GET' && action === 'available_filters') return [200, filterNode(p, l) ? FILTER_TYPES.map((type) => ({ type })) : []];
        if (api === 'v2' && parts.length === 5 && method === 'POST' && action === 'start_capture') return startCapture(p, l, body);
        if (api === 'v2' && parts.length === 5 && method === 'POST' && action === 'stop_capture') return stopCapture(p, l);
        if (api === 'v3' && parts.length === 6 && method === 'POST' && action === 'capture' && extra === 'start') return startCapture(p, l, body);
        if (api === 'v3' && parts.length === 6 && method === 'POST' && action === 'capture' && extra === 'stop') return stopCapture(p, l);
        if (api === 'v2' && parts.length === 5 && method === 'GET' && action === 'pcap') return pcapStream(p, l);
        if (api === 'v3' && parts.length === 6 && method === 'GET' && action === 'capture' && extra === 'stream') return pcapStream(p, l);
      }
      if (sub === 'files' && parts.length >= 4 && method === 'GET') return projectFile(p, parts.slice(3).join('/'));
      if (sub === 'drawings') {
        if (parts.length === 3 && method === 'GET') return [200, [...p.drawings.values()].map((d) => drawingJson(p, d))];
        if (parts.length === 3 && method === 'POST') return createDrawing(p, body);
        const d = p.drawings.get(subId);
        if (!d) throw new HttpError(404, `Drawing ID ${subId} doesn't exist`);
        if (parts.length === 4 && method === 'GET') return [200, drawingJson(p, d)];
        if (parts.length === 4 && method === 'DELETE') {
          p.drawings.delete(d.drawing_id);
          return [204, undefined];
        }
      }
    }
    return undefined;
  }

  function send(res, status, body, headers = {}) {
    if (body === undefined) {
      res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': 0, ...headers });
      res.end();
      return;
    }
    const text = typeof body === 'string' ? body : api === 'v3' ? JSON.stringify(body) : JSON.stringify(body, null, 4);
    res.writeHead(status, { 'Content-Type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  async function handle(req, res) {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const raw = Buffer.concat(chunks).toString();
    const url = new URL(req.url, 'http://standin');
    const method = req.method;
    const prefix = `/${api}/`;

    // 2.2: an unknown path is a 404 before auth is checked (seen on 2.2.59: /v3/version with auth on).
    if (api === 'v2' && !url.pathname.startsWith(prefix) && !url.pathname.startsWith('/static/')) return send(res, 404, '404: Not Found');
    // 2.2: with auth on, every route answers 401 without the right pair, /v2/version and /static included.
    if (api === 'v2' && user !== undefined && !basicOk(req)) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="GNS3 server"', 'Content-Length': 0, 'Content-Type': 'application/octet-stream', Server: `Python/3.11 GNS3/${version}` });
      res.end();
      return;
    }
    if (!url.pathname.startsWith(prefix)) {
      if (api === 'v3') return send(res, 404, { detail: 'Not Found' });
      return send(res, 404, '404: Not Found');
    }
    const parts = url.pathname.slice(prefix.length).split('/').filter(Boolean).map(decodeURIComponent);

    if (api === 'v3') {
      // FastAPI matches the route before it runs the auth dependency.
      if (!['version', 'computes', 'projects', 'access', 'templates', 'appliances', 'images', 'symbols'].includes(parts[0] ?? '')) return send(res, 404, { detail: 'Not Found' });
      const public_ = parts.join('/') === 'version';
      if (parts.join('/') === 'access/users/login' && method === 'POST') {
        if (!/application\/x-www-form-urlencoded/.test(req.headers['content-type'] ?? ''))
          return send(res, 422, { message: "[{'type': 'missing', 'loc': ('body', 'username'), 'msg': 'Field required', 'input': None}, {'type': 'missing', 'loc': ('body', 'password'), 'msg': 'Field required', 'input': None}]" });
        const form = new URLSearchParams(raw);
        if (form.get('username') !== user || form.get('password') !== password) return send(res, 401, { message: 'Authentication was unsuccessful.' }, { 'WWW-Authenticate': 'Bearer' });
        return send(res, 200, { access_token: signJwt(user), token_type: 'bearer' });
      }
      if (parts.join('/') === 'access/users/authenticate' && method === 'POST') {
        let creds;
        try {
          creds = JSON.parse(raw);
        } catch {
          creds = {};
        }
        if (creds.username !== user || creds.password !== password) return send(res, 401, { message: 'Authentication was unsuccessful.' }, { 'WWW-Authenticate': 'Bearer' });
        return send(res, 200, { access_token: signJwt(user), token_type: 'bearer' });
      }
      if (!public_) {
        const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? url.searchParams.get('token') ?? undefined;
        if (!bearer) return send(res, 401, { message: 'Not authenticated' }, { 'WWW-Authenticate': 'Bearer' });
        if (!validJwt(bearer)) return send(res, 401, { message: 'Could not validate credentials' }, { 'WWW-Authenticate': 'Bearer' });
      }
      if (parts.join('/') === 'access/users/me' && method === 'GET')
        return send(res, 200, { created_at: '2026-12-01T22:08:33', email: null, full_name: 'Super Administrator', is_active: true, is_superadmin: true, last_login: null, updated_at: '2026-12-01T22:08:33', user_id: '5e137475-f334-4231-afbe-a28f4c12e810', username: user });
    }

    let body;
    if (raw !== '') {
      try {
        body = JSON.parse(raw);
      } catch (e) {
        return send(res, 400, errorBody(400, `Invalid JSON ${e.message}`));
      }
    }
    if (parts[0] !== 'access') requests.push({ method, path: url.pathname, body });
    try {
      const answer = await route(method, parts, body, raw !== '', url.searchParams);
      if (!answer) {
        if (api === 'v3') return send(res, 404, { detail: 'Not Found' });
        return send(res, 404, '404: Not Found');
      }
      if (answer.stream) return await answer.stream(res);
      return send(res, answer[0], answer[1]);
    } catch (e) {
      if (res.headersSent) return res.destroy();
      if (e instanceof HttpError) return send(res, e.status, errorBody(e.status, e.message, e.extra));
      if (e instanceof DockerError) return send(res, 409, errorBody(409, e.message));
      return send(res, 500, errorBody(500, String(e?.stack ?? e)));
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      res.writeHead(500);
      res.end(String(e));
    });
  });
  await new Promise((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const addr = server.address();
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${addr.port}`,
    api,
    version,
    /** The in-memory state, for assertions: project_id -> project. */
    projects,
    /** The requests served past authentication, in order (method, path without query, JSON body). */
    requests,
    /**
     * The filters link's compute holds (what its ubridge applies; with containers, what the
     * nft rules drop): on 3.0.6 they can differ from the link JSON's. undefined for an unknown
     * link or one without a filter node.
     */
    computeFilters(projectId, linkId) {
      const p = projects.get(projectId);
      const l = p?.links.get(linkId);
      return l && filterNode(p, l) ? structuredClone(l.computeFilters) : undefined;
    },
    /** Whether docker nodes are real containers. */
    containers: Boolean(wiring),
    /** With containers: the stand-in's data directory (a temp dir; removed by close()). */
    dataDir,
    /** With containers: the stand-in's network namespace, once made (undefined before and after). */
    get namespace() {
      return wiring?.namespace;
    },
    /** With containers: whether the kernel has sch_netem (delay, corrupt); undefined until the namespace exists. */
    get netem() {
      return wiring?.netem;
    },
    /**
     * With containers: link_id -> the stored filters the stand-in does not apply (bpf always;
     * delay and corrupt without sch_netem). The API answers as if they were applied.
     */
    unappliedFilters: wiring?.unappliedFilters ?? new Map(),
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const p of projects.values()) for (const l of p.links.values()) l.capturing = false;
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(() => resolve()));
      // Containers, the namespace (with every interface in it) and the temp dirs go.
      if (wiring) await wiring.close();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// Run as a program: a server on --port until SIGTERM/SIGINT.
if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const opt = (name) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const imgs = args.flatMap((a, i) => (a === '--image' ? [args[i + 1]] : []));
  const s = await startGns3Standin({
    api: opt('api') ?? 'v2',
    port: Number(opt('port') ?? 3080),
    user: opt('user'),
    password: opt('password'),
    images: imgs.length ? imgs : undefined,
    containers: args.includes('--containers'),
  });
  process.stdout.write(`GNS3 stand-in (${s.api}, ${s.version}) on ${s.url}\n`);
  const stop = () => s.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
