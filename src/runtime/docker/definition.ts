// The Docker runtime's registry entry: the nodes' programs come from the node image, so
// all it needs of this host is an engine that answers (the image is checked by preflight).
// The runtime and the Docker client load only when a Docker path is taken (docker/presence.ts).
import type { HostCheck } from '../../host/checks.js';
import { engineAnswers } from '../../docker/presence.js';
import { loadRecipe } from '../../images/recipe.js';
import type { LvslabError } from '../../util/errors.js';
import type { RuntimeDefinition } from '../registry.js';
import type { DockerRuntime } from './docker-runtime.js';

async function checkDocker(): Promise<HostCheck> {
  try {
    const { requireEngine } = await import('../../docker/engine.js');
    const { version } = await requireEngine();
    return { id: 'docker', ok: true, detail: `Docker engine ${version} answers (--runtime docker)`, optional: true };
  } catch (err) {
    const e = err as LvslabError;
    return { id: 'docker', ok: false, detail: `${e.message} (only needed for --runtime docker)`, fix: e.hint, optional: true };
  }
}

/** A Docker runtime for finding and removing objects: needs no image. */
async function dockerForCleanup(): Promise<DockerRuntime> {
  const { DockerRuntime } = await import('./docker-runtime.js');
  return new DockerRuntime({ image: 'unused-for-cleanup' });
}

export const dockerRuntime: RuntimeDefinition = {
  kind: 'docker',
  help: 'one container per node',
  open: async () => {
    const { DockerRuntime } = await import('./docker-runtime.js');
    return new DockerRuntime({ image: (await loadRecipe()).image });
  },
  hostRequirements: [{ neededBy: 'doctor', check: checkDocker }],
  // Without an engine there can be none of ours running.
  findInstances: async () => ((await engineAnswers()) ? (await dockerForCleanup()).listInstances() : []),
  // Every container and network labelled with the instance, whoever created them.
  destroyByName: async (instance, _recorded, _settings, opts) => ((await engineAnswers()) ? (await dockerForCleanup()).destroy(instance, opts) : undefined),
};
