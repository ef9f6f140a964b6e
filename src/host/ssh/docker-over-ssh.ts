// The Docker engine of a lab host reached over SSH, for dockerode: every HTTP connection is
// `docker system dial-stdio` on the host's one SSH connection (as `docker -H ssh://` does),
// so no Docker socket is ever exposed on the network. docker-modem's own ssh:// mode is not
// used: it makes a new SSH connection (handshake, login) for every request, which a lab's
// hundreds of requests turn into seconds and into refusals by sshd's MaxStartups, and it
// checks no host key unless told how; this one shares the connection whose key was checked.
import { Agent } from 'node:http';
import type { Duplex } from 'node:stream';
import Docker from 'dockerode';
import type { SshHost } from './ssh-host.js';

/** HTTP connections to the engine at once: the connection's stream channels (connection.ts MAX_STREAMS). */
const MAX_ENGINE_CONNECTIONS = 3;

class DialStdioAgent extends Agent {
  constructor(private readonly host: SshHost) {
    super({ keepAlive: false, maxSockets: MAX_ENGINE_CONNECTIONS });
  }

  override createConnection(_options: unknown, callback?: (err: Error | null, socket: Duplex) => void): Duplex {
    // node:http accepts the socket through the callback; undefined here means "wait for it".
    this.host.connection.openStream('docker system dial-stdio').then(
      (socket) => callback?.(null, socket),
      (err: Error) => callback?.(err, undefined as unknown as Duplex),
    );
    return undefined as unknown as Duplex;
  }
}

/** A dockerode client for the engine on `host`. */
export function dockerOverSsh(host: SshHost): Docker {
  // The address is only the HTTP Host header: the agent decides where bytes go.
  return new Docker({ protocol: 'http', host: 'docker-over-ssh', port: 80, agent: new DialStdioAgent(host) } as Docker.DockerOptions);
}
