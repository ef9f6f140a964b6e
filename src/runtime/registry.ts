// The runtimes lvslab has, each described once (as containerlab's node and runtime
// registries do): its kind, its help text, how to make one, what it needs of the host, how
// it finds its instances and how it removes one by name. `--runtime` and its help, `doctor`,
// instance listing, `down` and the default runtime all read this list and nothing else.
import { EXIT, LvslabError } from '../util/errors.js';
import type { HostRequirement } from '../host/checks.js';
import { HOST_SETTING, hostSpecOf } from '../host/open.js';
import type { DestroyOptions, DestroyReport, Runtime, RuntimeKind, RuntimeSettings } from './runtime.js';
import { netnsRuntime } from './netns/definition.js';
import { dockerRuntime } from './docker/definition.js';
import { containerlabRuntime } from './containerlab/definition.js';
import { gns3Runtime } from './gns3/definition.js';

/** A command-line flag of one runtime's own (`--gns3-url URL`), offered by every command that may need it. */
export interface RuntimeFlag {
  /** Commander's flag syntax: '--gns3-url <URL>'. */
  flags: string;
  /** The settings key its value is kept under (commander's camel-cased attribute name). */
  key: string;
  description: string;
}

export interface RuntimeDefinition {
  /** The word after `--runtime`, and what the instance record stores. */
  kind: RuntimeKind;
  /** What `--runtime` help says of it: "one container per node". */
  help: string;
  /** Its own flags, if any: `up`, `run`, `down` and `doctor` offer them. */
  flags?: readonly RuntimeFlag[];
  /**
   * True when it can drive a lab host over SSH (`--host`): `open`, `findInstances` and
   * `destroyByName` then act on the host the settings name. The others run here only, and
   * `--host` with them is refused before anything happens.
   */
  remoteHosts?: boolean;
  /** The runtime that creates and drives this kind's labs, with its settings (flags, or an instance record's). */
  open(settings: RuntimeSettings): Promise<Runtime>;
  /** What it needs of this host: `doctor` shows them all, `up` checks them before it creates anything. */
  hostRequirements: readonly HostRequirement[];
  /**
   * Instances whose objects it finds on this host by name, state record or not (a
   * kill -9 early in `up` leaves none); none when it cannot look (e.g. no engine answers).
   */
  findInstances(settings: RuntimeSettings): Promise<string[]>;
  /**
   * Removes whatever it has of `instance`, found by name; `recorded` is the runtime the
   * instance record names (read before any runtime removed it). Undefined when it had
   * nothing to look at. `settings` are the record's (when it names this runtime) under the
   * command's flags. `down` passes keepInstanceDir and removes the record itself, last.
   */
  destroyByName(instance: string, recorded: RuntimeKind | undefined, settings: RuntimeSettings, opts?: DestroyOptions): Promise<DestroyReport | undefined>;
}

/**
 * Every runtime, in the order help and doctor list them and `down` sweeps them; the first is the default.
 * A new runtime is its own folder under src/runtime/ and one entry here.
 */
const RUNTIMES: RuntimeDefinition[] = [netnsRuntime, dockerRuntime, containerlabRuntime, gns3Runtime];

export function registeredRuntimes(): readonly RuntimeDefinition[] {
  return RUNTIMES;
}

export function runtimeKinds(): RuntimeKind[] {
  return RUNTIMES.map((r) => r.kind);
}

export const HOST_FLAG_SYNTAX = '--host <[USER@]HOST[:PORT]>';

/** What --host is, for help texts. */
export function hostFlagHelp(): string {
  const remote = RUNTIMES.filter((r) => r.remoteHosts).map((r) => r.kind).join(', ');
  return `reached over SSH (default: LVSLAB_HOST, else this machine); ~/.ssh/config aliases, keys from ssh-agent or IdentityFile, host keys checked against known_hosts; runtimes: ${remote}`;
}

/** `--host`, offered by every command that touches a lab, whatever the runtime (settings key HOST_SETTING). */
function hostFlag(): RuntimeFlag {
  return { flags: HOST_FLAG_SYNTAX, key: HOST_SETTING, description: `the lab host, ${hostFlagHelp()}` };
}

/** `--host`, then every runtime's own flags, in registry order. */
export function runtimeFlags(): RuntimeFlag[] {
  return [hostFlag(), ...RUNTIMES.flatMap((r) => r.flags ?? [])];
}

/**
 * The runtimes that can act where these settings point: all of them on this machine, only
 * those with remoteHosts on another one (so `down --host X` never touches a local lab).
 */
export function runtimesFor(settings: RuntimeSettings): readonly RuntimeDefinition[] {
  return hostSpecOf(settings) === undefined ? RUNTIMES : RUNTIMES.filter((r) => r.remoteHosts);
}

/** The runtime `up` and `run` use when none is named. */
export function defaultRuntimeKind(): RuntimeKind {
  return RUNTIMES[0]!.kind;
}

/** The definition of `kind`; an unknown kind is an input error naming the accepted ones. */
export function runtimeDefinition(kind: RuntimeKind): RuntimeDefinition {
  const found = RUNTIMES.find((r) => r.kind === kind);
  if (!found) {
    throw new LvslabError(`unknown runtime '${kind}' (accepted: ${runtimeKinds().join(', ')})`, EXIT.invalidInput, `--runtime ${defaultRuntimeKind()}`);
  }
  return found;
}

/**
 * Adds a runtime after the shipped ones; returns what takes it away again. For tests and
 * experiments: a runtime lvslab ships is an entry in RUNTIMES.
 */
export function registerRuntime(definition: RuntimeDefinition): () => void {
  if (RUNTIMES.some((r) => r.kind === definition.kind)) throw new Error(`internal: runtime '${definition.kind}' is registered twice`);
  RUNTIMES.push(definition);
  return () => {
    const i = RUNTIMES.indexOf(definition);
    if (i >= 0) RUNTIMES.splice(i, 1);
  };
}
