#!/usr/bin/env node
// A stand-in for a GNS3 server, for lvslab's tests only: no GNS3 server can be installed in CI.
// It shares no code with src/ on purpose — it is the server's side of the contract, written
// from what real servers answered, so a client bug cannot hide in shared code.
//
// What it mirrors, and from where (files in ../shared/reference/ of the lvslab workspace):
//   - GNS3 2.2.59's /v2 API (gns3-transcript.txt, gns3-transcript-docker.txt, gns3-api-v2.md, and
//     this repository's test/fixtures/gns3/real-2.2.59.txt, recorded by the contract suite):
//     version, computes, docker images, projects (create 201 with auto_close, duplicate 409,
//     close 204, open 201, delete 204 then 404, 403 "The project is not opened" on a closed
//     one), nodes (docker and ethernet_switch JSON as the server gives them, duplicate names
//     renamed R1 -> R2 / PCa -> PCa1, single start/stop 200 with the status from *before*, the
//     new status readable a moment later, all-nodes start/stop 204, switches started at
//     creation, docker MACs 02:42:<node_id[2:8]>:NN or base+N), links (201, "Port is already
//     used" 409, "Port 0/99 for SW1 not found" 404, PUT 201, suspend, filters stored even when
//     refused with ubridge's 409, a non-array filter value a 500 traceback, available_filters),
//     HTTP basic auth (401, empty body, WWW-Authenticate: Basic realm="GNS3 server", on every
//     route; an unknown path is aiohttp's plain 404 first), errors as {"message","status"};
//     on request, a compute without dynamips (409 "Could not find Dynamips" for a switch) and
//     a host refusing privileged containers (the 409 runc caps error at docker node start).
//   - GNS3 3.0.6's /v3 API (gns3-transcript-v3.txt): public /v3/version, login by form
//     (/access/users/login) or JSON (/access/users/authenticate) giving an HS256 JWT, 401
//     "Not authenticated" / "Could not validate credentials" / "Authentication was
//     unsuccessful." with WWW-Authenticate: Bearer, ?token= accepted, /computes listing [] and
//     /computes/local a 500, single start/stop 204 (start 422 without a JSON body), PUT link
//     200, compute errors wrapped ("HTTP error 422 received from compute …"), 422 for non-UUID
//     ids and missing fields (pydantic's repr), {"detail":"Not Found"} for unknown routes,
//     errors as {"message"}.
//   - Packet capture and drawings are not in the transcripts: their paths, statuses and bodies
//     follow gns3-server's v2.2.59 and v3.0.6 sources (start_capture/stop_capture 201 + link on
//     2.2, capture/start 201 + link and capture/stop 204 on 3.0; drawings 201/204).
// Left out: templates, VPCS and every other node type, node files, PUT on nodes, suspend and
// reload of nodes, notifications, websockets, cross-compute links, the GUI's /static, users
// and access control beyond one login, and the 2.2 docker-node failure without console_type
// (its body was not recorded).
// TODO (the runtime-wiring session): docker nodes are bookkeeping only. The real server makes
// a container `GNS3.<node name>.<project_id>` at node creation (NetworkDisabled, privileged),
// moves a TAP per adapter into it at start (ethN, carrier always 1), bridges linked ports
// through ubridge (frames dropped both ways while a link is suspended, no carrier change) and
// deletes the containers on close and delete. This stand-in does none of that yet: it needs
// real containers on the Docker engine wired the same way before `lvslab up --runtime gns3`
// can run against it.
//
// Use: import { startGns3Standin } from './server.mjs' (tests), or
//      node server.mjs [--api v2|v3] [--port N] [--user U --password P] [--image repo:tag]…
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LABEL_STYLE = 'font-family: TypeWriter;font-size: 10.0;font-weight: bold;fill: #000000;fill-opacity: 1.0;';
const FILTER_TYPES = ['frequency_drop', 'packet_loss', 'delay', 'corrupt', 'bpf'];
const FILTER_RANGES = { frequency_drop: [-1, 32767], packet_loss: [0, 100], delay: [0, 32767], corrupt: [0, 100] };
const ALWAYS_RUNNING = ['ethernet_switch', 'ethernet_hub', 'cloud', 'nat'];
const DATA = '<gns3-data>';

class HttpError extends Error {
  constructor(status, message, extra = {}) {
    super(message);
    this.status = status;
    this.extra = extra;
  }
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
 * (the local compute's Docker images; `null` = no Docker engine reachable), statusDelayMs
 * (how long after a start/stop answer the node changes status).
 */
export async function startGns3Standin(options = {}) {
  const api = options.api ?? 'v2';
  const version = options.version ?? (api === 'v3' ? '3.0.6' : '2.2.59');
  const user = options.user ?? (api === 'v3' ? 'admin' : undefined);
  const password = options.password ?? (api === 'v3' ? 'admin' : undefined);
  const images = options.images === undefined ? ['lvslab/node:latest'] : options.images;
  const statusDelayMs = options.statusDelayMs ?? 30;
  // A compute without dynamips cannot make switches; one whose kernel refuses privileged
  // containers cannot start docker nodes (both seen on these machines with 2.2.59).
  const dynamips = options.dynamips ?? true;
  const privileged = options.privilegedContainers ?? true;
  const jwtKey = randomBytes(32);
  const projects = new Map();
  const timers = new Set();
  let nextConsole = api === 'v3' ? 6000 : 5000;

  // ---- helpers on the API's shapes ----

  const errorBody = (status, message, extra) => (api === 'v3' ? { message } : { message, status, ...extra });

  function later(fn) {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
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
      path: `${DATA}/${api === 'v3' ? '' : 'data/'}projects/${p.project_id}`,
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

  function nodeJson(p, n) {
    const ports = [];
    if (n.node_type === 'docker') {
      for (let a = 0; a < n.properties.adapters; a++) ports.push(portJson(n, a, 0, `eth${a}`, `eth${a}`, macPlus(n.properties.mac_address, a)));
    } else {
      for (const m of n.properties.ports_mapping) ports.push(portJson(n, 0, m.port_number, m.name, `e${m.port_number}`, undefined));
    }
    const j = {};
    if (api === 'v3') Object.assign(j, { aux: n.node_type === 'docker' ? n.properties.aux : null, aux_type: n.node_type === 'docker' ? 'none' : null });
    Object.assign(j, {
      command_line: n.node_type === 'docker' ? (n.status === 'started' ? '' : null) : null,
      compute_id: n.compute_id,
      console: n.console,
      console_auto_start: false,
      console_host: '127.0.0.1',
      console_type: n.console_type,
      custom_adapters: [],
      first_port_name: null,
      height: 59,
      label: { rotation: 0, style: null, text: n.name, x: null, y: -40 },
      locked: false,
      name: n.name,
      node_directory: n.node_type === 'docker' ? `${DATA}/${api === 'v3' ? '' : 'data/'}projects/${p.project_id}/project-files/docker/${n.node_id}` : null,
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
      capture_compute_id: l.capturing ? 'local' : null,
      capture_file_name: l.capture_file_name,
      capture_file_path: l.capture_file_name ? `${DATA}/${api === 'v3' ? '' : 'data/'}projects/${p.project_id}/project-files/captures/${l.capture_file_name}` : null,
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

  function createNode(p, body) {
    requireOpen(p);
    const allowed = ['name', 'node_type', 'compute_id', 'x', 'y', 'z', 'console', 'console_type', 'properties', 'custom_adapters', 'symbol', 'label', 'locked', 'port_name_format', 'port_segment_size', 'first_port_name', 'node_id', 'console_auto_start'];
    const extra = Object.keys(body ?? {}).filter((k) => !allowed.includes(k));
    if (extra.length && api === 'v2')
      throw new HttpError(400, `JSON schema error with API request '/v2/projects/${p.project_id}/nodes' and JSON data '${pyRepr(body)}': Additional properties are not allowed (${extra.map((k) => `'${k}'`).join(', ')} ${extra.length > 1 ? 'were' : 'was'} unexpected)`);
    if (body?.compute_id === undefined) {
      if (api === 'v3') throw new HttpError(422, `[{'type': 'missing', 'loc': ('body', 'compute_id'), 'msg': 'Field required', 'input': ${pyRepr(body)}}]`);
      throw new HttpError(400, `JSON schema error with API request '/v2/projects/${p.project_id}/nodes' and JSON data '${pyRepr(body)}': 'compute_id' is a required property`);
    }
    if (body.compute_id !== 'local') throw new HttpError(404, `Compute ID ${body.compute_id} doesn't exist`);
    const nodeId = randomUUID();
    const props = body.properties ?? {};
    const node = { node_id: nodeId, node_type: body.node_type, compute_id: 'local', x: body.x ?? 0, y: body.y ?? 0, links: new Set() };
    if (body.node_type === 'docker') {
      if (typeof props.image !== 'string') {
        const compute = api === 'v3' ? 'vm (controller)' : 'local';
        const input = { compute_id: 'local', name: body.name, node_id: nodeId };
        if (api === 'v3')
          throw new HttpError(422, `HTTP error 422 received from compute '${compute}' for request POST /projects/${p.project_id}/docker/nodes: ${JSON.stringify({ detail: [{ type: 'missing', loc: ['body', 'image'], msg: 'Field required', input }] })}`);
        throw new HttpError(400, `Bad request http://127.0.0.1:3080/v2/compute/projects/${p.project_id}/docker/nodes ${JSON.stringify({ message: `JSON schema error with API request '/v2/compute/projects/${p.project_id}/docker/nodes' and JSON data '${pyRepr(input)}': 'image' is a required property`, status: 400 })}`);
      }
      if (images === null) throw new HttpError(409, 'Docker has returned an error: Cannot connect to unix socket /var/run/docker.sock ssl:default [No such file or directory]');
      const image = props.image.includes(':') ? props.image : `${props.image}:latest`;
      if (!images.includes(image)) throw new HttpError(409, `Could not pull the '${props.image}' image`);
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
    p.nodes.set(nodeId, node);
    return [201, nodeJson(p, node)];
  }

  function getNode(p, id) {
    if (api === 'v3' && !UUID.test(id)) throw uuidError('node_id', id);
    const n = p.nodes.get(id);
    if (!n) throw new HttpError(404, `Node ID ${id} doesn't exist`);
    return n;
  }

  function nodeAction(p, n, action, hasBody) {
    requireOpen(p);
    if (api === 'v3' && action === 'start' && !hasBody) throw new HttpError(422, "[{'type': 'missing', 'loc': ('body',), 'msg': 'Field required', 'input': None}]");
    if (action === 'start' && n.node_type === 'docker' && !privileged)
      throw new HttpError(409, "Docker has returned an error: 500 b'failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: unable to apply caps: operation not permitted: unknown\\n'");
    const before = nodeJson(p, n);
    if (!ALWAYS_RUNNING.includes(n.node_type)) {
      const want = action === 'start' ? 'started' : 'stopped';
      // Both servers answer before the node reads its new status.
      later(() => {
        if (p.nodes.get(n.node_id) === n) n.status = want;
      });
    }
    return api === 'v3' ? [204, undefined] : [200, before];
  }

  function deleteNode(p, n) {
    requireOpen(p);
    for (const l of [...p.links.values()]) if (l.nodes.some((e) => e.node_id === n.node_id)) p.links.delete(l.link_id);
    p.nodes.delete(n.node_id);
    return [204, undefined];
  }

  function createLink(p, body) {
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
    const l = { link_id: randomUUID(), nodes: ends.map((e) => ({ node_id: e.node_id, adapter_number: e.adapter_number, port_number: e.port_number })), filters: {}, suspend: false, capturing: false, capture_file_name: null };
    p.links.set(l.link_id, l);
    return [201, linkJson(p, l, { created: true })];
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

  function updateLink(p, l, body) {
    if (body?.filters !== undefined) {
      // The controller stores the filters before ubridge gets to refuse them.
      const old = l.filters;
      l.filters = Object.fromEntries(Object.entries(body.filters).filter(([, v]) => !(Array.isArray(v) && v.length > 0 && v.every((x) => x === 0))));
      for (const [k, v] of Object.entries(body.filters)) {
        if (!Array.isArray(v)) {
          l.filters = old;
          throw new HttpError(500, `Traceback (most recent call last):\n  File "${DATA}/gns3server/web/route.py", line 200, in control_schema\n    await func(request, response)\n  File "${DATA}/gns3server/controller/link.py", line 120, in update_filters\n    for v in values:\nTypeError: 'int' object is not iterable`);
        }
        const range = FILTER_RANGES[k];
        const bad = !FILTER_TYPES.includes(k) || (range && v.some((x) => !Number.isInteger(x) || x < range[0] || x > range[1]));
        if (bad) {
          const n = filterNode(p, l);
          const bridge = n ? `DOCKER-${n.node_id}` : `VPCS-${l.nodes[0].node_id}`;
          throw new HttpError(409, `Error while sending command 'bridge add_packet_filter ${bridge} filter0 ${k} ${v.join(' ')}': Failed to add filter 'filter0': uBridge version 0.9.19 running with libpcap version 1.10.3 (with TPACKET_V3)\nHypervisor TCP control server started (IP 127.0.0.1 port 20000)`);
        }
      }
    }
    if (typeof body?.suspend === 'boolean') l.suspend = body.suspend;
    return [api === 'v3' ? 200 : 201, linkJson(p, l)];
  }

  function startCapture(p, l, body) {
    const running = l.nodes.map((e) => p.nodes.get(e.node_id)).some((n) => n && n.status === 'started');
    if (!running) throw new HttpError(409, 'Cannot capture because there is no running device on this link');
    const [a, b] = l.nodes.map((e) => ({ ...e, name: p.nodes.get(e.node_id)?.name ?? '' }));
    l.capture_file_name = body?.capture_file_name ?? `${a.name}_${a.adapter_number}-${a.port_number}_to_${b.name}_${b.adapter_number}-${b.port_number}`.replace(/[^0-9A-Za-z_-]/g, '') + '.pcap';
    l.capturing = true;
    return [201, linkJson(p, l)];
  }

  function stopCapture(p, l) {
    l.capturing = false;
    return api === 'v3' ? [204, undefined] : [201, linkJson(p, l)];
  }

  function createDrawing(p, body) {
    requireOpen(p);
    const d = { drawing_id: randomUUID(), svg: body?.svg ?? '<svg></svg>', x: body?.x ?? 0, y: body?.y ?? 0, z: body?.z ?? 2 };
    p.drawings.set(d.drawing_id, d);
    return [201, drawingJson(p, d)];
  }

  function closeProject(p) {
    // Closing stops every node (the real server deletes their containers).
    for (const n of p.nodes.values()) if (!ALWAYS_RUNNING.includes(n.node_type)) n.status = 'stopped';
    for (const l of p.links.values()) l.capturing = false;
    p.status = 'closed';
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

  function route(method, parts, body, hasBody, query) {
    const [top, id, sub, subId, action, extra] = parts;
    if (top === 'version' && parts.length === 1 && method === 'GET') return [200, api === 'v3' ? { controller_host: '127.0.0.1', local: true, version } : { local: true, version }];
    if (top === 'computes') {
      // 3.0 does not list its built-in compute.
      if (parts.length === 1 && method === 'GET') return [200, api === 'v3' ? [] : [localCompute()]];
      if (parts.length === 2 && method === 'GET') {
        if (api === 'v3') throw new HttpError(500, 'Database error detected, please check logs to find details');
        if (id !== 'local') throw new HttpError(404, `Compute ID ${id} doesn't exist`);
        return [200, localCompute()];
      }
      if (parts.length === 4 && sub === 'docker' && subId === 'images' && method === 'GET') {
        if (id !== 'local') throw new HttpError(404, `Compute ID ${id} doesn't exist`);
        if (images === null) throw new HttpError(409, 'Docker has returned an error: Cannot connect to unix socket /var/run/docker.sock ssl:default [No such file or directory]');
        return [200, images.map((image) => ({ image }))];
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
        if (method === 'DELETE') {
          projects.delete(p.project_id);
          return [204, undefined];
        }
      }
      if (parts.length === 3 && method === 'POST' && sub === 'close') return closeProject(p);
      if (parts.length === 3 && method === 'POST' && sub === 'open') {
        p.status = 'opened';
        return [201, projectJson(p)];
      }
      if (sub === 'nodes') {
        if (parts.length === 3 && method === 'GET') return [200, [...p.nodes.values()].map((n) => nodeJson(p, n))];
        if (parts.length === 3 && method === 'POST') return createNode(p, body);
        if (parts.length === 4 && method === 'POST' && (subId === 'start' || subId === 'stop')) {
          requireOpen(p);
          for (const n of p.nodes.values()) if (!ALWAYS_RUNNING.includes(n.node_type)) n.status = subId === 'start' ? 'started' : 'stopped';
          return [204, undefined];
        }
        const n = getNode(p, subId);
        if (parts.length === 4 && method === 'GET') return [200, nodeJson(p, n)];
        if (parts.length === 4 && method === 'DELETE') return deleteNode(p, n);
        if (parts.length === 5 && method === 'POST' && (action === 'start' || action === 'stop')) return nodeAction(p, n, action, hasBody);
        if (parts.length === 5 && method === 'GET' && action === 'links') return [200, [...p.links.values()].filter((l) => l.nodes.some((e) => e.node_id === n.node_id)).map((l) => linkJson(p, l))];
      }
      if (sub === 'links') {
        if (parts.length === 3 && method === 'GET') return [200, [...p.links.values()].map((l) => linkJson(p, l))];
        if (parts.length === 3 && method === 'POST') return createLink(p, body);
        const l = getLink(p, subId);
        if (parts.length === 4 && method === 'GET') return [200, linkJson(p, l)];
        if (parts.length === 4 && method === 'PUT') return updateLink(p, l, body);
        if (parts.length === 4 && method === 'DELETE') {
          p.links.delete(l.link_id);
          return [204, undefined];
        }
        if (parts.length === 5 && method === 'GET' && action === 'available_filters') return [200, filterNode(p, l) ? FILTER_TYPES.map((type) => ({ type })) : []];
        if (api === 'v2' && parts.length === 5 && method === 'POST' && action === 'start_capture') return startCapture(p, l, body);
        if (api === 'v2' && parts.length === 5 && method === 'POST' && action === 'stop_capture') return stopCapture(p, l);
        if (api === 'v3' && parts.length === 6 && method === 'POST' && action === 'capture' && extra === 'start') return startCapture(p, l, body);
        if (api === 'v3' && parts.length === 6 && method === 'POST' && action === 'capture' && extra === 'stop') return stopCapture(p, l);
      }
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
    try {
      const answer = route(method, parts, body, raw !== '', url.searchParams);
      if (!answer) {
        if (api === 'v3') return send(res, 404, { detail: 'Not Found' });
        return send(res, 404, '404: Not Found');
      }
      return send(res, answer[0], answer[1]);
    } catch (e) {
      if (e instanceof HttpError) return send(res, e.status, errorBody(e.status, e.message, e.extra));
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
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(() => resolve()));
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
  });
  process.stdout.write(`GNS3 stand-in (${s.api}, ${s.version}) on ${s.url}\n`);
  const stop = () => s.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
