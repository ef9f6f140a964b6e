// The GNS3 REST client: one typed method per call lvslab makes, on either API (/v2 with HTTP
// basic auth, /v3 with a JWT login, detected from the server), with the servers' quirks
// absorbed here so callers see one behaviour. Error wording lives in errors.ts, credential
// scrubbing in redact.ts, server discovery in config.ts.
import axios, { type AxiosInstance, type AxiosRequestConfig } from 'axios';
import { EXIT, LvslabError } from '../util/errors.js';
import type { Gns3ServerRef } from './config.js';
import { gns3Error, unreachableError } from './errors.js';
import { displayUrl, redactText, redactValue } from './redact.js';
import type {
  Gns3Api,
  Gns3Compute,
  Gns3Drawing,
  Gns3Exchange,
  Gns3Link,
  Gns3LinkEnd,
  Gns3LinkFilters,
  Gns3Node,
  Gns3NodeStatus,
  Gns3Project,
  Gns3Version,
} from './types.js';

export interface Gns3ClientOptions {
  server: Gns3ServerRef;
  /** One request's budget; closing a project with running docker nodes took 11.4 s. Default 120 s. */
  timeoutMs?: number;
  /** How long a node may take to read the status a start/stop asked for. Default 60 s. */
  statusTimeoutMs?: number;
  /** Default 100 ms. */
  pollIntervalMs?: number;
  /** Sees every exchange, credentials redacted (transcripts, --verbose). */
  onExchange?: (e: Gns3Exchange) => void;
}

export interface DockerNodeSpec {
  name: string;
  image: string;
  /** eth0…eth(N-1); adapter N is port 0 of adapter N. */
  adapters: number;
  /** The base MAC: eth0 gets it, ethN base+N. */
  macAddress?: string;
  /** One MAC per adapter (GNS3's top-level custom_adapters), where base+N will not do. */
  adapterMacs?: string[];
  computeId?: string;
  x?: number;
  y?: number;
  /** GNS3 refuses a docker node without one; default telnet (a console per node). */
  consoleType?: 'telnet' | 'vnc' | 'http' | 'https' | 'none';
  environment?: Record<string, string>;
  startCommand?: string;
  extraVolumes?: string[];
}

export interface SwitchSpec {
  name: string;
  /** Access ports on VLAN 1, numbered from 0; GNS3's default is 8. */
  ports?: number;
  computeId?: string;
  x?: number;
  y?: number;
}

export interface CreateNodeOptions {
  /**
   * GNS3 renames a duplicate name (R1 → R2, PCa → PCa1) instead of refusing it. With
   * exactName (the default) the renamed node is removed again and the call fails.
   */
  exactName?: boolean;
}

export interface LinkUpdate {
  suspend?: boolean;
  filters?: Gns3LinkFilters;
}

/** A link end on a docker node's ethN. */
export const dockerEnd = (node: Gns3Node | string, adapter: number): Gns3LinkEnd => ({ node_id: typeof node === 'string' ? node : node.node_id, adapter_number: adapter, port_number: 0 });
/** A link end on port N of an ethernet_switch. */
export const switchEnd = (node: Gns3Node | string, port: number): Gns3LinkEnd => ({ node_id: typeof node === 'string' ? node : node.node_id, adapter_number: 0, port_number: port });

const FILTER_RANGES: Record<Exclude<keyof Gns3LinkFilters, 'bpf'>, { min: number; max: number; arity: number[] }> = {
  frequency_drop: { min: -1, max: 32767, arity: [1] },
  packet_loss: { min: 0, max: 100, arity: [1] },
  delay: { min: 0, max: 32767, arity: [1, 2] },
  corrupt: { min: 0, max: 100, arity: [1] },
};

/**
 * Checks filters before they are sent: GNS3 stores a filter ubridge refused and the link then
 * passes nothing until its filters are reset, and a non-array value is a 500.
 */
export function validateFilters(filters: Gns3LinkFilters): void {
  for (const [k, v] of Object.entries(filters) as [string, unknown][]) {
    if (k === 'bpf') {
      if (!Array.isArray(v) || v.length !== 1 || typeof v[0] !== 'string') throw new LvslabError(`link filter bpf must be one string of BPF expressions, got ${JSON.stringify(v)}`, EXIT.invalidInput);
      continue;
    }
    const r = FILTER_RANGES[k as keyof typeof FILTER_RANGES];
    if (!r) throw new LvslabError(`unknown GNS3 link filter ${k}`, EXIT.invalidInput, 'GNS3 filters: packet_loss, delay, corrupt, frequency_drop, bpf');
    if (!Array.isArray(v) || !r.arity.includes(v.length) || !v.every((n) => Number.isInteger(n) && n >= r.min && n <= r.max))
      throw new LvslabError(`link filter ${k} takes ${r.arity.join(' or ')} integer(s) in ${r.min}..${r.max}, got ${JSON.stringify(v)}`, EXIT.invalidInput);
  }
}

/** A text note for the canvas: GNS3 drawings are SVG. */
export function noteSvg(text: string): string {
  const esc = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const lines = esc.split('\n');
  const width = Math.max(...lines.map((l) => l.length)) * 8 + 10;
  const height = lines.length * 18 + 6;
  const tspans = lines.map((l, i) => `<tspan x="0" dy="${i === 0 ? 14 : 18}">${l}</tspan>`).join('');
  return `<svg height="${height}" width="${width}"><text fill="#000000" fill-opacity="1.0" font-family="TypeWriter" font-size="12.0" font-weight="bold">${tspans}</text></svg>`;
}

interface RawAnswer {
  status: number;
  body: unknown;
  wwwAuthenticate?: string;
  /** A successful binary answer's bytes (a pcap): kept as they came, never decoded. */
  bytes?: Buffer;
}

/** How a request's answer is read: JSON or text (every API call), or bytes (a pcap, a project file). */
interface ExchangeOptions {
  binary?: boolean;
  /** Per-request axios settings: no timeout for a stream that lasts a run, a signal to give it up. */
  config?: AxiosRequestConfig;
}

/** A BPF expression no frame matches (pcap compiles it to "reject everything"). */
export const MATCHES_NO_FRAME = 'len < 0';

export class Gns3Client {
  private token: string | undefined;

  private constructor(
    private readonly http: AxiosInstance,
    private readonly opts: Gns3ClientOptions,
    /** Which API the server speaks. */
    readonly api: Gns3Api,
    /** The server's own version string, e.g. "2.2.59". */
    readonly serverVersion: string,
  ) {}

  /** The server's URL, safe to print. */
  get url(): string {
    return displayUrl(this.opts.server.url);
  }

  private get secrets(): (string | undefined)[] {
    return [this.opts.server.password, this.token];
  }

  /**
   * Finds out which API the server speaks and logs in. /v3/version is public on 3.0; a 2.2
   * server has no such route (404), or with auth on answers 401 with a Basic challenge.
   */
  static async connect(opts: Gns3ClientOptions): Promise<Gns3Client> {
    const http = axios.create({
      baseURL: opts.server.url.replace(/\/$/, ''),
      timeout: opts.timeoutMs ?? 120_000,
      // Statuses are interpreted here; bodies are parsed here so transcripts hold what came.
      validateStatus: () => true,
      responseType: 'text',
      transformResponse: [(d: unknown) => d],
      maxRedirects: 0,
      proxy: false,
    });
    const probe = new Gns3Client(http, opts, 'v3', '');
    const v3 = await probe.raw('GET', '/v3/version', undefined, 'asking the server for its version', {});
    if (v3.status === 200 && typeof (v3.body as Gns3Version | undefined)?.version === 'string') {
      const client = new Gns3Client(http, opts, 'v3', (v3.body as Gns3Version).version);
      await client.login();
      return client;
    }
    const v2probe = new Gns3Client(http, opts, 'v2', '');
    const v2 = await v2probe.raw('GET', '/v2/version', undefined, 'asking the server for its version', v2probe.authConfig());
    if (v2.status === 200 && typeof (v2.body as Gns3Version | undefined)?.version === 'string') return new Gns3Client(http, opts, 'v2', (v2.body as Gns3Version).version);
    if (v2.status === 401 || v2.status >= 500) throw v2probe.fail('GET', '/v2/version', v2, 'asking the server for its version');
    throw new LvslabError(
      `${displayUrl(opts.server.url)} does not answer like a GNS3 server (/v3/version: ${v3.status}, /v2/version: ${v2.status})`,
      EXIT.hostNotReady,
      'name a GNS3 2.2 or 3.0 server with --gns3-url URL or LVSLAB_GNS3_URL (its HTTP port, 3080 by default)',
    );
  }

  /** GNS3 3.0: POST /v3/access/users/authenticate with JSON credentials gives a bearer token. */
  private async login(): Promise<void> {
    const { user, password } = this.opts.server;
    if (user === undefined) return; // calls will fail with a 401 that says how to give credentials
    const doing = `logging in as ${user}`;
    const a = await this.raw('POST', '/v3/access/users/authenticate', { username: user, password: password ?? '' }, doing, {});
    const token = (a.body as { access_token?: unknown } | undefined)?.access_token;
    if (a.status !== 200 || typeof token !== 'string') throw this.fail('POST', '/v3/access/users/authenticate', a, doing);
    this.token = token;
  }

  private authConfig(): AxiosRequestConfig {
    const { user, password } = this.opts.server;
    if (this.api === 'v3') return this.token ? { headers: { Authorization: `Bearer ${this.token}` } } : {};
    return user !== undefined ? { auth: { username: user, password: password ?? '' } } : {};
  }

  /** One exchange; never throws axios's errors (their config holds the credentials). */
  private async raw(method: string, path: string, body: unknown, doing: string, config: AxiosRequestConfig, opts: ExchangeOptions = {}): Promise<RawAnswer> {
    const start = Date.now();
    let res;
    try {
      res = await this.http.request({
        ...config,
        ...opts.config,
        ...(opts.binary ? { responseType: 'arraybuffer' as const } : {}),
        method,
        url: path,
        data: body === undefined ? undefined : JSON.stringify(body),
        headers: { ...(config.headers ?? {}), ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      });
    } catch (e) {
      const code = (e as { code?: string }).code;
      throw unreachableError(this.url, code, redactText(doing, this.secrets));
    }
    if (opts.binary && res.status >= 200 && res.status < 300) {
      const bytes = Buffer.isBuffer(res.data) ? res.data : Buffer.from(res.data as ArrayBuffer);
      const type = res.headers['content-type'];
      // The exchange hook sees what came, not the bytes themselves (a transcript is text).
      this.opts.onExchange?.({ method, path, status: res.status, responseBody: `<${bytes.length} bytes${typeof type === 'string' ? `, ${type}` : ''}>`, durationMs: Date.now() - start });
      return { status: res.status, body: undefined, bytes };
    }
    // An error's body is text (JSON on both APIs) also where bytes were asked for.
    const text = typeof res.data === 'string' ? res.data : opts.binary && res.data ? Buffer.from(res.data as ArrayBuffer).toString('utf8') : '';
    let parsed: unknown = text === '' ? undefined : text;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON (a 401's empty body, a pcap, aiohttp's plain 404): kept as text
      }
    }
    const www = res.headers['www-authenticate'];
    const answer: RawAnswer = { status: res.status, body: parsed, wwwAuthenticate: typeof www === 'string' ? www : undefined };
    this.opts.onExchange?.({
      method,
      path,
      requestBody: body === undefined ? undefined : redactValue(body, this.secrets),
      status: res.status,
      responseBody: redactValue(parsed, this.secrets),
      durationMs: Date.now() - start,
    });
    return answer;
  }

  private fail(method: string, path: string, a: RawAnswer, doing: string): LvslabError {
    return gns3Error({ method, path, status: a.status, body: a.body, wwwAuthenticate: a.wwwAuthenticate, api: this.api, server: this.url, doing }, this.secrets);
  }

  /** A call below /v2 or /v3: any 2xx is success (the versions differ on 200/201/204). */
  private async call<T>(method: string, path: string, doing: string, body?: unknown): Promise<T> {
    return (await this.exchange(method, path, doing, body)).body as T;
  }

  /** A GET below /v2 or /v3 whose 2xx answer is bytes (a pcap, a project file). */
  private async getBytes(path: string, doing: string, config?: AxiosRequestConfig): Promise<Buffer> {
    return (await this.exchange('GET', path, doing, undefined, { binary: true, config })).bytes ?? Buffer.alloc(0);
  }

  private async exchange(method: string, path: string, doing: string, body: unknown, opts: ExchangeOptions = {}): Promise<RawAnswer> {
    const full = `/${this.api}${path}`;
    let a = await this.raw(method, full, body, doing, this.authConfig(), opts);
    // A 3.0 token lasts 1440 min by default and has no refresh: log in again once.
    if (a.status === 401 && this.api === 'v3' && this.token) {
      this.token = undefined;
      await this.login();
      a = await this.raw(method, full, body, doing, this.authConfig(), opts);
    }
    if (a.status < 200 || a.status >= 300) throw this.fail(method, full, a, doing);
    return a;
  }

  // ---- server ----

  async version(): Promise<Gns3Version> {
    return this.call<Gns3Version>('GET', '/version', 'asking the server for its version');
  }

  async computes(): Promise<Gns3Compute[]> {
    return this.call<Gns3Compute[]>('GET', '/computes', 'listing the computes');
  }

  /**
   * Whether the controller knows a compute. GNS3 3.0 does not list its built-in "local" one.
   * `listed`: the computes() answer the caller already has, so several ids cost one call.
   */
  async hasCompute(computeId: string, listed?: readonly Gns3Compute[]): Promise<boolean> {
    if (this.api === 'v3' && computeId === 'local') return true;
    return (listed ?? (await this.computes())).some((c) => c.compute_id === computeId);
  }

  /** The images on a compute's Docker engine, as "repo:tag". */
  async dockerImages(computeId = 'local'): Promise<string[]> {
    const list = await this.call<{ image: string }[]>('GET', `/computes/${encodeURIComponent(computeId)}/docker/images`, `listing the Docker images of compute ${computeId}`);
    return list.map((i) => i.image);
  }

  /** Fails, saying how to get it there, unless the image is on the compute (GNS3 would try to pull it). */
  async requireDockerImage(image: string, computeId = 'local'): Promise<void> {
    const want = image.includes(':') ? image : `${image}:latest`;
    const images = await this.dockerImages(computeId);
    if (images.includes(want)) return;
    throw new LvslabError(
      `the node image ${want} is not on the Docker engine of GNS3 compute ${computeId}`,
      EXIT.hostNotReady,
      computeId === 'local'
        ? `build it on the GNS3 server's host: lvslab images build (or docker save ${want} | docker load there)`
        : `copy it to the compute's host: docker save ${want} | ssh COMPUTE-HOST docker load`,
    );
  }

  // ---- projects ----

  async listProjects(): Promise<Gns3Project[]> {
    return this.call<Gns3Project[]>('GET', '/projects', 'listing the projects');
  }

  /** The project of that name, opened or closed; a crash or kill -9 of lvslab leaves only the name. */
  async findProject(name: string): Promise<Gns3Project | undefined> {
    return (await this.listProjects()).find((p) => p.name === name);
  }

  async getProject(projectId: string): Promise<Gns3Project> {
    return this.call<Gns3Project>('GET', `/projects/${projectId}`, `reading project ${projectId}`);
  }

  /**
   * Creates a project with auto_close off: with GNS3's default the project closes (its docker
   * containers deleted) ~5 s after the last client that read its notifications goes away.
   */
  async createProject(name: string): Promise<Gns3Project> {
    return this.call<Gns3Project>('POST', '/projects', `creating project ${name}`, { name, auto_close: false });
  }

  async openProject(projectId: string): Promise<Gns3Project> {
    return this.call<Gns3Project>('POST', `/projects/${projectId}/open`, `opening project ${projectId}`, this.api === 'v3' ? {} : undefined);
  }

  /** Opens a project that came back closed (after a server restart); every project call needs it open. */
  async ensureOpen(project: Gns3Project): Promise<Gns3Project> {
    const now = await this.getProject(project.project_id);
    return now.status === 'opened' ? now : this.openProject(project.project_id);
  }

  /** Closing deletes its docker containers; opening it again recreates them from the image. */
  async closeProject(projectId: string): Promise<void> {
    await this.call<void>('POST', `/projects/${projectId}/close`, `closing project ${projectId}`, this.api === 'v3' ? {} : undefined);
  }

  /** Deletes a project and what it made on the computes; `missingOk` for a down that may run twice. */
  async deleteProject(projectId: string, opts: { missingOk?: boolean } = {}): Promise<void> {
    try {
      await this.call<void>('DELETE', `/projects/${projectId}`, `deleting project ${projectId}`);
    } catch (e) {
      if (opts.missingOk && e instanceof LvslabError && e.exitCode === EXIT.notFound) return;
      throw e;
    }
  }

  // ---- nodes ----

  async listNodes(projectId: string): Promise<Gns3Node[]> {
    return this.call<Gns3Node[]>('GET', `/projects/${projectId}/nodes`, `listing the nodes of project ${projectId}`);
  }

  async getNode(projectId: string, nodeId: string): Promise<Gns3Node> {
    return this.call<Gns3Node>('GET', `/projects/${projectId}/nodes/${nodeId}`, `reading node ${nodeId}`);
  }

  private async createNode(projectId: string, body: Record<string, unknown>, opts: CreateNodeOptions): Promise<Gns3Node> {
    const name = String(body.name);
    const node = await this.call<Gns3Node>('POST', `/projects/${projectId}/nodes`, `creating node ${name}`, body);
    if (node.name !== name && (opts.exactName ?? true)) {
      await this.deleteNode(projectId, node.node_id);
      throw new LvslabError(
        `project ${projectId} already has a node named ${name} (GNS3 named the new one ${node.name}, which lvslab removed again)`,
        EXIT.failure,
        'lvslab down INSTANCE removes the old lab; or rename or delete that node in GNS3',
      );
    }
    return node;
  }

  /** A docker node: `adapters` interfaces, a base MAC, no Docker networking (GNS3 hands the interfaces in). */
  async createDockerNode(projectId: string, spec: DockerNodeSpec, opts: CreateNodeOptions = {}): Promise<Gns3Node> {
    const properties: Record<string, unknown> = { image: spec.image, adapters: spec.adapters };
    if (spec.macAddress) properties.mac_address = spec.macAddress;
    // GNS3 takes the environment as newline-separated text, not a list.
    if (spec.environment) properties.environment = Object.entries(spec.environment).map(([k, v]) => `${k}=${v}`).join('\n');
    if (spec.startCommand) properties.start_command = spec.startCommand;
    if (spec.extraVolumes) properties.extra_volumes = spec.extraVolumes;
    return this.createNode(
      projectId,
      {
        name: spec.name,
        node_type: 'docker',
        compute_id: spec.computeId ?? 'local',
        console_type: spec.consoleType ?? 'telnet',
        x: spec.x ?? 0,
        y: spec.y ?? 0,
        properties,
        ...(spec.adapterMacs ? { custom_adapters: spec.adapterMacs.map((mac_address, adapter_number) => ({ adapter_number, mac_address })) } : {}),
      },
      opts,
    );
  }

  /** An ethernet_switch (a dynamips process on the compute); it reads "started" from creation on. */
  async createSwitch(projectId: string, spec: SwitchSpec, opts: CreateNodeOptions = {}): Promise<Gns3Node> {
    const ports = spec.ports ?? 8;
    const ports_mapping = Array.from({ length: ports }, (_, i) => ({ name: `Ethernet${i}`, port_number: i, type: 'access', vlan: 1 }));
    return this.createNode(
      projectId,
      { name: spec.name, node_type: 'ethernet_switch', compute_id: spec.computeId ?? 'local', x: spec.x ?? 0, y: spec.y ?? 0, properties: { ports_mapping } },
      opts,
    );
  }

  /** Reads the node until it has the status, with a deadline: the action's own answer cannot say. */
  private async waitForStatus(projectId: string, nodeId: string, want: Gns3NodeStatus, action: string): Promise<Gns3Node> {
    const deadline = Date.now() + (this.opts.statusTimeoutMs ?? 60_000);
    const interval = this.opts.pollIntervalMs ?? 100;
    for (;;) {
      const node = await this.getNode(projectId, nodeId);
      if (node.status === want) return node;
      if (Date.now() >= deadline)
        throw new LvslabError(`GNS3 node ${node.name} still reads "${node.status}" ${this.opts.statusTimeoutMs ?? 60_000} ms after ${action}`, EXIT.failure, 'the compute may be overloaded; its GNS3 log says why the node did not change');
      await new Promise((r) => setTimeout(r, interval));
    }
  }

  /**
   * Starts a node and returns it as it reads once started: 2.2 answers 200 with the status
   * from before the start, 3.0 answers 204 and needs a JSON body.
   */
  async startNode(projectId: string, nodeId: string): Promise<Gns3Node> {
    await this.call<unknown>('POST', `/projects/${projectId}/nodes/${nodeId}/start`, `starting node ${nodeId}`, this.api === 'v3' ? {} : undefined);
    return this.waitForStatus(projectId, nodeId, 'started', 'start');
  }

  /** Stops a node (docker stop -t 5: ~5 s) and returns it once it reads stopped. */
  async stopNode(projectId: string, nodeId: string): Promise<Gns3Node> {
    await this.call<unknown>('POST', `/projects/${projectId}/nodes/${nodeId}/stop`, `stopping node ${nodeId}`, this.api === 'v3' ? {} : undefined);
    return this.waitForStatus(projectId, nodeId, 'stopped', 'stop');
  }

  /**
   * Stops every node of a project at once (204 on both versions): the server stops docker
   * nodes in parallel (~5.5 s, docker stop -t 5), where a delete of a running project stops
   * them one after another.
   */
  async stopAllNodes(projectId: string): Promise<void> {
    await this.call<void>('POST', `/projects/${projectId}/nodes/stop`, `stopping the nodes of project ${projectId}`, this.api === 'v3' ? {} : undefined);
  }

  /** Deletes a node and its links. */
  async deleteNode(projectId: string, nodeId: string): Promise<void> {
    await this.call<void>('DELETE', `/projects/${projectId}/nodes/${nodeId}`, `deleting node ${nodeId}`);
  }

  // ---- links ----

  async listLinks(projectId: string): Promise<Gns3Link[]> {
    return this.call<Gns3Link[]>('GET', `/projects/${projectId}/links`, `listing the links of project ${projectId}`);
  }

  async getLink(projectId: string, linkId: string): Promise<Gns3Link> {
    return this.call<Gns3Link>('GET', `/projects/${projectId}/links/${linkId}`, `reading link ${linkId}`);
  }

  /** A link between two ends; GNS3 would accept one end (a dangling link), lvslab never asks for that. */
  async createLink(projectId: string, a: Gns3LinkEnd, b: Gns3LinkEnd): Promise<Gns3Link> {
    const ends = [a, b].map((e) => ({ node_id: e.node_id, adapter_number: e.adapter_number, port_number: e.port_number }));
    return this.call<Gns3Link>('POST', `/projects/${projectId}/links`, `linking ${a.node_id} ${a.adapter_number}/${a.port_number} to ${b.node_id} ${b.adapter_number}/${b.port_number}`, { nodes: ends });
  }

  /** PUT on a link (2.2 answers 201, 3.0 200). Stored filters survive suspend and resume. */
  async updateLink(projectId: string, linkId: string, update: LinkUpdate): Promise<Gns3Link> {
    if (update.filters) validateFilters(update.filters);
    return this.call<Gns3Link>('PUT', `/projects/${projectId}/links/${linkId}`, `updating link ${linkId}`, update);
  }

  /** GNS3's own link failure: ubridge drops every frame both ways; the nodes see no carrier change. */
  async suspendLink(projectId: string, linkId: string): Promise<Gns3Link> {
    return this.updateLink(projectId, linkId, { suspend: true });
  }

  /** Ends a suspend; the link's stored filters apply again (on 3.0, see unstickFilters). */
  async resumeLink(projectId: string, linkId: string): Promise<Gns3Link> {
    const link = await this.updateLink(projectId, linkId, { suspend: false });
    return Object.keys(link.filters ?? {}).length === 0 ? this.unstickFilters(projectId, linkId, link) : link;
  }

  /**
   * GNS3 3.0.6's compute leaves a docker node's ubridge filters as they were when the
   * controller sends it none (`if nio_data.filters:` in its NIO update; 2.2 tests
   * `"filters" in request.json`): after a resume the suspend's frequency_drop -1 stays and
   * the link passes nothing, and cleared filters stay applied. Seen on a real 3.0.6 server:
   * failover-test's resumed director never came back. So on 3.0 "no filters" goes out as a
   * BPF filter that matches no frame (ubridge drops what matches), which the compute does
   * apply, and is then cleared in the controller, whose link then reads as it should.
   */
  private async unstickFilters(projectId: string, linkId: string, link: Gns3Link): Promise<Gns3Link> {
    if (this.api !== 'v3' || link.suspend) return link;
    await this.call<Gns3Link>('PUT', `/projects/${projectId}/links/${linkId}`, `clearing the filters of link ${linkId} on the compute`, { filters: { bpf: [MATCHES_NO_FRAME] } });
    return this.call<Gns3Link>('PUT', `/projects/${projectId}/links/${linkId}`, `clearing the filters of link ${linkId}`, { filters: {} });
  }

  /**
   * Replaces the link's filters (`{}` clears them). If the server refuses them anyway, it has
   * stored them regardless and the link passes nothing: the previous filters are put back.
   */
  async setLinkFilters(projectId: string, linkId: string, filters: Gns3LinkFilters): Promise<Gns3Link> {
    validateFilters(filters);
    const before = await this.getLink(projectId, linkId);
    try {
      const link = await this.updateLink(projectId, linkId, { filters });
      return Object.keys(filters).length === 0 ? await this.unstickFilters(projectId, linkId, link) : link;
    } catch (e) {
      await this.call<Gns3Link>('PUT', `/projects/${projectId}/links/${linkId}`, `restoring the filters of link ${linkId}`, { filters: before.filters ?? {} }).catch(() => undefined);
      throw e;
    }
  }

  async deleteLink(projectId: string, linkId: string): Promise<void> {
    await this.call<void>('DELETE', `/projects/${projectId}/links/${linkId}`, `deleting link ${linkId}`);
  }

  /**
   * Starts GNS3's packet capture on a link (on the side of a running node); the pcap grows in
   * the project's captures directory, named capture_file_name.
   */
  async startCapture(projectId: string, linkId: string, opts: { fileName?: string } = {}): Promise<Gns3Link> {
    const body: Record<string, string> = { data_link_type: 'DLT_EN10MB' };
    if (opts.fileName) body.capture_file_name = opts.fileName;
    const path = this.api === 'v3' ? `/projects/${projectId}/links/${linkId}/capture/start` : `/projects/${projectId}/links/${linkId}/start_capture`;
    return this.call<Gns3Link>('POST', path, `starting a capture on link ${linkId}`, body);
  }

  /** Stops the capture; 2.2 answers the link (201), 3.0 nothing (204), so it is read back. */
  async stopCapture(projectId: string, linkId: string): Promise<Gns3Link> {
    const path = this.api === 'v3' ? `/projects/${projectId}/links/${linkId}/capture/stop` : `/projects/${projectId}/links/${linkId}/stop_capture`;
    const link = await this.call<Gns3Link | undefined>('POST', path, `stopping the capture on link ${linkId}`, this.api === 'v3' ? {} : undefined);
    return link ?? this.getLink(projectId, linkId);
  }

  /**
   * GNS3's capture stream of a link (what its GUI hands Wireshark): the pcap from its first
   * byte, for as long as the capture runs; the answer ends when the capture stops, so this
   * resolves then. Both versions answer 200 (application/vnd.tcpdump.pcap) only while the link
   * captures, 409 otherwise (gns3-server v2.2.59 handlers/api/controller/link_handler.py,
   * v3.0.6 api/routes/controller/links.py): it must be opened before the stop, never after.
   * No request timeout (a capture lasts a run); `signal` gives it up.
   */
  async streamCapture(projectId: string, linkId: string, opts: { signal?: AbortSignal } = {}): Promise<Buffer> {
    const path = this.api === 'v3' ? `/projects/${projectId}/links/${linkId}/capture/stream` : `/projects/${projectId}/links/${linkId}/pcap`;
    return this.getBytes(path, `reading the capture stream of link ${linkId}`, { timeout: 0, ...(opts.signal ? { signal: opts.signal } : {}) });
  }

  /**
   * A file below the project's directory, byte for byte: GET /projects/{p}/files/{path} on both
   * versions (200; 404 when it is not there; 403 for a path outside the project). A link's
   * capture is `project-files/captures/<capture_file_name>` there once it has stopped.
   */
  async projectFile(projectId: string, path: string): Promise<Buffer> {
    const encoded = path.split('/').map(encodeURIComponent).join('/');
    return this.getBytes(`/projects/${projectId}/files/${encoded}`, `reading ${path} of project ${projectId}`);
  }

  // ---- drawings ----

  async createDrawing(projectId: string, drawing: { svg: string; x: number; y: number; z?: number }): Promise<Gns3Drawing> {
    return this.call<Gns3Drawing>('POST', `/projects/${projectId}/drawings`, `adding a drawing to project ${projectId}`, { svg: drawing.svg, x: drawing.x, y: drawing.y, z: drawing.z ?? 2 });
  }

  /** A text note on the canvas (the lab's name, what made it). */
  async createNote(projectId: string, text: string, x: number, y: number): Promise<Gns3Drawing> {
    return this.createDrawing(projectId, { svg: noteSvg(text), x, y });
  }

  async listDrawings(projectId: string): Promise<Gns3Drawing[]> {
    return this.call<Gns3Drawing[]>('GET', `/projects/${projectId}/drawings`, `listing the drawings of project ${projectId}`);
  }

  async deleteDrawing(projectId: string, drawingId: string): Promise<void> {
    await this.call<void>('DELETE', `/projects/${projectId}/drawings/${drawingId}`, `deleting drawing ${drawingId}`);
  }
}
