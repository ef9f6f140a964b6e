// FRR's own runtime directories on the host. Normally systemd-tmpfiles creates /run/frr at
// boot; on hosts without systemd (containers, CI) it may be missing. They belong to the FRR
// package, not to a lab: lvslab only binds node-private directories over them
// (see node-setup.ts), so they stay empty and are not removed by `down`.
import { existsSync } from 'node:fs';
import { chown, mkdir } from 'node:fs/promises';
import { userIds } from '../util/users.js';
import { FRR_HOST_DIRS } from './node-setup.js';

export async function ensureFrrHostDirs(): Promise<void> {
  const missing = FRR_HOST_DIRS.filter((d) => !existsSync(d));
  if (missing.length === 0) return;
  const { uid, gid } = await userIds('frr');
  for (const d of missing) {
    await mkdir(d, { recursive: true, mode: 0o755 });
    await chown(d, uid, gid);
  }
}
