// The Docker runtime's registry entry: the nodes' programs come from the node image, so
// all it needs of this host is an engine that answers (the image is checked by preflight).
// The runtime and the Docker client load only when a Docker path is taken (docker/presence.ts).
import type { HostCheck } from '../../host/checks.js';
import { engineAnswers } from '../../docker/presence.js';
import { loadRecipe } from '../../images/recipe.js';
import { EXIT, LvslabError } from '../../util/errors.js';
import type { RuntimeDefinition } from '../registry.js';
import type { DockerRuntime } from './docker-runtime.js';
import type Docker from 'dockerode';
import type { LabHost } from '../../host/host.js';
import { hostSpecOf, labHostOf } from '../../host/open.js';
import type { RuntimeSettings } from '../runtime.js';

async function checkDocker(host: LabHost): Promise<HostCheck> {
  try {
    const { requireEngine } = await import('../../docker/engine.js');
    const client = await dockerEngineOn(host);
    const { version } = await requireEngine(client);
    const transport = client ? (await import('../../host/ssh/docker-over-ssh.js')).engineTransport(client) : undefined;
    return { id: 'docker', ok: true, detail: `Docker engine ${version} answers${transport ? ` through ${transport}` : ''} (--runtime docker)`, optional: true };
  } catch (err) {
    const e = err as LvslabError;
    return { id: 'docker', ok: false, detail: `${e.message} (only needed for --runtime docker)`, fix: e.hint, optional: true };
  }
}

/**
 * The engine on the lab host: undefined for this machine's (DOCKER_HOST or the socket: the
 * runtime's default), or a client for another host's over SSH. The GNS3 runtime reaches a
 * compute's engine through it too.
 */
export async function dockerEngineOn(host: LabHost): Promise<Docker | undefined> {
  if (!host.remote) return undefined; // engine() below: this machine's
  let client = remoteEngines.get(host);
  if (!client) {
    const [{ dockerOverSsh }, { SshHost }] = await Promise.all([import('../../host/ssh/docker-over-ssh.js'), import('../../host/ssh/ssh-host.js')]);
    if (!(host instanceof SshHost)) throw new Error(`internal: a remote lab host that is not SSH: ${host.label}`);
    client = dockerOverSsh(host);
    remoteEngines.set(host, client);
  }
  return client;
}

/** One client per remote host, so its HTTP connections (SSH channels) are reused. */
const remoteEngines = new WeakMap<LabHost, Docker>();

async function openDocker(settings: RuntimeSettings, image: string): Promise<DockerRuntime> {
  const host = await labHostOf(settings);
  const { DockerRuntime } = await import('./docker-runtime.js');
  return new DockerRuntime({ image, host, docker: await dockerEngineOn(host) });
}

/** Whether an engine can answer where the settings point (over SSH: ask it; here: not without a socket). */
async function engineThere(settings: RuntimeSettings): Promise<boolean> {
  const host = await labHostOf(settings);
  if (!host.remote) return engineAnswers();
  const { engineAvailable } = await import('../../docker/engine.js');
  return engineAvailable(await dockerEngineOn(host));
}

/** A Docker runtime for finding and removing objects: needs no image. */
function dockerForCleanup(settings: RuntimeSettings): Promise<DockerRuntime> {
  return openDocker(settings, 'unused-for-cleanup');
}

export const dockerRuntime: RuntimeDefinition = {
  kind: 'docker',
  help: 'one container per node, by this host\'s Docker engine (or --host\'s)',
  // The engine of another host over its SSH connection (docker-over-ssh.ts).
  remoteHosts: true,
  open: async (settings) => openDocker(settings, (await loadRecipe()).image),
  hostRequirements: [{ neededBy: 'doctor', check: checkDocker }],
  // Without an engine there can be none of ours running.
  findInstances: async (settings) => ((await engineThere(settings)) ? (await dockerForCleanup(settings)).listInstances() : []),
  // Every container and network labelled with the instance, whoever created them.
  destroyByName: async (instance, recorded, settings, opts) => {
    if (await engineThere(settings)) return (await dockerForCleanup(settings)).destroy(instance, opts);
    // A lab recorded on another host's engine that does not answer now: down must fail and
    // keep the record, not report nothing and forget the lab.
    if (recorded === 'docker' && hostSpecOf(settings) !== undefined) {
      throw new LvslabError(`down ${instance}: the Docker engine on ${hostSpecOf(settings)} does not answer; the record is kept`, EXIT.hostUnreachable, `lvslab down ${instance}   once the host answers`);
    }
    return undefined;
  },
};
