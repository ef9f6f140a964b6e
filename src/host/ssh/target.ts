// `--host [user@]host[:port]` (or LVSLAB_HOST): parsed and checked before anything connects.
import { EXIT, LvslabError } from '../../util/errors.js';

export interface SshTarget {
  /** As given, for `--host` again and for the instance record. */
  spec: string;
  user?: string;
  /** Host name, alias from ~/.ssh/config, IPv4 address, or IPv6 address (without brackets). */
  host: string;
  port?: number;
}

const USER = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;
// A DNS name or ssh-config alias: letters, digits, '-', '_' and '.', not starting with '-'.
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,252}$/;
const IPV6 = /^[0-9A-Fa-f:.]{2,45}$/;

/** Parses `[user@]host[:port]` and `[user@][ipv6]:port`; `where` names the flag or variable for the error. */
export function parseSshTarget(spec: string, where = '--host'): SshTarget {
  const bad = (why: string) =>
    new LvslabError(`${where} '${spec}': ${why}`, EXIT.invalidInput, `${where} [user@]host[:port], e.g. root@lab1, root@192.0.2.10:2222, lab1 (an alias from ~/.ssh/config)`);
  let rest = spec;
  let user: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
    if (!USER.test(user)) throw bad(`'${user}' is not a user name (letters, digits, '_', '.', '-'; up to 32, not starting with a digit or '-')`);
  }
  let host = rest;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(rest);
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2];
    if (!IPV6.test(host) || !host.includes(':')) throw bad(`'[${host}]' is not an IPv6 address`);
  } else {
    const colon = rest.indexOf(':');
    if (colon >= 0) {
      if (rest.indexOf(':', colon + 1) >= 0) throw bad('an IPv6 address goes in brackets: [2001:db8::1]:22');
      host = rest.slice(0, colon);
      portText = rest.slice(colon + 1);
    }
    if (!NAME.test(host)) throw bad(`'${host}' is not a host name or address (letters, digits, '-', '_', '.'; not starting with '-')`);
  }
  let port: number | undefined;
  if (portText !== undefined) {
    port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
    if (!(port >= 1 && port <= 65535)) throw bad(`port '${portText}' is not a number from 1 to 65535`);
  }
  return { spec, user, host, port };
}
