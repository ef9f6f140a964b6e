// The GNS3 runtime's registry entry: which server (--gns3-url, LVSLAB_GNS3_URL, or the GNS3
// user's own config files) and compute (--gns3-compute) it builds on, what doctor checks of
// that server, and how `down` finds a lab's project on it by name. The runtime, the HTTP
// client and the Docker client load only when a GNS3 path is taken.
import type { HostCheck } from '../../host/checks.js';
import { loadRecipe } from '../../images/recipe.js';
import type { LvslabError } from '../../util/errors.js';
import type { RuntimeDefinition } from '../registry.js';
import type { RuntimeSettings } from '../runtime.js';
import type { Gns3Runtime } from './gns3-runtime.js';
import type Docker from 'dockerode';
import type { LabHost } from '../../host/host.js';
import { HOST_SETTING, labHostOf } from '../../host/open.js';
import { parseSshTarget } from '../../host/ssh/target.js';
import { dockerEngineOn } from '../docker/definition.js';
import { COMPUTE_HOST_SETTING } from './names.js';

/** When lvslab only looks for its projects (status, down --all), a server that does not answer this fast is taken as none. */
const LOOKUP_TIMEOUT_MS = 3000;

/**
 * The host whose Docker engine runs the compute's nodes, when the settings name one (the GNS3
 * VM, or the server's machine): reached over SSH as --host is, its engine through
 * docker-over-ssh.ts. Undefined: this machine's engine.
 */
async function computeHostOf(settings: RuntimeSettings): Promise<{ host: LabHost; docker?: Docker } | undefined> {
  const spec = settings[COMPUTE_HOST_SETTING];
  if (spec === undefined || spec === '') return undefined;
  parseSshTarget(spec, '--gns3-compute-host');
  const host = await labHostOf({ [HOST_SETTING]: spec });
  return { host, docker: await dockerEngineOn(host) };
}

async function openGns3(settings: RuntimeSettings, opts: { image?: string; requestTimeoutMs?: number } = {}): Promise<Gns3Runtime> {
  const [{ Gns3Runtime }, { discoverGns3Server }] = await Promise.all([import('./gns3-runtime.js'), import('../../gns3/config.js')]);
  const server = await discoverGns3Server({ flagUrl: settings.gns3Url });
  const compute = await computeHostOf(settings);
  // An instance record names its project (recordedSettings); `up` makes one.
  const known = settings.gns3ProjectName && settings.gns3Project ? new Map([[settings.gns3ProjectName, settings.gns3Project]]) : undefined;
  return new Gns3Runtime({
    image: opts.image ?? (await loadRecipe()).image,
    server,
    computeId: settings.gns3Compute ?? 'local',
    knownProjects: known,
    requestTimeoutMs: opts.requestTimeoutMs,
    computeHost: compute?.host,
    docker: compute?.docker,
  });
}

/** Whether a GNS3 server was named at all (flag, environment or a GNS3 config file): else lvslab does not go looking. */
async function serverNamed(settings: RuntimeSettings): Promise<boolean> {
  const { discoverGns3Server } = await import('../../gns3/config.js');
  return !(await discoverGns3Server({ flagUrl: settings.gns3Url })).source.startsWith('GNS3 default');
}

async function checkGns3(): Promise<HostCheck> {
  const optional = true;
  if (!(await serverNamed({}))) {
    return { id: 'gns3', ok: false, optional, detail: 'no GNS3 server named (only needed for --runtime gns3)', fix: 'LVSLAB_GNS3_URL=http://HOST:3080 (or --gns3-url), credentials in LVSLAB_GNS3_USER / LVSLAB_GNS3_PASSWORD' };
  }
  try {
    const runtime = await openGns3({}, { requestTimeoutMs: 10_000 });
    await runtime.preflight();
    const client = await runtime.client();
    return { id: 'gns3', ok: true, optional, detail: `GNS3 ${client.serverVersion} at ${client.url} answers; compute local, its Docker engine and the node image are there (--runtime gns3)` };
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
    { flags: '--gns3-compute <ID>', key: 'gns3Compute', description: 'GNS3 compute that runs the nodes (default: local)' },
    {
      flags: '--gns3-compute-host <[USER@]HOST[:PORT]>',
      key: COMPUTE_HOST_SETTING,
      description:
        "the machine whose Docker engine runs that compute's nodes (the GNS3 VM, or the server's host), reached over SSH as --host is: lvslab runs commands in the nodes through it (default: this machine's engine, which works only with a GNS3 server on 127.0.0.1 and its local compute)",
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
