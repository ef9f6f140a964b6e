// What `up` must refuse before creating anything when a lab will run on the nftables
// fallback: features the fallback cannot provide on this kernel, and layouts it cannot
// forward. Each problem is one sentence naming the service or director.
import type { ResolvedLab } from '../model/types.js';
import { LvslabError } from '../util/errors.js';
import { tunProblem } from './nft-render.js';
import { planDirector } from './plan.js';

export interface FallbackKernel {
  /** From detectIpipTunnels(). */
  ipip: boolean;
}

export function fallbackProblems(lab: Pick<ResolvedLab, 'services' | 'nodes'>, kernel: FallbackKernel): string[] {
  const problems: string[] = [];
  if (!kernel.ipip) {
    for (const s of lab.services) if (s.forwarding === 'tun') problems.push(tunProblem(s.name));
  }
  for (const node of lab.nodes) {
    if (node.role !== 'director') continue;
    try {
      planDirector(lab, node);
    } catch (e) {
      if (e instanceof LvslabError) problems.push(e.message);
      else throw e;
    }
  }
  return problems;
}
