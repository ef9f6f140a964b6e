// The containerlab runtime's registry entry: containerlab deploys the containers, which
// then are Docker containers with lvslab's labels (the Docker entry finds and sweeps them).
import type { HostCheck } from '../../host/checks.js';
import { engineAnswers } from '../../docker/presence.js';
import { loadRecipe } from '../../images/recipe.js';
import type { RuntimeDefinition } from '../registry.js';
import { CONTAINERLAB_INSTALL_HINT } from './install-hint.js';
import { hostHasCommand } from '../../host/host.js';
import { localHost } from '../../host/local.js';

// The runtime (and with it the Docker client) loads only when a containerlab path is taken.
const runtimeModule = () => import('./containerlab-runtime.js');

async function checkContainerlab(): Promise<HostCheck> {
  const ok = await hostHasCommand(localHost, 'containerlab');
  return {
    id: 'containerlab',
    ok,
    detail: ok ? 'containerlab found (--runtime containerlab)' : 'containerlab not installed (only needed for --runtime containerlab)',
    fix: ok ? undefined : CONTAINERLAB_INSTALL_HINT,
    optional: true,
  };
}

export const containerlabRuntime: RuntimeDefinition = {
  kind: 'containerlab',
  help: 'deployed by containerlab',
  open: async () => new (await runtimeModule()).ContainerlabRuntime({ image: (await loadRecipe()).image }),
  hostRequirements: [{ neededBy: 'doctor', check: checkContainerlab }],
  // Its containers carry the Docker runtime's labels: the Docker entry lists them.
  findInstances: async () => [],
  // containerlab's own destroy where it deployed the lab (it removes what it wrote for it),
  // before the Docker entry's label sweep.
  destroyByName: async (instance, recorded, _settings, opts) =>
    recorded === 'containerlab' && (await engineAnswers()) ? new (await runtimeModule()).ContainerlabRuntime({ image: 'unused-for-cleanup' }).destroy(instance, opts) : undefined,
};
