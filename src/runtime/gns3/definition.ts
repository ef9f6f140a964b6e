// The GNS3 runtime's registry entry: which server (--gns3-url, LVSLAB_GNS3_URL, or the GNS3
// user's own config files) and computes (--gns3-compute, --gns3-placement) it builds on and
// through which machines' engines (--gns3-compute-host), what doctor checks of that server,
// and how `down` finds a lab's project on it by name. The runtime, the HTTP client and the
// Docker client load only when a GNS3 path is taken.
import type { HostCheck } from '../../host/checks.js';
import { loadRecipe } from '../../images/recipe.js';
import type { LvslabError } from '../../util/errors.js';
import type { RuntimeDefinition } from '../registry.js';
import type { RuntimeSettings } from '../runtime.js';
import type { ComputeEngine, Gns3Runtime } from './gns3-runtime.js';
import { HOST_SETTING, labHostOf } from '../../host/open.js';
import type { LabHost } from '../../host/host.js';
import { dockerEngineOn } from '../docker/definition.js';
import { COMPUTE_HOST_SETTING } from './names.js';
import { NODE_COMPUTES_SETTING, parseComputeHosts, parsePlacement, PLACEMENT_SETTING } from './placement.js';

/** When lvslab only looks for its projects (status, down --all), a server that does not answer this fast is taken as none. */
const LOOKUP_TIMEOUT_MS = 3000;

/**
 * The engines of the computes whose hosts the settings name (the GNS3 VM, or another
 * compute's machine): each reached over SSH as --host is, its engine through
 * docker-over-ssh.ts. A compute not named runs its nodes on this machine.
 */
async function computeEnginesOf(targets: ReadonlyMap<string, string>): Promise<Map<string, ComputeEngine>> {
  const engines = new Map<string, ComputeEngine>();
  for (const [compute, target] of targets) {
    const host = await labHostOf({ [HOST_SETTING]: target });
    const docker = await dockerEngineOn(host);
    if (docker) engines.set(compute, { host, docker });
  }
  return engines;
}

async function openGns3(settings: RuntimeSettings, opts: { image?: string; requestTimeoutMs?: number } = {}): Promise<Gns3Runtime> {
  const computeId = settings.gns3Compute ?? 'local';
  // Every flag is checked before anything is asked of a server or a host.
  const placement = settings[PLACEMENT_SETTING] ? parsePlacement(settings[PLACEMENT_SETTING]) : undefined;
  const recorded = settings[NODE_COMPUTES_SETTING] ? parsePlacement(settings[NODE_COMPUTES_SETTING], 'the instance record\'s gns3NodeComputes') : [];
  const hostTargets = settings[COMPUTE_HOST_SETTING] ? parseComputeHosts(settings[COMPUTE_HOST_SETTING], computeId) : new Map<string, string>();
  const [{ Gns3Runtime }, { discoverGns3Server }] = await Promise.all([import('./gns3-runtime.js'), import('../../gns3/config.js')]);
  const server = await discoverGns3Server({ flagUrl: settings.gns3Url });
  const computeEngines = await computeEnginesOf(hostTargets);
  // An instance record names its project (recordedSettings); `up` makes one.
  const known = settings.gns3ProjectName && settings.gns3Project ? new Map([[settings.gns3ProjectName, settings.gns3Project]]) : undefined;
  return new Gns3Runtime({
    image: opts.image ?? (await loadRecipe()).image,
    server,
    computeId,
    placement,
    nodeComputes: new Map(recorded.map((e) => [e.key, e.compute])),
    computeHostsSpec: settings[COMPUTE_HOST_SETTING] || undefined,
    computeEngines,
    knownProjects: known,
    requestTimeoutMs: opts.requestTimeoutMs,
  });
}

/** Whether a GNS3 server was named at all (flag, environment or a GNS3 config file): else lvslab does not go looking. */
async function serverNamed(settings: RuntimeSettings): Promise<boolean> {
  const { discoverGns3Server } = await import('../../gns3/config.js');
  return !(await discoverGns3Server({ flagUrl: settings.gns3Url })).source.startsWith('GNS3 default');
}

async function checkGns3(_host: LabHost, settings: RuntimeSettings): Promise<HostCheck> {
  const optional = true;
  if (!(await serverNamed(settings))) {
    return { id: 'gns3', ok: false, optional, detail: 'no GNS3 server named (only needed for --runtime gns3)', fix: 'LVSLAB_GNS3_URL=http://HOST:3080 (or --gns3-url), credentials in LVSLAB_GNS3_USER / LVSLAB_GNS3_PASSWORD' };
  }
  try {
    const runtime = await openGns3(settings, { requestTimeoutMs: 10_000 });
    await runtime.preflight();
    const client = await runtime.client();
    const computes = runtime.labComputes();
    const what = computes.length > 1 ? `computes ${computes.join(', ')}, their Docker engines` : `compute ${computes[0]}, its Docker engine`;
    return { id: 'gns3', ok: true, optional, detail: `GNS3 ${client.serverVersion} at ${client.url} answers; ${what} and the node image are there (--runtime gns3)` };
  } catch (err) {
    const e = err as LvslabError;
    return { id: 'gns3', ok: false, optional, detail: `${e.message} (only needed for --runtime gns3)`, fix: e.hint };
  }
}

export const gns3Runtime: RuntimeDefinition = {
  kind: 'gns3',
  help: 'a project on a GNS3 server (--gns3-url)',
  flags: [
    { flags: '--gns3-url <URL>', key: 'gns3Url', description: 'GNS3 server for --runtime gns3 (default: LVSLAB_GNS3_URL, else your GNS3 configuration, else http://127.0.0.1:3080); credentials: LVSLAB_GNS3_USER, LVSLAB_GNS3_PASSWORD' },
    { flags: '--gns3-compute <ID>', key: 'gns3Compute', description: 'GNS3 compute that runs the nodes the placement leaves (default: local)' },
    {
      flags: '--gns3-placement <KEY=ID,...>',
      key: PLACEMENT_SETTING,
      description:
        'up: nodes on other computes of the server, KEY a node of the lab or a role (router, director, realserver, client), a node\'s own entry first: director=vm2,client1=vm2 (GNS3 tunnels the links between computes)',
    },
    {
      flags: '--gns3-compute-host <[ID=][USER@]HOST[:PORT],...>',
      key: COMPUTE_HOST_SETTING,
      description:
        "the machine whose Docker engine runs a compute's nodes (the GNS3 VM, or the compute's host), reached over SSH as --host is: lvslab runs commands in the nodes through it; without ID= the default compute's, e.g. root@gns3vm or local=root@gns3vm,vm2=root@192.0.2.11 (default: this machine's engine, which works only for computes on this machine with a GNS3 server on 127.0.0.1)",
    },
  ],
  open: (settings) => openGns3(settings),
  hostRequirements: [{ neededBy: 'doctor', check: checkGns3 }],
  findInstances: async (settings) => {
    if (!(await serverNamed(settings))) return [];
    try {
      return await (await openGns3(settings, { image: 'unused-for-lookup', requestTimeoutMs: LOOKUP_TIMEOUT_MS })).listInstances();
    } catch {
      return []; // no server answering: none of its projects can be running
    }
  },
  destroyByName: async (instance, recorded, settings, opts) => {
    if (recorded !== 'gns3' && !(await serverNamed(settings))) return undefined;
    const runtime = await openGns3(settings, { image: 'unused-for-cleanup', requestTimeoutMs: recorded === 'gns3' ? undefined : LOOKUP_TIMEOUT_MS });
    try {
      return await runtime.destroy(instance, opts);
    } catch (err) {
      // A lab recorded as GNS3's must be removed there: the record stays and down says why.
      if (recorded === 'gns3') throw err;
      return undefined;
    }
  },
};
