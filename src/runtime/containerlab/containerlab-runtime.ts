// `--runtime containerlab`: containerlab creates the containers and wires them (deploy -t),
// then lvslab treats the nodes as the Docker containers they are — exec, files, daemons,
// collectors and experiments all go through the Docker runtime's code. What differs:
// container names (containerlab's `clab-<lab>-<node>`), who creates and removes them, and
// carrier cuts (links are direct veth pairs here, so the peer loses carrier by itself).
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import type { ResolvedLab } from '../../model/types.js';
import { run, runOk } from '../../util/exec.js';
import { EXIT, LvslabError } from '../../util/errors.js';
import { instanceDir } from '../../util/host-paths.js';
import { LVSLAB_PACKAGE_DIR } from '../../util/lvslab-dist.js';
import { createTimeSysctls, DockerRuntime } from '../docker/docker-runtime.js';
import type { CreatePlan, DestroyOptions, DestroyReport } from '../runtime.js';
import { clabContainerName, renderDeploymentTopology } from './topology.js';
import { CONTAINERLAB_INSTALL_HINT } from './install-hint.js';
import { hostHasCommand } from '../../host/host.js';
import { localHost } from '../../host/local.js';



/** Where the instance's topology file lives (containerlab puts its lab directory beside it). */
export function deploymentTopologyFile(instance: string): string {
  return `${instanceDir(instance)}/containerlab/${instance}.clab.yml`;
}

export class ContainerlabRuntime extends DockerRuntime {
  override readonly kind = 'containerlab';

  protected override container(instance: string, node: string): string {
    return clabContainerName(instance, node);
  }

  override async preflight(): Promise<void> {
    if (!(await hostHasCommand(localHost, 'containerlab'))) {
      throw new LvslabError('--runtime containerlab needs the containerlab binary, which is not installed on this host', EXIT.hostNotReady, CONTAINERLAB_INSTALL_HINT);
    }
    await super.preflight();
  }

  override async create(lab: ResolvedLab, plan: CreatePlan): Promise<void> {
    const file = deploymentTopologyFile(lab.instance);
    const topology = renderDeploymentTopology(lab, {
      image: this.options.image,
      lvslabDir: LVSLAB_PACKAGE_DIR,
      sysctls: (node) => createTimeSysctls(lab.nodes.find((n) => n.name === node)!, plan.sysctls(node)),
    });
    await mkdir(instanceDir(lab.instance) + '/containerlab', { recursive: true });
    await writeFile(file, topology);
    plan.onProgress?.(`containerlab deploy -t ${file}`);
    const r = await run(['containerlab', 'deploy', '-t', file], { timeoutMs: 300_000 });
    if (r.code !== 0) {
      const tail = (r.stderr || r.stdout).trim().split('\n').slice(-15).join('\n');
      throw new LvslabError(`containerlab deploy failed (exit ${r.code}):\n${tail}`, EXIT.failure, `its topology: ${file}`);
    }
    // containerlab gave every interface the lab's name and MAC already; adopting them by MAC
    // is then a check, and configures addresses, sysctls and routes.
    await Promise.all(
      lab.nodes.map(async (node) => {
        await this.adoptInterfaces(lab, node, node.interfaces.map((i) => ({ mac: i.mac, labIface: i.name })), plan);
        await plan.onNodeNetworkReady?.(node.name);
      }),
    );
  }

  /** Links are veth pairs between the containers: the peer's carrier follows by itself. */
  override async setCarrier(instance: string, node: string, iface: string, up: boolean): Promise<void> {
    await this.mustExec(instance, node, ['ip', 'link', 'set', 'dev', iface, up ? 'up' : 'down']);
  }

  /**
   * containerlab's own destroy first (it also removes what it wrote for the lab), then the
   * Docker runtime's label-based sweep, which finds whatever is left (a deploy that was
   * killed half-way, or containerlab no longer installed) and removes the instance directory.
   */
  override async destroy(instance: string, opts: DestroyOptions = {}): Promise<DestroyReport> {
    const file = deploymentTopologyFile(instance);
    if (existsSync(file) && (await hostHasCommand(localHost, 'containerlab'))) {
      await runOk(['containerlab', 'destroy', '-t', file, '--cleanup'], { timeoutMs: 120_000 }).catch(() => undefined);
    }
    return super.destroy(instance, opts);
  }
}
