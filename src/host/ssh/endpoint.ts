// Who a `--host` target is and how to log in, by OpenSSH's conventions: ~/.ssh/config
// (HostName, User, Port, IdentityFile, IdentitiesOnly, ProxyJump, UserKnownHostsFile,
// ConnectTimeout), keys from ssh-agent or files, host keys from the known_hosts files.
import { readFile } from 'node:fs/promises';
import { homedir, userInfo } from 'node:os';
import { EXIT, LvslabError } from '../../util/errors.js';
import { expandPath, sshHostConfig, type SshHostConfig } from './config.js';
import { knownHostsName, knownKeysFor, type KnownKey } from './known-hosts.js';
import { parseSshTarget, type SshTarget } from './target.js';

export interface SshEndpoint {
  /** `user@host:port` as resolved, for messages. */
  label: string;
  hostName: string;
  port: number;
  user: string;
  identityFiles: string[];
  agentSocket?: string;
  knownHostsFiles: string[];
  connectTimeoutMs: number;
  /** The hop to connect through (ProxyJump), already resolved. */
  jump?: SshEndpoint;
  /** Every key known_hosts lists for this host and port. */
  knownKeys(): Promise<KnownKey[]>;
  /** ~/.ssh/config options lvslab read but does not act on, for doctor. */
  ignoredOptions: string[];
}

const DEFAULT_IDENTITIES = ['~/.ssh/id_ed25519', '~/.ssh/id_ecdsa', '~/.ssh/id_rsa'];
const DEFAULT_KNOWN_HOSTS = ['~/.ssh/known_hosts', '~/.ssh/known_hosts2', '/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'];
const MAX_JUMPS = 4;

/** The client configuration file: ~/.ssh/config (LVSLAB_SSH_CONFIG names another, as ssh -F). */
export function sshConfigFile(): string {
  return process.env.LVSLAB_SSH_CONFIG ?? `${homedir()}/.ssh/config`;
}

export async function resolveEndpoint(target: SshTarget, depth = 0): Promise<SshEndpoint> {
  const text = await readFile(sshConfigFile(), 'utf8').catch(() => '');
  const cfg: SshHostConfig = sshHostConfig(text, target.host);
  const port = target.port ?? cfg.port ?? 22;
  const user = target.user ?? cfg.user ?? userInfo().username;
  const hostName = cfg.hostName ? cfg.hostName.replace(/%h/g, target.host) : target.host;
  const tokens = { host: hostName, user, port };
  const identityFiles = (cfg.identityFiles.length > 0 ? cfg.identityFiles : DEFAULT_IDENTITIES).map((f) => expandPath(f, tokens));
  const knownHostsFiles = [...(cfg.userKnownHostsFiles ?? DEFAULT_KNOWN_HOSTS.slice(0, 2)), ...DEFAULT_KNOWN_HOSTS.slice(2)].map((f) => expandPath(f, tokens));
  let jump: SshEndpoint | undefined;
  if (cfg.proxyJump.length > 0) {
    if (depth >= MAX_JUMPS) throw new LvslabError(`ProxyJump for ${target.host} goes more than ${MAX_JUMPS} hops deep (a loop in ${sshConfigFile()}?)`, EXIT.invalidInput);
    // ssh -J a,b: connect to a, from there to b, from there to the target.
    for (const hop of cfg.proxyJump) {
      const hopEndpoint = await resolveEndpoint(parseSshTarget(hop, `ProxyJump in ${sshConfigFile()}`), depth + 1);
      jump = jump ? { ...hopEndpoint, jump } : hopEndpoint;
    }
  }
  const name = knownHostsName(hostName, port);
  return {
    label: `${user}@${hostName}${port === 22 ? '' : `:${port}`}`,
    hostName,
    port,
    user,
    identityFiles,
    agentSocket: cfg.identitiesOnly ? undefined : process.env.SSH_AUTH_SOCK || undefined,
    knownHostsFiles,
    connectTimeoutMs: (cfg.connectTimeoutS ?? 20) * 1000,
    jump,
    ignoredOptions: cfg.ignored,
    knownKeys: async () => {
      const found = await Promise.all(knownHostsFiles.map(async (f) => knownKeysFor(await readFile(f, 'utf8').catch(() => ''), name, f)));
      return found.flat();
    },
  };
}
