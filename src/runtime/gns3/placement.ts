// Where each node of a GNS3 lab runs, and through which machine lvslab reaches it: the
// placement (--gns3-placement KEY=COMPUTE, a node's name or a role for all its nodes) over
// the lab's default compute (--gns3-compute), and each compute's Docker engine host
// (--gns3-compute-host [COMPUTE=][USER@]HOST[:PORT]). Pure: parsing, checking against the
// lab, and the switches' computes. GNS3 tunnels a link between nodes on two computes itself.
import { ROLES, type ResolvedLab, type Role } from '../../model/types.js';
import { parseSshTarget } from '../../host/ssh/target.js';
import { EXIT, LvslabError } from '../../util/errors.js';
import { NODE_NAME } from '../../model/names.js';

/** Settings keys: the user's placement, and the per-node computes `up` resolved from it (kept in the instance record). */
export const PLACEMENT_SETTING = 'gns3Placement';
export const NODE_COMPUTES_SETTING = 'gns3NodeComputes';

export interface PlacementEntry {
  /** A node's name, or a role (router, director, realserver, client). */
  key: string;
  compute: string;
}

/**
 * GNS3's compute ids: "local", "vm", the UUIDs the GUI makes, or an id given through the API.
 * Checked so an id can go into a URL path and a message as it is.
 */
const COMPUTE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const COMPUTE_ID_TEXT = "letters, digits, '.', '_' and '-', at most 64, starting with a letter or digit (GET /v2/computes lists the server's)";

export function computeIdProblem(id: string): string | undefined {
  return COMPUTE_ID.test(id) ? undefined : `'${id}' is not a GNS3 compute id: ${COMPUTE_ID_TEXT}`;
}

function bad(flag: string, spec: string, why: string, hint: string): LvslabError {
  return new LvslabError(`${flag} '${spec}': ${why}`, EXIT.invalidInput, hint);
}

const PLACEMENT_HINT = '--gns3-placement KEY=COMPUTE[,KEY=COMPUTE...], KEY a node of the lab or a role (router, director, realserver, client), e.g. director=vm2,client1=vm2';

/** `director=vm2,client1=vm2` as entries (syntax only; `checkPlacement` checks them against the lab). */
export function parsePlacement(spec: string, flag = '--gns3-placement'): PlacementEntry[] {
  const entries: PlacementEntry[] = [];
  for (const part of spec.split(',')) {
    const m = /^([^=]*)=(.*)$/.exec(part.trim());
    if (!m) throw bad(flag, spec, `'${part}' is not KEY=COMPUTE`, PLACEMENT_HINT);
    const [, key, compute] = m as unknown as [string, string, string];
    if (!NODE_NAME.pattern.test(key)) throw bad(flag, spec, `'${key}' is not a node name or role (${NODE_NAME.accepted})`, PLACEMENT_HINT);
    const problem = computeIdProblem(compute);
    if (problem) throw bad(flag, spec, problem, PLACEMENT_HINT);
    if (entries.some((e) => e.key === key)) throw bad(flag, spec, `'${key}' is placed twice`, PLACEMENT_HINT);
    entries.push({ key, compute });
  }
  return entries;
}

/** The per-node computes as the instance record keeps them: `lb1=vm2,lb2=vm2` (nodes on the default compute left out). */
export function formatNodeComputes(nodeComputes: ReadonlyMap<string, string>, defaultCompute: string): string {
  return [...nodeComputes].filter(([, c]) => c !== defaultCompute).map(([n, c]) => `${n}=${c}`).join(',');
}

/**
 * Each node's compute: its own entry, else its role's, else the default. Every key must be a
 * node or a role of this lab (a typo would otherwise place nothing, silently).
 */
export function checkPlacement(lab: ResolvedLab, entries: readonly PlacementEntry[], defaultCompute: string): Map<string, string> {
  const nodes = new Set(lab.nodes.map((n) => n.name));
  const roles = new Set(lab.nodes.map((n) => n.role));
  for (const e of entries) {
    if (nodes.has(e.key) || roles.has(e.key as Role)) continue;
    const role = (ROLES as readonly string[]).includes(e.key);
    throw new LvslabError(
      `--gns3-placement: ${role ? `lab ${lab.name} has no node of role '${e.key}'` : `'${e.key}' is neither a node nor a role of lab ${lab.name}`}`,
      EXIT.invalidInput,
      `its nodes: ${[...nodes].join(', ')}; its roles: ${[...roles].join(', ')}`,
    );
  }
  const byKey = new Map(entries.map((e) => [e.key, e.compute]));
  return new Map(lab.nodes.map((n) => [n.name, byKey.get(n.name) ?? byKey.get(n.role) ?? defaultCompute]));
}

/**
 * The compute of a segment's switch: where most of its members run (fewest frames tunnelled
 * between computes), the default compute on a tie that includes it, else the first by name.
 */
export function switchCompute(members: ReadonlyArray<{ node: string }>, nodeComputes: ReadonlyMap<string, string>, defaultCompute: string): string {
  const count = new Map<string, number>();
  for (const m of members) {
    const c = nodeComputes.get(m.node) ?? defaultCompute;
    count.set(c, (count.get(c) ?? 0) + 1);
  }
  const most = Math.max(0, ...count.values());
  const tied = [...count].filter(([, n]) => n === most).map(([c]) => c).sort();
  return tied.length === 0 || tied.includes(defaultCompute) ? defaultCompute : tied[0]!;
}

const COMPUTE_HOST_HINT =
  '--gns3-compute-host [COMPUTE=][USER@]HOST[:PORT][,...]: the machine whose Docker engine runs that compute\'s nodes, e.g. root@gns3vm, or local=root@gns3vm,vm2=root@192.0.2.11 (no COMPUTE= names the lab\'s default compute)';

/** `root@vm1` or `local=root@vm1,vm2=root@vm2` as compute id -> SSH target (an entry without COMPUTE= is the default compute's). */
export function parseComputeHosts(spec: string, defaultCompute: string, flag = '--gns3-compute-host'): Map<string, string> {
  const hosts = new Map<string, string>();
  for (const part of spec.split(',').map((p) => p.trim())) {
    const eq = part.indexOf('=');
    const compute = eq < 0 ? defaultCompute : part.slice(0, eq);
    const target = eq < 0 ? part : part.slice(eq + 1);
    const problem = computeIdProblem(compute);
    if (problem) throw bad(flag, spec, problem, COMPUTE_HOST_HINT);
    if (hosts.has(compute)) throw bad(flag, spec, `compute ${compute} is given two hosts`, COMPUTE_HOST_HINT);
    parseSshTarget(target, flag);
    hosts.set(compute, target);
  }
  return hosts;
}
