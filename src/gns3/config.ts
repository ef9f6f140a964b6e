// Which GNS3 server lvslab talks to and as whom: --gns3-url, LVSLAB_GNS3_URL, or the files a
// GNS3 user already has (the server's gns3_server.conf, the 3.x GUI's gns3_gui.conf). The
// decision is a pure function over file contents; loadGns3ConfigFiles only reads the files.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { displayUrl } from './redact.js';

export interface Gns3ServerRef {
  /** Base URL without credentials, e.g. http://127.0.0.1:3080. */
  url: string;
  user?: string;
  password?: string;
  /** Where the URL came from, for doctor and error messages (never the credentials). */
  source: string;
}

export interface ConfigFile {
  path: string;
  text: string;
}

/** GNS3's own default: the local server on port 3080. */
export const DEFAULT_GNS3_URL = 'http://127.0.0.1:3080';

/** A Python configparser file as sections of lower-cased keys (GNS3 writes `key = value`). */
export function parseIni(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  let section: Record<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith(';') || line.startsWith('#')) continue;
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec?.[1]) {
      section = out[sec[1]] ??= {};
      continue;
    }
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line);
    if (kv?.[1] && section) section[kv[1].toLowerCase()] = kv[2] ?? '';
  }
  return out;
}

const truthy = (v: string | undefined) => v !== undefined && /^(1|yes|true|on)$/i.test(v.trim());

/** A listening address as a client reaches it: 0.0.0.0 and :: mean this host. */
function connectHost(host: string | undefined): string {
  const h = (host ?? '').trim();
  if (!h || h === '0.0.0.0') return '127.0.0.1';
  if (h === '::' || h === '[::]') return '[::1]';
  return h.includes(':') && !h.startsWith('[') ? `[${h}]` : h;
}

function baseUrl(protocol: string | undefined, host: string | undefined, port: string | number | undefined): string {
  const proto = protocol === 'https' ? 'https' : 'http';
  return `${proto}://${connectHost(host)}:${port ?? 3080}`;
}

/**
 * The server named by a gns3_server.conf: `[Server] host, port, protocol|ssl|enable_ssl`, and
 * with `auth = True` (2.2) its `user`/`password`; a 3.0 server's first user comes from
 * `[Controller] default_admin_username/password`.
 */
export function serverFromServerConf(file: ConfigFile): Gns3ServerRef | undefined {
  const ini = parseIni(file.text);
  const s = ini.Server;
  if (!s) return undefined;
  const https = s.protocol === 'https' || truthy(s.ssl) || truthy(s.enable_ssl);
  const ref: Gns3ServerRef = { url: baseUrl(https ? 'https' : 'http', s.host, s.port), source: file.path };
  if (truthy(s.auth) && s.user) {
    ref.user = s.user;
    ref.password = s.password ?? '';
  } else if (ini.Controller?.default_admin_username) {
    ref.user = ini.Controller.default_admin_username;
    ref.password = ini.Controller.default_admin_password ?? '';
  }
  return ref;
}

/** The controller the 3.x GUI connects to: gns3_gui.conf's "Controller" (host, port, protocol, username, password). */
export function serverFromGuiConf(file: ConfigFile): Gns3ServerRef | undefined {
  let conf: unknown;
  try {
    conf = JSON.parse(file.text);
  } catch {
    return undefined;
  }
  const c = (conf as { Controller?: Record<string, unknown> } | null)?.Controller;
  if (!c || typeof c.host !== 'string') return undefined;
  const ref: Gns3ServerRef = {
    url: baseUrl(typeof c.protocol === 'string' ? c.protocol : undefined, c.host, typeof c.port === 'number' || typeof c.port === 'string' ? c.port : undefined),
    source: file.path,
  };
  if (typeof c.username === 'string' && c.username) {
    ref.user = c.username;
    ref.password = typeof c.password === 'string' ? c.password : '';
  }
  return ref;
}

/** host:port of a URL with this host's names folded together, to match a URL with a config file. */
function endpoint(url: string): string {
  try {
    const u = new URL(url);
    const local = ['localhost', '127.0.0.1', '0.0.0.0', '[::1]', '[::]'];
    const host = local.includes(u.hostname) ? 'local' : u.hostname;
    return `${host}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
  } catch {
    return url;
  }
}

export interface ResolveInput {
  /** --gns3-url */
  flagUrl?: string;
  env: Record<string, string | undefined>;
  /** The GNS3 config files found, most specific first (see gns3ConfigPaths). */
  files: ConfigFile[];
}

/**
 * The server and credentials, by precedence: --gns3-url, LVSLAB_GNS3_URL, the GUI's
 * controller, the server's own config, GNS3's default. Credentials: LVSLAB_GNS3_USER and
 * LVSLAB_GNS3_PASSWORD, else the URL's userinfo, else the first config file that names the
 * same host and port.
 */
export function resolveGns3Server(input: ResolveInput): Gns3ServerRef {
  const fromFiles = input.files
    // The GUI's file is JSON, the server's INI.
    .map((f) => (f.text.trimStart().startsWith('{') ? serverFromGuiConf(f) : serverFromServerConf(f)))
    .filter((r): r is Gns3ServerRef => r !== undefined);
  const named = input.flagUrl ? { url: input.flagUrl, source: '--gns3-url' } : input.env.LVSLAB_GNS3_URL ? { url: input.env.LVSLAB_GNS3_URL, source: 'LVSLAB_GNS3_URL' } : undefined;
  let ref: Gns3ServerRef;
  if (named) {
    const u = new URL(/^[a-z]+:\/\//i.test(named.url) ? named.url : `http://${named.url}`);
    const user = decodeURIComponent(u.username);
    const password = decodeURIComponent(u.password);
    ref = { url: displayUrl(u.toString()), source: named.source };
    if (user) {
      ref.user = user;
      ref.password = password;
    } else {
      const same = fromFiles.find((f) => f.user !== undefined && endpoint(f.url) === endpoint(ref.url));
      if (same) {
        ref.user = same.user;
        ref.password = same.password;
      }
    }
  } else {
    ref = fromFiles[0] ?? { url: DEFAULT_GNS3_URL, source: 'GNS3 default (no --gns3-url, LVSLAB_GNS3_URL or GNS3 config file)' };
    if (ref.user === undefined) {
      const same = fromFiles.find((f) => f.user !== undefined && endpoint(f.url) === endpoint(ref.url));
      if (same) ref = { ...ref, user: same.user, password: same.password };
    }
  }
  if (input.env.LVSLAB_GNS3_USER !== undefined) ref = { ...ref, user: input.env.LVSLAB_GNS3_USER, password: input.env.LVSLAB_GNS3_PASSWORD ?? '' };
  else if (input.env.LVSLAB_GNS3_PASSWORD !== undefined && ref.user) ref = { ...ref, password: input.env.LVSLAB_GNS3_PASSWORD };
  return ref;
}

/** Version directories newest first ("3.0" before "2.2"): GNS3 keeps one per minor version. */
export function newestFirst(dirs: string[]): string[] {
  const key = (d: string) => d.split('.').map((n) => Number.parseInt(n, 10));
  return dirs
    .filter((d) => /^\d+\.\d+$/.test(d))
    .sort((a, b) => {
      const [a1 = 0, a2 = 0] = key(a);
      const [b1 = 0, b2 = 0] = key(b);
      return b1 - a1 || b2 - a2;
    });
}

/**
 * Where GNS3 keeps them, most specific first: per version under ~/.config/GNS3/<ver>/ (the GUI
 * before the server within one version), then the unversioned and system-wide files the
 * server also reads.
 */
export function gns3ConfigPaths(home: string, versionDirs: string[]): string[] {
  const base = join(home, '.config', 'GNS3');
  const paths: string[] = [];
  for (const v of newestFirst(versionDirs)) paths.push(join(base, v, 'gns3_gui.conf'), join(base, v, 'gns3_server.conf'));
  paths.push(join(base, 'gns3_server.conf'), join(home, '.config', 'GNS3.conf'), '/etc/gns3/gns3_server.conf', '/etc/xdg/GNS3/gns3_server.conf');
  return paths;
}

/** Reads the GNS3 config files this user has; missing or unreadable ones are skipped. */
export async function loadGns3ConfigFiles(home: string): Promise<ConfigFile[]> {
  const dirs = await readdir(join(home, '.config', 'GNS3')).catch(() => [] as string[]);
  const files: ConfigFile[] = [];
  for (const path of gns3ConfigPaths(home, dirs)) {
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (text !== undefined) files.push({ path, text });
  }
  return files;
}

/** The server lvslab should use, from the flag, the environment and the user's GNS3 files. */
export async function discoverGns3Server(opts: { flagUrl?: string; env?: NodeJS.ProcessEnv; home?: string } = {}): Promise<Gns3ServerRef> {
  const env = opts.env ?? process.env;
  const home = opts.home ?? env.HOME;
  // Config files still supply credentials for a server named by flag or environment, so read them either way.
  const files = home ? await loadGns3ConfigFiles(home) : [];
  return resolveGns3Server({ flagUrl: opts.flagUrl, env, files });
}
