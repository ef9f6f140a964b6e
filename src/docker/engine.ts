// The one door to the Docker engine (dockerode over /var/run/docker.sock, or DOCKER_HOST).
// Every engine error goes through engineError(), so a user sees what went wrong and the
// command that fixes it instead of an HTTP status and a JSON body.
import Docker from 'dockerode';
import { EXIT, LvslabError } from '../util/errors.js';
// A constant only: the SSH client itself loads only when a lab host is remote.
import { REMOTE_COMMAND_FAILED } from '../host/ssh/channel-socket.js';

export type Engine = Docker;

let shared: Docker | undefined;

/** The engine client (one per process; dockerode reads DOCKER_HOST itself when it is set). */
export function engine(): Docker {
  shared ??= new Docker();
  return shared;
}

/** Where the engine is expected, for messages. */
export function engineAddress(): string {
  return process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
}

/** Fails with a clear message when no engine answers; returns its version otherwise. */
export async function requireEngine(docker: Docker = engine()): Promise<{ version: string; apiVersion: string }> {
  try {
    const v = await docker.version();
    return { version: v.Version, apiVersion: v.ApiVersion };
  } catch (err) {
    throw engineError(err, 'reaching the Docker engine');
  }
}

/** True when an engine answers (for `down --all` and `doctor`, which must not fail without one). */
export async function engineAvailable(docker: Docker = engine()): Promise<boolean> {
  try {
    await docker.ping();
    return true;
  } catch {
    return false;
  }
}

interface EngineFailure {
  statusCode?: number;
  code?: string;
  reason?: string;
  json?: { message?: string } | null;
  message?: string;
}

/** The engine's own words, without dockerode's "(HTTP code 404) no such container - " prefix. */
export function engineMessage(err: unknown): string {
  const e = (err ?? {}) as EngineFailure;
  const fromJson = e.json && typeof e.json === 'object' ? e.json.message : undefined;
  const text = fromJson ?? e.message ?? String(err);
  return text.replace(/^\(HTTP code \d+\)\s*[^-]*-\s*/, '').trim();
}

export function isNotFound(err: unknown): boolean {
  return (err as EngineFailure)?.statusCode === 404;
}

/**
 * A user-facing error for an engine failure while `doing` something. Known causes get the
 * fix: no engine running, permission on the socket, a missing image, an address pool clash.
 */
export function engineError(err: unknown, doing: string): LvslabError {
  if (err instanceof LvslabError) return err;
  const e = (err ?? {}) as EngineFailure;
  const text = engineMessage(err);
  if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED') {
    return new LvslabError(
      `${doing}: no Docker engine answers at ${engineAddress()}`,
      EXIT.hostNotReady,
      'start one: `dockerd >/var/log/dockerd.log 2>&1 &` (install it with `apt-get install docker.io`), or use --runtime netns',
    );
  }
  if (e.code === REMOTE_COMMAND_FAILED) {
    // The engine of a lab host over SSH: `docker system dial-stdio` there said why it could not connect.
    return new LvslabError(
      `${doing}: ${text}`,
      EXIT.hostNotReady,
      'the lab host needs a running Docker engine and the docker CLI (its `docker system dial-stdio` carries the connection): apt-get install docker.io there and start dockerd, or use --runtime netns',
    );
  }
  if (e.code === 'EACCES') {
    return new LvslabError(`${doing}: permission denied on ${engineAddress()}`, EXIT.hostNotReady, 'run lvslab as root (it also needs root for the lab itself)');
  }
  if (/no such image|No such image|repository does not exist|pull access denied/i.test(text)) {
    return new LvslabError(`${doing}: ${text}`, EXIT.hostNotReady, 'build the node image: lvslab images build');
  }
  if (/Pool overlaps|overlaps with other one|no available network|could not find an available, non-overlapping/i.test(text)) {
    return new LvslabError(
      `${doing}: Docker refused the network's address pool (${text})`,
      EXIT.hostNotReady,
      'another Docker network uses that subnet: remove it (`docker network ls`, `docker network rm`) or choose another pool with LVSLAB_DOCKER_POOL (default 198.18.0.0/15)',
    );
  }
  return new LvslabError(`${doing}: the Docker engine answered: ${text}`, EXIT.failure);
}
