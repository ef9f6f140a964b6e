// What OpenSSH's client configuration (~/.ssh/config) says of a host, for the options lvslab
// honours: HostName, User, Port, IdentityFile, IdentitiesOnly, ProxyJump, UserKnownHostsFile,
// ConnectTimeout. Pure: text in, settings out; the caller reads the file.
import { homedir, userInfo } from 'node:os';

export interface SshHostConfig {
  hostName?: string;
  user?: string;
  port?: number;
  /** In the order the file gives them (OpenSSH tries them in this order). */
  identityFiles: string[];
  identitiesOnly?: boolean;
  /** `[user@]host[:port]` hops, first hop first; empty when none (or `ProxyJump none`). */
  proxyJump: string[];
  userKnownHostsFiles?: string[];
  connectTimeoutS?: number;
  /** Options in the file that lvslab reads but does not act on (e.g. StrictHostKeyChecking no: host keys are always checked). */
  ignored: string[];
}

interface Block {
  /** Host patterns; undefined for the lines before the first Host (they apply to every host). */
  patterns?: string[];
  /** A Match block: lvslab does not evaluate Match criteria, so it never applies. */
  match?: boolean;
  options: Array<[string, string]>;
}

/** Host settings for `alias`, first value wins as in OpenSSH (IdentityFile accumulates). */
export function sshHostConfig(text: string, alias: string): SshHostConfig {
  const out: SshHostConfig = { identityFiles: [], proxyJump: [], ignored: [] };
  const seen = new Set<string>();
  for (const block of parseBlocks(text)) {
    if (block.match || (block.patterns && !hostMatches(block.patterns, alias))) continue;
    for (const [key, value] of block.options) {
      if (key === 'identityfile') {
        out.identityFiles.push(value);
        continue;
      }
      if (seen.has(key)) continue;
      seen.add(key);
      switch (key) {
        case 'hostname':
          out.hostName = value;
          break;
        case 'user':
          out.user = value;
          break;
        case 'port':
          if (/^\d{1,5}$/.test(value)) out.port = Number(value);
          break;
        case 'identitiesonly':
          out.identitiesOnly = value.toLowerCase() === 'yes';
          break;
        case 'proxyjump':
          out.proxyJump = value.toLowerCase() === 'none' ? [] : value.split(',').map((h) => h.trim()).filter(Boolean);
          break;
        case 'userknownhostsfile':
          out.userKnownHostsFiles = value.split(/\s+/).filter(Boolean);
          break;
        case 'connecttimeout':
          if (/^\d+$/.test(value)) out.connectTimeoutS = Number(value);
          break;
        case 'stricthostkeychecking':
          if (value.toLowerCase() !== 'yes' && value.toLowerCase() !== 'ask') out.ignored.push(`StrictHostKeyChecking ${value}`);
          break;
        case 'proxycommand':
          out.ignored.push('ProxyCommand');
          break;
        default:
          break;
      }
    }
  }
  return out;
}

function parseBlocks(text: string): Block[] {
  const blocks: Block[] = [{ options: [] }];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    // "Key value", "Key=value" or "Key = value"; values may be double-quoted.
    const m = /^(\S+?)\s*(?:=\s*|\s+)(.*)$/.exec(line);
    if (!m) continue;
    const key = m[1]!.toLowerCase();
    const value = unquote(m[2]!.trim());
    if (key === 'host') blocks.push({ patterns: value.split(/\s+/).filter(Boolean), options: [] });
    else if (key === 'match') blocks.push({ match: true, options: [] });
    else blocks[blocks.length - 1]!.options.push([key, value]);
  }
  return blocks;
}

function unquote(v: string): string {
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
}

/** OpenSSH's pattern list: any positive pattern matches and no negated one does. */
export function hostMatches(patterns: readonly string[], name: string): boolean {
  let matched = false;
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (globMatches(p.slice(1), name)) return false;
    } else if (globMatches(p, name)) matched = true;
  }
  return matched;
}

/** `*` and `?` wildcards, case-insensitive, as OpenSSH's match_pattern. */
export function globMatches(pattern: string, name: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i').test(name);
}

/** `~` and the tokens OpenSSH expands in IdentityFile and UserKnownHostsFile: %d %u %h %r %p %%. */
export function expandPath(path: string, t: { host: string; user: string; port: number }): string {
  const home = homedir();
  const tokens: Record<string, string> = { d: home, u: userInfo().username, h: t.host, r: t.user, p: String(t.port), '%': '%' };
  const expanded = path.replace(/%([duhrp%])/g, (_, k: string) => tokens[k]!);
  return expanded === '~' ? home : expanded.startsWith('~/') ? `${home}${expanded.slice(1)}` : expanded;
}
