// The names lvslab gives its objects on a GNS3 server and the names GNS3 gives their
// containers: how `down` finds a lab's project after a crash, and how exec reaches a node.

/** Every lvslab project on a server is named so; nothing else is ever touched. */
export const PROJECT_PREFIX = 'lvslab-';

export function projectName(instance: string): string {
  return `${PROJECT_PREFIX}${instance}`;
}

/** The instance a project of lvslab's belongs to; undefined for everybody else's projects. */
export function instanceOfProject(name: string): string | undefined {
  return name.startsWith(PROJECT_PREFIX) && name.length > PROJECT_PREFIX.length ? name.slice(PROJECT_PREFIX.length) : undefined;
}

/** GNS3 2.2 and 3.0 name a docker node's container `GNS3.<node name>.<project id>`. */
export function gns3ContainerName(node: string, projectId: string): string {
  return `GNS3.${node}.${projectId}`;
}

/** Whether a container (Docker's name, with or without the leading /) is one of that project's. */
export function isContainerOfProject(containerName: string, projectId: string): boolean {
  const name = containerName.replace(/^\//, '');
  return name.startsWith('GNS3.') && name.endsWith(`.${projectId}`);
}

/** The settings key of --gns3-compute-host (the host whose Docker engine runs the compute's nodes); instance records keep it. */
export const COMPUTE_HOST_SETTING = 'gns3ComputeHost';
