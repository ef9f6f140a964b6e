// What a GNS3 server's error answers mean for an lvslab user: the message unwrapped from
// GNS3's layers (controller → compute → Docker/ubridge) and turned into an LvslabError that
// says what to do. Pure functions: the client hands them the failed exchange.
import { EXIT, LvslabError, type ExitCode } from '../util/errors.js';
import type { Gns3Api } from './types.js';
import { redactText } from './redact.js';

export interface Gns3Failure {
  method: string;
  path: string;
  status: number;
  body: unknown;
  /** The WWW-Authenticate header of a 401. */
  wwwAuthenticate?: string;
  api: Gns3Api | undefined;
  /** The server's URL without credentials. */
  server: string;
  /** What lvslab was doing ("creating project lvslab-x"). */
  doing: string;
}

/** The longest message we print from a server; ubridge logs and tracebacks go far beyond. */
const MAX_MESSAGE = 300;

/**
 * The message of an error body: v2 `{"message","status"}`, v3 `{"message"}`, FastAPI's
 * `{"detail": …}` for unknown routes, or the raw text.
 */
export function bodyMessage(body: unknown): string {
  if (body === undefined || body === null || body === '') return '';
  if (typeof body === 'string') {
    try {
      return bodyMessage(JSON.parse(body));
    } catch {
      return body;
    }
  }
  if (typeof body === 'object') {
    const o = body as Record<string, unknown>;
    if (typeof o.message === 'string') return o.message;
    if (typeof o.detail === 'string') return o.detail;
    if (Array.isArray(o.detail)) return detailList(o.detail);
  }
  return JSON.stringify(body);
}

/** FastAPI/pydantic's validation list, as "body.image: Field required; …". */
function detailList(detail: unknown[]): string {
  return detail
    .map((d) => {
      const e = d as { loc?: unknown[]; msg?: string };
      return `${(e.loc ?? []).join('.')}: ${e.msg ?? JSON.stringify(d)}`;
    })
    .join('; ');
}

/**
 * Unwraps an error the controller relays from a compute: v2 embeds the compute's JSON after
 * "Bad request <url> ", v3 after "HTTP error N received from compute 'X' for request …: ".
 * Tracebacks are reduced to their last line, ubridge's logs to the first; long messages are cut.
 */
export function unwrapMessage(message: string): { message: string; compute?: string } {
  let msg = message;
  let compute: string | undefined;
  const v3 = /^HTTP error \d+ received from compute '([^']*)' for request [A-Z]+ \S+?: ([\s\S]*)$/.exec(msg);
  const v2 = /^Bad request \S+ ([\[{][\s\S]*)$/.exec(msg);
  const inner = v3?.[2] ?? v2?.[1];
  if (v3) compute = v3[1];
  if (inner !== undefined) {
    try {
      msg = bodyMessage(JSON.parse(inner));
    } catch {
      msg = inner;
    }
  }
  // v2's schema errors quote the whole request; the reason is after the last "': ".
  const schema = /^JSON schema error with API request '[^']*' and JSON data '[\s\S]*': ([^\n]*)$/.exec(msg);
  if (schema?.[1]) msg = `invalid request: ${schema[1]}`;
  if (msg.startsWith('Traceback (most recent call last)')) {
    const lines = msg.trim().split('\n');
    msg = `server exception: ${lines[lines.length - 1]?.trim() ?? ''}`;
  }
  // ubridge's refusal carries its whole log after the first line.
  msg = msg.replace(/: uBridge version [\s\S]*$/, '').split('\n')[0] ?? '';
  if (msg.length > MAX_MESSAGE) msg = `${msg.slice(0, MAX_MESSAGE)}…`;
  return { message: msg.trim(), compute };
}

interface Advice {
  exit: ExitCode;
  hint?: string;
  /** Replaces the generic wording. */
  message?: string;
}

/** What the user can do about a known GNS3 answer. */
function advise(f: Gns3Failure, msg: string): Advice {
  const s = f.status;
  if (s === 401) {
    const basic = /basic/i.test(f.wwwAuthenticate ?? '');
    if (/Authentication was unsuccessful/i.test(msg))
      return { exit: EXIT.hostNotReady, message: `the GNS3 server ${f.server} refused the user name or password`, hint: 'set LVSLAB_GNS3_USER and LVSLAB_GNS3_PASSWORD to a GNS3 user that may create projects' };
    if (/Could not validate credentials/i.test(msg))
      return { exit: EXIT.hostNotReady, message: `the GNS3 server ${f.server} no longer accepts lvslab's login token`, hint: 'run the command again (lvslab logs in anew); if it persists, check the server\'s clock and jwt secret' };
    return {
      exit: EXIT.hostNotReady,
      message: `the GNS3 server ${f.server} requires ${basic ? 'HTTP basic authentication' : 'a login'} and lvslab's credentials were missing or wrong`,
      hint: basic
        ? 'set LVSLAB_GNS3_USER and LVSLAB_GNS3_PASSWORD to the [Server] user and password of gns3_server.conf (auth = True)'
        : 'set LVSLAB_GNS3_USER and LVSLAB_GNS3_PASSWORD to a GNS3 user (a fresh GNS3 3.0 server has admin/admin)',
    };
  }
  if (s === 403) {
    if (/project is not opened/i.test(msg))
      return { exit: EXIT.failure, hint: 'the project was closed on the server (a restart, or auto_close); lvslab reopens projects it finds closed — run the command again' };
    return { exit: EXIT.hostNotReady, hint: 'the GNS3 user lacks a privilege for this: use a user with the Administrator role, or grant it in GNS3\'s access control' };
  }
  if (s === 404) {
    if (/^Not Found$/.test(msg) || msg === '404: Not Found')
      return { exit: EXIT.hostNotReady, message: `${f.server} has no ${f.method} ${f.path}`, hint: 'is it a GNS3 2.2 or 3.0 server? lvslab speaks the /v2 and /v3 APIs' };
    if (/^Project ID .* doesn't exist/.test(msg))
      return { exit: EXIT.notFound, hint: 'the project was deleted on the server (in the GNS3 GUI?): lvslab down removes what is left, lvslab up builds it again' };
    if (/^Compute ID .* doesn't exist/.test(msg))
      return { exit: EXIT.invalidInput, hint: 'name a compute the controller knows (GET /computes; the built-in one is "local")' };
    if (/^Node ID .* doesn't exist|^Link ID .* doesn't exist|^Drawing ID .* doesn't exist/.test(msg))
      return { exit: EXIT.notFound, hint: 'it was removed on the server (in the GNS3 GUI?): lvslab down, then lvslab up, rebuilds the lab' };
    if (/^Port .* not found/.test(msg)) return { exit: EXIT.failure, hint: 'the node has fewer adapters or ports than the link needs' };
    return { exit: EXIT.notFound };
  }
  if (s === 409) {
    if (/^Project ".*" already exists/.test(msg))
      return { exit: EXIT.failure, hint: 'a project of that name is already on the server: lvslab down INSTANCE removes an old lvslab project; otherwise rename or delete it in GNS3' };
    if (/Port is already used/i.test(msg)) return { exit: EXIT.failure, hint: 'each port takes one link: the switch needs more ports, or the link exists already' };
    // A link between computes is a UDP tunnel between their ubridges; the controller needs an
    // address of each on a common subnet (2.2.59's get_ip_on_same_subnet), which two computes
    // on one machine never have (every interface of one has the other's address).
    if (/No common subnet for compute/i.test(msg))
      return {
        exit: EXIT.hostNotReady,
        hint: "GNS3 tunnels a link between two computes over a subnet both have addresses on: register the computes with addresses on a LAN they share (two computes on one machine have none), or place the lab's linked nodes on one compute (--gns3-placement)",
      };
    if (/Could not pull the '([^']*)' image|No such image/i.test(msg))
      return { exit: EXIT.hostNotReady, hint: 'the image is not on the compute\'s Docker engine: build it there (lvslab images build) or copy it (docker save IMAGE | ssh COMPUTE docker load)' };
    if (/Cannot connect to (the )?(unix socket|Docker daemon)|docker\.sock/i.test(msg))
      return { exit: EXIT.hostNotReady, hint: 'the GNS3 server cannot reach a Docker engine on that compute: start dockerd there and let the server\'s user use /var/run/docker.sock' };
    if (/unable to apply caps|operation not permitted/i.test(msg))
      return { exit: EXIT.hostNotReady, hint: 'GNS3 runs docker nodes privileged, and this host refuses privileged containers (a container or VM without CAP_SYS_RESOURCE): run the GNS3 server on a host that allows them' };
    if (/Could not find Dynamips|Could not start Dynamips/i.test(msg))
      return { exit: EXIT.hostNotReady, hint: 'GNS3 runs an ethernet_switch as a dynamips process, and the compute has none: install dynamips there (GNS3\'s packages ship it)' };
    if (/uBridge is not available|uBridge requires root access/i.test(msg))
      return { exit: EXIT.hostNotReady, hint: 'GNS3 wires node interfaces with ubridge, which the compute lacks or may not run with network privileges: install it there with GNS3\'s packages (setcap cap_net_admin,cap_net_raw=ep on it)' };
    if (/add_packet_filter|filter/i.test(msg)) return { exit: EXIT.invalidInput, hint: 'GNS3 rejected the link filter; lvslab put back the link\'s previous filters' };
    return { exit: EXIT.failure };
  }
  if (s === 400 || s === 422)
    return { exit: EXIT.failure, hint: `the server rejected lvslab's request: a GNS3 version lvslab does not know (it speaks 2.2 and 3.0)? Please report it with the server's version` };
  if (s >= 500) return { exit: EXIT.failure, hint: 'the GNS3 server failed; its log (gns3server --log FILE, or the GUI\'s console) has the details' };
  return { exit: EXIT.failure };
}

/** The LvslabError for a failed exchange; everything in it passes through `redactText`. */
export function gns3Error(f: Gns3Failure, secrets: Iterable<string | undefined> = []): LvslabError {
  const list = [...secrets];
  const { message: msg, compute } = unwrapMessage(bodyMessage(f.body));
  const advice = advise(f, msg);
  const from = compute ? ` (from compute '${compute}')` : '';
  const text = advice.message ?? `GNS3 ${f.server} answered ${f.status} while ${f.doing}${msg ? `: ${msg}` : ''}${from}`;
  return new LvslabError(redactText(text, list), advice.exit, advice.hint && redactText(advice.hint, list));
}

/** No answer at all: the server is down, unreachable or not HTTP. */
export function unreachableError(server: string, code: string | undefined, doing: string): LvslabError {
  const why = code === 'ECONNREFUSED' ? 'nothing listens there' : code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'the host name does not resolve' : code === 'ECONNABORTED' || code === 'ETIMEDOUT' ? 'it did not answer in time' : (code ?? 'no answer');
  return new LvslabError(
    `no GNS3 server answers at ${server} while ${doing} (${why})`,
    EXIT.hostNotReady,
    'start the GNS3 server (gns3server, or the GUI\'s local server), or name yours with --gns3-url URL or LVSLAB_GNS3_URL',
  );
}
