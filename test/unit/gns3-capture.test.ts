// The GNS3 client's two reads of a capture, against a small server of this test's own that
// answers as gns3-server's sources do (v2.2.59 handlers/api/controller/link_handler.py and
// project_handler.py; v3.0.6 api/routes/controller/links.py and projects.py): the capture
// stream (2.2 GET /v2/projects/{p}/links/{l}/pcap, 3.0 GET /v3/…/capture/stream: 200
// application/vnd.tcpdump.pcap while the link captures, chunked, ending at the stop; 409 when
// it does not) and a project file (GET /projects/{p}/files/{path}: 200, 404 when missing).
// Bytes come back as they were sent, errors read as GNS3 errors, and neither the exchange
// hook nor an error carries a credential or the pcap's bytes.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gns3Client } from '../../src/gns3/client.js';
import { Gns3Runtime } from '../../src/runtime/gns3/gns3-runtime.js';
import { projectName } from '../../src/runtime/gns3/names.js';
import type { RunOptions, RunResult } from '../../src/util/exec.js';
import type { Gns3Exchange } from '../../src/gns3/types.js';
import { LvslabError } from '../../src/util/errors.js';

const PROJECT = '0f2fd3c4-4a2e-4c61-9a8e-6f6ab3b5b001';
const LINK = '6b8f55f2-0a43-4c44-9d1e-3e0b7c1a0002';
const PASSWORD = 's3cret-capture-pw';
const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg';
/** Every byte value, so a text decoding anywhere would show. */
const PCAP = Buffer.concat([Buffer.from('d4c3b2a102000400', 'hex'), Buffer.from(Array.from({ length: 600 }, (_, i) => i % 256))]);

const SWITCH = '9d0c1b7e-31a4-4f0e-8d55-1c2b3a4d0003';
const LB1 = '2e7a9c11-5b6d-4e8f-9a0b-7c6d5e4f0004';
const LB1_MAC = '02:aa:00:00:01:00';

interface Fake {
  url: string;
  capturing: boolean;
  /** Whether the project's files hold the capture (false: 404, the stream's copy must do). */
  fileKept: boolean;
  /** The capture file names start_capture was given. */
  started: string[];
  close(): Promise<void>;
}

/** A GNS3 controller of one API version with one project, one link and its capture file. */
async function fakeServer(api: 'v2' | 'v3'): Promise<Fake> {
  const state = { capturing: true, fileKept: true, started: [] as string[], fileName: 'lb1-eth0.pcap' };
  const link = () => ({
    link_id: LINK,
    project_id: PROJECT,
    link_type: 'ethernet',
    nodes: [
      { node_id: LB1, adapter_number: 0, port_number: 0 },
      { node_id: SWITCH, adapter_number: 0, port_number: 0 },
    ],
    filters: {},
    suspend: false,
    capturing: state.capturing,
    capture_file_name: state.fileName,
    capture_file_path: `/gns3/projects/${PROJECT}/project-files/captures/${state.fileName}`,
    capture_compute_id: state.capturing ? 'local' : null,
  });
  const json = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  };
  const authorised = (req: IncomingMessage) =>
    api === 'v2' ? req.headers.authorization === `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}` : req.headers.authorization === `Bearer ${TOKEN}`;
  const server = createServer((req, res) => {
    const path = new URL(req.url!, 'http://x').pathname;
    if (api === 'v3' && path === '/v3/version') return json(res, 200, { version: '3.0.6', local: true, controller_host: '127.0.0.1' });
    if (api === 'v2' && path === '/v3/version') return json(res, 404, { message: 'not found' });
    if (api === 'v3' && path === '/v3/access/users/authenticate') return json(res, 200, { access_token: TOKEN, token_type: 'bearer' });
    if (!authorised(req)) {
      res.writeHead(401, api === 'v2' ? { 'WWW-Authenticate': 'Basic realm="GNS3 server"' } : { 'WWW-Authenticate': 'Bearer' });
      return res.end();
    }
    if (path === `/${api}/version`) return json(res, 200, { version: api === 'v2' ? '2.2.59' : '3.0.6', local: true });
    if (path === `/${api}/projects/${PROJECT}/nodes`)
      return json(res, 200, [
        { node_id: LB1, name: 'lb1', node_type: 'docker', status: 'started', ports: [{ adapter_number: 0, port_number: 0, mac_address: LB1_MAC }] },
        { node_id: SWITCH, name: 'lvslab-lan', node_type: 'ethernet_switch', status: 'started', ports: [{ adapter_number: 0, port_number: 0 }] },
      ]);
    if (path === `/${api}/projects/${PROJECT}/links`) return json(res, 200, [link()]);
    if (req.method === 'POST' && path === `/${api}/projects/${PROJECT}/links/${LINK}/${api === 'v2' ? 'start_capture' : 'capture/start'}`) {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        state.fileName = (JSON.parse(body) as { capture_file_name: string }).capture_file_name;
        state.started.push(state.fileName);
        state.capturing = true;
        json(res, 201, link());
      });
      return;
    }
    if (req.method === 'POST' && path === `/${api}/projects/${PROJECT}/links/${LINK}/${api === 'v2' ? 'stop_capture' : 'capture/stop'}`) {
      state.capturing = false;
      if (api === 'v2') return json(res, 201, link());
      res.writeHead(204);
      return res.end();
    }
    if (req.method === 'GET' && path === `/${api}/projects/${PROJECT}/links/${LINK}`) return json(res, 200, link());
    const stream = api === 'v2' ? `/v2/projects/${PROJECT}/links/${LINK}/pcap` : `/v3/projects/${PROJECT}/links/${LINK}/capture/stream`;
    if (path === stream) {
      if (!state.capturing) return json(res, 409, api === 'v2' ? { message: 'This link has no active packet capture', status: 409 } : { message: 'This link has no active packet capture' });
      // Chunked, as the servers send it: the file as it grows, the end only once the capture stops.
      res.writeHead(200, { 'Content-Type': 'application/vnd.tcpdump.pcap', 'Transfer-Encoding': 'chunked' });
      let sent = 100;
      res.write(PCAP.subarray(0, sent));
      setTimeout(() => {
        if (sent >= 400) return;
        res.write(PCAP.subarray(sent, 400));
        sent = 400;
      }, 30);
      const end = setInterval(() => {
        if (state.capturing) return;
        clearInterval(end);
        res.end(PCAP.subarray(sent));
        sent = PCAP.length;
      }, 20);
      return;
    }
    if (state.fileKept && path === `/${api}/projects/${PROJECT}/files/project-files/captures/lb1-eth0.pcap`) {
      res.writeHead(200, { 'Content-Type': api === 'v2' ? 'application/vnd.tcpdump.pcap' : 'application/octet-stream', 'Content-Length': PCAP.length });
      return res.end(PCAP);
    }
    if (path.startsWith(`/${api}/projects/${PROJECT}/files/`)) return json(res, 404, api === 'v2' ? { message: 'Not Found', status: 404 } : { detail: 'Not Found' });
    json(res, 404, { message: `no route ${path}` });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get capturing() {
      return state.capturing;
    },
    set capturing(v: boolean) {
      state.capturing = v;
    },
    get fileKept() {
      return state.fileKept;
    },
    set fileKept(v: boolean) {
      state.fileKept = v;
    },
    started: state.started,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

for (const api of ['v2', 'v3'] as const) {
  describe(`GNS3 ${api === 'v2' ? '2.2' : '3.0'}: reading a link's capture`, () => {
    let fake: Fake;
    let client: Gns3Client;
    const exchanges: Gns3Exchange[] = [];

    beforeAll(async () => {
      fake = await fakeServer(api);
      client = await Gns3Client.connect({ server: { url: fake.url, user: 'admin', password: PASSWORD, source: 'test' }, onExchange: (e) => exchanges.push(e) });
      expect(client.api).toBe(api);
    });
    afterAll(() => fake.close());

    it('reads the stream while the capture runs; it resolves, byte for byte, once the capture stops', async () => {
      fake.capturing = true;
      let resolved = false;
      const streamed = client.streamCapture(PROJECT, LINK).then((b) => {
        resolved = true;
        return b;
      });
      await new Promise((r) => setTimeout(r, 120));
      expect(resolved, 'the stream ended while the capture ran').toBe(false);
      fake.capturing = false;
      expect((await streamed).equals(PCAP)).toBe(true);
    });

    it('is refused (409) once the capture has stopped: a GNS3 error, no credential in it', async () => {
      fake.capturing = false;
      const err = await client.streamCapture(PROJECT, LINK).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(LvslabError);
      expect((err as Error).message).toMatch(/409|no active packet capture/);
      expect((err as Error).message).not.toContain(PASSWORD);
    });

    it('gives a stream up on its signal', async () => {
      fake.capturing = true;
      const giveUp = new AbortController();
      const streamed = client.streamCapture(PROJECT, LINK, { signal: giveUp.signal });
      setTimeout(() => giveUp.abort(), 50);
      await expect(streamed).rejects.toThrow();
      fake.capturing = false;
    });

    it("fetches the capture's file from the project's files, byte for byte; a missing one is a not-found error", async () => {
      expect((await client.projectFile(PROJECT, 'project-files/captures/lb1-eth0.pcap')).equals(PCAP)).toBe(true);
      await expect(client.projectFile(PROJECT, 'project-files/captures/none.pcap')).rejects.toBeInstanceOf(LvslabError);
    });

    it('shows the exchange hook what came (size and type), never the bytes or a credential', () => {
      const pcapExchanges = exchanges.filter((e) => /\/(pcap|capture\/stream|files\/)/.test(e.path) && e.status === 200);
      expect(pcapExchanges.length).toBeGreaterThanOrEqual(2);
      for (const e of pcapExchanges) expect(e.responseBody).toMatch(/^<\d+ bytes, application\/(vnd\.tcpdump\.pcap|octet-stream)>$/);
      expect(pcapExchanges.some((e) => e.responseBody === `<${PCAP.length} bytes, application/vnd.tcpdump.pcap>`)).toBe(true);
      const everything = JSON.stringify(exchanges);
      expect(everything).not.toContain(PASSWORD);
      expect(everything).not.toContain(TOKEN);
      expect(exchanges.find((e) => e.status === 409)?.responseBody).toMatchObject({ message: 'This link has no active packet capture' });
    });
  });
}

/** The GNS3 runtime on the fake server: its project on record, a node's MAC read as from its container. */
class RuntimeOnFake extends Gns3Runtime {
  constructor(private readonly connected: Gns3Client) {
    // The Docker client it makes is never used: exec is answered here.
    super({ image: 'lvslab/node:test', server: { url: 'http://unused', source: 'test' }, computeId: 'local', knownProjects: new Map([[projectName('cap'), PROJECT]]) });
  }
  override client(): Promise<Gns3Client> {
    return Promise.resolve(this.connected);
  }
  override async exec(_instance: string, node: string, argv: readonly string[], _opts?: RunOptions): Promise<RunResult> {
    if (node === 'lb1' && argv.join(' ') === 'cat /sys/class/net/eth0/address') return { code: 0, stdout: `${LB1_MAC}\n`, stderr: '' };
    return { code: 1, stdout: '', stderr: `unexpected exec ${argv.join(' ')}` };
  }
}

for (const api of ['v2', 'v3'] as const) {
  describe(`GNS3 ${api === 'v2' ? '2.2' : '3.0'}: the runtime's own link capture (Runtime.captureLink)`, () => {
    let fake: Fake;
    let runtime: RuntimeOnFake;

    beforeAll(async () => {
      fake = await fakeServer(api);
      runtime = new RuntimeOnFake(await Gns3Client.connect({ server: { url: fake.url, user: 'admin', password: PASSWORD, source: 'test' } }));
    });
    afterAll(() => fake.close());

    it("captures node:iface's link under the given name and, after the stop, keeps the project's whole file", async () => {
      fake.fileKept = true;
      const capture = await runtime.captureLink('cap', 'lb1', 'eth0', 'lb1-eth0.pcap');
      expect(fake.started.at(-1)).toBe('lb1-eth0.pcap');
      expect(fake.capturing).toBe(true);
      expect(capture.method).toBe(`GNS3 link capture of link ${LINK} (written by the switch's dynamips)`);
      const { pcap, note } = await capture.stop();
      expect(fake.capturing).toBe(false);
      expect(pcap.equals(PCAP)).toBe(true);
      expect(note).toBe("GNS3's project-files/captures/lb1-eth0.pcap, fetched after the stop");
    });

    it("falls back to what its stream gave while capturing when the project's file cannot be fetched", async () => {
      fake.fileKept = false;
      const capture = await runtime.captureLink('cap', 'lb1', 'eth0', 'lb1-eth0.pcap');
      const { pcap, note } = await capture.stop();
      expect(pcap.equals(PCAP)).toBe(true);
      expect(note).toMatch(/^read from GNS3's capture stream while capturing .*the project's file could not be fetched/);
      fake.fileKept = true;
    });

    it('says which interface has no link', async () => {
      await expect(runtime.captureLink('cap', 'lb1', 'eth9', 'lb1-eth9.pcap')).rejects.toThrow(/cat \/sys\/class\/net\/eth9\/address/);
    });
  });
}
