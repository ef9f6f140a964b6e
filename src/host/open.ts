// Which lab host a command drives: `--host [user@]host[:port]`, else LVSLAB_HOST, else this
// machine. The host is one of a runtime's settings (key `host`), so the instance record keeps
// it and later commands reach the lab without the flag. One LabHost per target per process.
import type { RuntimeSettings } from '../runtime/runtime.js';
import type { LabHost } from './host.js';
import { localHost } from './local.js';
import { parseSshTarget } from './ssh/target.js';

/** The settings key the lab host is kept under (commander's attribute for --host). */
export const HOST_SETTING = 'host';

const opened = new Map<string, Promise<LabHost>>();

/** The target settings name (checked), or undefined for this machine; LVSLAB_HOST when the settings name none. */
export function hostSpecOf(settings: RuntimeSettings): string | undefined {
  const spec = settings[HOST_SETTING] ?? process.env.LVSLAB_HOST;
  if (spec === undefined || spec === '' || spec === 'local') return undefined;
  parseSshTarget(spec, settings[HOST_SETTING] !== undefined ? '--host' : 'LVSLAB_HOST');
  return spec;
}

/** The lab host these settings name. Nothing connects until the first command runs there. */
export function labHostOf(settings: RuntimeSettings): Promise<LabHost> {
  const spec = hostSpecOf(settings);
  if (spec === undefined) return Promise.resolve(localHost);
  let host = opened.get(spec);
  if (!host) {
    // The SSH client loads only when a command drives another host.
    host = (async () => {
      const [{ resolveEndpoint }, { SshHost }] = await Promise.all([import('./ssh/endpoint.js'), import('./ssh/ssh-host.js')]);
      return new SshHost(await resolveEndpoint(parseSshTarget(spec)), spec);
    })();
    host.catch(() => opened.delete(spec));
    opened.set(spec, host);
  }
  return host;
}

/** Ends every SSH connection this process opened (the CLI calls it before it exits). */
export async function closeLabHosts(): Promise<void> {
  const hosts = await Promise.all([...opened.values()].map((h) => h.catch(() => undefined)));
  opened.clear();
  await Promise.all(hosts.map((h) => h?.close()));
}
