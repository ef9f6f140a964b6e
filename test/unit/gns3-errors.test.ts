// Error translation of the GNS3 client, on the bodies real 2.2.59 and 3.0.6 servers sent
// (../shared/reference/gns3-transcript*.txt).
import { describe, expect, it } from 'vitest';
import { validateFilters, noteSvg } from '../../src/gns3/client.js';
import { bodyMessage, gns3Error, unreachableError, unwrapMessage, type Gns3Failure } from '../../src/gns3/errors.js';
import { EXIT, LvslabError } from '../../src/util/errors.js';

const base = (over: Partial<Gns3Failure>): Gns3Failure => ({ method: 'POST', path: '/v2/projects', status: 409, body: undefined, api: 'v2', server: 'http://127.0.0.1:3080', doing: 'creating project lvslab-a', ...over });

describe('GNS3 error bodies', () => {
  it('reads v2 {message,status}, v3 {message}, FastAPI {detail} and raw text', () => {
    expect(bodyMessage({ message: 'Project "x" already exists', status: 409 })).toBe('Project "x" already exists');
    expect(bodyMessage({ message: 'Not authenticated' })).toBe('Not authenticated');
    expect(bodyMessage({ detail: 'Not Found' })).toBe('Not Found');
    expect(bodyMessage({ detail: [{ loc: ['body', 'image'], msg: 'Field required' }] })).toBe('body.image: Field required');
    expect(bodyMessage('404: Not Found')).toBe('404: Not Found');
    expect(bodyMessage(undefined)).toBe('');
  });

  it('unwraps a compute error embedded in a 3.0 message', () => {
    const m = 'HTTP error 422 received from compute \'vm (controller)\' for request POST /projects/7af43aba-8e19-4599-9a01-6b7536774898/docker/nodes: {"detail":[{"type":"missing","loc":["body","image"],"msg":"Field required","input":{"compute_id":"local","name":"D2","node_id":"675e0cf5-f9e8-44fb-b298-7a9475fca07b"}}]}';
    expect(unwrapMessage(m)).toEqual({ message: 'body.image: Field required', compute: 'vm (controller)' });
  });

  it('unwraps a compute error embedded in a 2.2 message, down to the schema error\'s reason', () => {
    const inner = JSON.stringify({ message: "JSON schema error with API request '/v2/compute/projects/p/docker/nodes' and JSON data '{'name': 'D1'}': 'image' is a required property", status: 400 });
    expect(unwrapMessage(`Bad request http://127.0.0.1:3080/v2/compute/projects/p/docker/nodes ${inner}`).message).toBe("invalid request: 'image' is a required property");
  });

  it('cuts ubridge\'s log and a traceback down to what matters', () => {
    const ubridge = "Error while sending command 'bridge add_packet_filter VPCS-1e02 filter0 packet_loss 101': Failed to add filter 'filter0': uBridge version 0.9.19 running with libpcap version 1.10.3 (with TPACKET_V3)\nHypervisor TCP control server started (IP 127.0.0.1 port 20000)";
    expect(unwrapMessage(ubridge).message).toBe("Error while sending command 'bridge add_packet_filter VPCS-1e02 filter0 packet_loss 101': Failed to add filter 'filter0'");
    const tb = 'Traceback (most recent call last):\n  File "route.py", line 200, in control_schema\n    await func(request, response)\nTypeError: \'int\' object is not iterable';
    expect(unwrapMessage(tb).message).toBe("server exception: TypeError: 'int' object is not iterable");
    expect(unwrapMessage('x'.repeat(1000)).message.length).toBeLessThanOrEqual(301);
  });
});

describe('GNS3 errors as LvslabErrors that say what to do', () => {
  it('409 duplicate project: failure, points at lvslab down', () => {
    const e = gns3Error(base({ body: { message: 'Project "lvslab-a" already exists', status: 409 } }));
    expect(e).toBeInstanceOf(LvslabError);
    expect(e.message).toBe('GNS3 http://127.0.0.1:3080 answered 409 while creating project lvslab-a: Project "lvslab-a" already exists');
    expect(e.exitCode).toBe(EXIT.failure);
    expect(e.hint).toMatch(/lvslab down/);
  });

  it('409 port already used, image pull, no Docker, privileged containers refused', () => {
    expect(gns3Error(base({ body: { message: 'Port is already used' } })).hint).toMatch(/one link/);
    const pull = gns3Error(base({ body: { message: "Could not pull the 'lvslab/node:latest' image", status: 409 } }));
    expect(pull.exitCode).toBe(EXIT.hostNotReady);
    expect(pull.hint).toMatch(/docker save/);
    const sock = gns3Error(base({ api: 'v3', body: { message: 'Docker has returned an error: Cannot connect to unix socket /var/run/docker.sock ssl:default [No such file or directory]' } }));
    expect(sock.exitCode).toBe(EXIT.hostNotReady);
    expect(sock.hint).toMatch(/dockerd/);
    const caps = gns3Error(base({ body: { message: "Docker has returned an error: 500 b'failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: unable to apply caps: operation not permitted: unknown\\n'", status: 409 } }));
    expect(caps.exitCode).toBe(EXIT.hostNotReady);
    expect(caps.hint).toMatch(/privileged/);
  });

  it('404 project, node, compute, port and unknown route', () => {
    const p = gns3Error(base({ status: 404, method: 'GET', body: { message: "Project ID 6988397a-91d5-4136-a625-77421bddc2f7 doesn't exist", status: 404 } }));
    expect(p.exitCode).toBe(EXIT.notFound);
    expect(p.hint).toMatch(/lvslab down/);
    expect(gns3Error(base({ status: 404, body: { message: "Node ID x doesn't exist" } })).exitCode).toBe(EXIT.notFound);
    expect(gns3Error(base({ status: 404, body: { message: "Compute ID nosuchcompute doesn't exist" } })).exitCode).toBe(EXIT.invalidInput);
    expect(gns3Error(base({ status: 404, body: { message: 'Port 0/99 for SW1 not found', status: 404 } })).hint).toMatch(/fewer adapters/);
    const route = gns3Error(base({ status: 404, api: 'v3', method: 'GET', path: '/v3/no-such-route', body: { detail: 'Not Found' } }));
    expect(route.message).toBe('http://127.0.0.1:3080 has no GET /v3/no-such-route');
    expect(route.hint).toMatch(/2\.2 or 3\.0/);
  });

  it('403 closed project and 403 privilege', () => {
    expect(gns3Error(base({ status: 403, body: { message: 'The project is not opened', status: 403 } })).hint).toMatch(/reopens/);
    expect(gns3Error(base({ status: 403, api: 'v3', body: { message: 'Forbidden' } })).hint).toMatch(/privilege/);
  });

  it('401: basic challenge (2.2, empty body), no token, bad token, wrong password (3.0)', () => {
    const basic = gns3Error(base({ status: 401, method: 'GET', path: '/v2/version', body: undefined, wwwAuthenticate: 'Basic realm="GNS3 server"' }));
    expect(basic.exitCode).toBe(EXIT.hostNotReady);
    expect(basic.message).toMatch(/requires HTTP basic authentication/);
    expect(basic.hint).toMatch(/gns3_server\.conf/);
    const none = gns3Error(base({ status: 401, api: 'v3', body: { message: 'Not authenticated' }, wwwAuthenticate: 'Bearer' }));
    expect(none.message).toMatch(/requires a login/);
    expect(none.hint).toMatch(/admin\/admin/);
    expect(gns3Error(base({ status: 401, api: 'v3', body: { message: 'Could not validate credentials' }, wwwAuthenticate: 'Bearer' })).message).toMatch(/no longer accepts/);
    expect(gns3Error(base({ status: 401, api: 'v3', body: { message: 'Authentication was unsuccessful.' }, wwwAuthenticate: 'Bearer' })).message).toMatch(/refused the user name or password/);
  });

  it('400/422 and 500 say the request or the server failed', () => {
    const v = gns3Error(base({ status: 422, api: 'v3', body: { message: "[{'type': 'missing', 'loc': ('body',), 'msg': 'Field required', 'input': None}]" } }));
    expect(v.message).toContain("'msg': 'Field required'");
    expect(v.hint).toMatch(/report it/);
    expect(gns3Error(base({ status: 500, body: { message: 'Database error detected, please check logs to find details' } })).hint).toMatch(/log/);
  });

  it('never carries a credential, even one the server echoed', () => {
    const e = gns3Error(base({ status: 422, api: 'v3', doing: 'logging in', body: { message: "[{'input': {'username': 'admin', 'password': 'hunter2-secret'}}] Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJl" } }), ['hunter2-secret']);
    expect(`${e.message} ${e.hint}`).not.toContain('hunter2-secret');
    expect(e.message).not.toContain('eyJ');
  });

  it('no answer: names the server and how to point lvslab at one', () => {
    const e = unreachableError('http://127.0.0.1:3080', 'ECONNREFUSED', 'asking the server for its version');
    expect(e.message).toBe('no GNS3 server answers at http://127.0.0.1:3080 while asking the server for its version (nothing listens there)');
    expect(e.exitCode).toBe(EXIT.hostNotReady);
    expect(e.hint).toMatch(/LVSLAB_GNS3_URL/);
  });
});

describe('GNS3 link filters and notes', () => {
  it('accepts what ubridge accepts and refuses the rest before sending', () => {
    expect(() => validateFilters({ packet_loss: [30], delay: [50, 20], corrupt: [1], frequency_drop: [-1], bpf: ['icmp'] })).not.toThrow();
    expect(() => validateFilters({})).not.toThrow();
    for (const bad of [{ packet_loss: [101] }, { delay: [-1] }, { frequency_drop: [-2] }, { packet_loss: 100 }, { bogus: [1] }, { delay: [1, 2, 3] }, { corrupt: [1.5] }]) {
      let err: unknown;
      try {
        validateFilters(bad as never);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(LvslabError);
      expect((err as LvslabError).exitCode).toBe(EXIT.invalidInput);
    }
  });

  it('escapes a note\'s text into SVG', () => {
    expect(noteSvg('a<b> & "c"\nline 2')).toMatch(/^<svg height="42" width="\d+"><text .*>a&lt;b&gt; &amp; &quot;c&quot;<\/tspan><tspan x="0" dy="18">line 2<\/tspan><\/text><\/svg>$/);
  });
});
