// Where lvslab keeps per-instance state on the host. /run is a tmpfs: nothing of a lab
// survives a reboot, and `down` removes the instance's directory.
export const RUN_ROOT = '/run/lvslab';

export function instanceDir(instance: string): string {
  return `${RUN_ROOT}/${instance}`;
}

export function instanceStateFile(instance: string): string {
  return `${instanceDir(instance)}/instance.json`;
}
