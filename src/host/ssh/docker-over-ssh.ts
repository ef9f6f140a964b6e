// The Docker engine of a lab host reached over SSH, for dockerode: every HTTP connection is
// `docker system dial-stdio` on the host's one SSH connection (as `docker -H ssh://` does),
// so no Docker socket is ever exposed on the network. docker-modem's own ssh:// mode opens a
// new SSH connection per request and accepts any host key; this one shares the connection
// whose host key was checked.
import { Agent } from 'node:http';
import type { Duplex } from 'node:stream';
import Docker from 'dockerode';
import type { SshHost } from './ssh-host.js';

/** HTTP connections to the engine at once (each is an SSH channel; exec channels need the rest). */
const MAX_ENGINE_CONNECTIONS = 3;

class DialStdioAgent extends Agent {
  constructor(private readonly host: SshHost) {
    super({ keepAlive: false, maxSockets: MAX_ENGINE_CONNECTIONS });
  }

  override createConnection(_options: unknown, callback?: (err: Error | null, socket: Duplex) => void): Duplex {
    // node:http accepts the socket through the callback; undefined here means "wait for it".
    this.host.connection.openStream('docker system dial-stdio').then(
      (channel) => callback?.(null, asSocket(channel)),
      (err: Error) => callback?.(err, undefined as unknown as Duplex),
    );
    return undefined as unknown as Duplex;
  }
}

/** node:http calls these on its sockets; an SSH channel has nothing to set. */
function asSocket(channel: Duplex): Duplex {
  const s = channel as Duplex & Record<string, unknown>;
  for (const m of ['setNoDelay', 'setKeepAlive', 'setTimeout', 'ref', 'unref']) if (typeof s[m] !== 'function') s[m] = () => s;
  return s;
}

/** A dockerode client for the engine on `host`. */
export function dockerOverSsh(host: SshHost): Docker {
  // The address is only the HTTP Host header: the agent decides where bytes go.
  return new Docker({ protocol: 'http', host: 'docker-over-ssh', port: 80, agent: new DialStdioAgent(host) } as Docker.DockerOptions);
}
