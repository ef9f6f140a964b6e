// The Docker engine of a lab host reached over SSH, for dockerode: every HTTP connection is a
// channel on the host's one SSH connection, so no Docker socket is ever exposed on the
// network and the host key is the one already checked. The channel is the engine's socket
// forwarded by sshd (as `ssh -L` forwards one: nothing starts on the host per connection),
// or, where sshd forbids that or the engine listens elsewhere, `docker system dial-stdio`
// (as `docker -H ssh://` does: a shell and a docker CLI per connection, about three times
// slower per exec on a loaded 2-core host). docker-modem's own ssh:// mode is not used: it
// makes a new SSH connection (handshake, login) for every request, which a lab's hundreds of
// requests turn into seconds and into refusals by sshd's MaxStartups, and it checks no host
// key unless told how.
import { Agent } from 'node:http';
import type { Duplex } from 'node:stream';
import Docker from 'dockerode';
import type { ChannelSocket } from './channel-socket.js';
import type { SshHost } from './ssh-host.js';

/** HTTP connections to the engine at once: the connection's stream channels (connection.ts MAX_STREAMS). */
const MAX_ENGINE_CONNECTIONS = 3;
/** Where an engine listens by default; one configured elsewhere (rootless, DOCKER_HOST) is reached through dial-stdio, which reads the host's own settings. */
const ENGINE_SOCKET = '/var/run/docker.sock';

class EngineAgent extends Agent {
  /** Whether sshd forwards the engine's socket: unknown until the first connection. */
  socketForwarded: boolean | undefined;

  constructor(private readonly host: SshHost) {
    super({ keepAlive: false, maxSockets: MAX_ENGINE_CONNECTIONS });
  }

  override createConnection(_options: unknown, callback?: (err: Error | null, socket: Duplex) => void): Duplex {
    // node:http accepts the socket through the callback; undefined here means "wait for it".
    this.connect().then(
      (socket) => callback?.(null, socket),
      (err: Error) => callback?.(err, undefined as unknown as Duplex),
    );
    return undefined as unknown as Duplex;
  }

  private async connect(): Promise<ChannelSocket> {
    if (this.socketForwarded !== false) {
      try {
        const socket = await this.host.connection.openSocket(ENGINE_SOCKET);
        this.socketForwarded = true;
        return socket;
      } catch {
        // Refused (sshd's AllowStreamLocalForwarding, no engine on that socket): dial-stdio,
        // whose failure, if it fails too, says why in the host's own words.
        this.socketForwarded ??= false;
      }
    }
    return this.host.connection.openStream('docker system dial-stdio');
  }
}

/** A dockerode client for the engine on `host`. */
export function dockerOverSsh(host: SshHost): Docker {
  // The address is only the HTTP Host header: the agent decides where bytes go.
  return new Docker({ protocol: 'http', host: 'docker-over-ssh', port: 80, agent: new EngineAgent(host) } as Docker.DockerOptions);
}

/** How `docker`'s connections reach the engine, once one did (for doctor); undefined for a client not made here or not yet used. */
export function engineTransport(docker: Docker): string | undefined {
  const agent = (docker.modem as { agent?: unknown }).agent;
  if (!(agent instanceof EngineAgent) || agent.socketForwarded === undefined) return undefined;
  return agent.socketForwarded ? `its socket ${ENGINE_SOCKET} forwarded by sshd` : 'docker system dial-stdio (sshd forwards no socket there, or the engine listens elsewhere)';
}
