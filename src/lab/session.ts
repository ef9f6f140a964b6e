// A lab that is up, as every step after `up` uses it: the runtime that serves it, the
// resolved lab, the dataplane decision and each node's plan (its config files, its daemons
// with their pid files, the logs experiments read), rendered once. `up` builds it as it
// creates the lab; for an instance that is already up, openSession builds it from the
// instance record, so nothing downstream reloads the lab or renders a node again.
import type { Dataplane, ResolvedLab } from '../model/types.js';
import type { Runtime } from '../runtime/runtime.js';
import type { InstanceState } from '../runtime/instance-record.js';
import { runtimeOfRecord } from '../runtime/select.js';
import { planNode, type NodePlan } from './node-setup.js';

export interface DataplaneDecision {
  dataplane: Dataplane;
  detail: string;
  /** Loud notice to print when the fallback runs. */
  notice?: string;
}

export interface LabSession {
  runtime: Runtime;
  lab: ResolvedLab;
  /** Which director dataplane runs, and why. */
  decision: DataplaneDecision;
  /** Node name -> what runs on it. */
  plans: ReadonlyMap<string, NodePlan>;
  /** The instance record as `up` last wrote it (phase, readyMs): status and reports name it. */
  record: InstanceState;
}

/** Every node's plan for this runtime's paths and this dataplane (rendering only, nothing runs). */
export function planNodes(runtime: Runtime, lab: ResolvedLab, dataplane: Dataplane): Map<string, NodePlan> {
  return new Map(lab.nodes.map((node) => [node.name, planNode(lab, node, runtime.nodePaths(lab.instance, node.name), dataplane)]));
}

/** The session of an instance that is up, from its record. */
export async function openSession(record: InstanceState): Promise<LabSession> {
  const runtime = await runtimeOfRecord(record);
  return {
    runtime,
    lab: record.lab,
    decision: { dataplane: record.dataplane, detail: record.dataplaneDetail },
    plans: planNodes(runtime, record.lab, record.dataplane),
    record,
  };
}

/** A node's plan; every node of the session's lab has one. */
export function planOf(session: Pick<LabSession, 'plans'>, node: string): NodePlan {
  const plan = session.plans.get(node);
  if (!plan) throw new Error(`internal: no plan for node ${node}`);
  return plan;
}
