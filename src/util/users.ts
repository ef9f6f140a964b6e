// Numeric ids of a system user (e.g. frr), looked up once per process: `up` chowns many
// files and directories for FRR and must not spawn `id` for each of them.
import { runOk } from './exec.js';

const cache = new Map<string, Promise<{ uid: number; gid: number }>>();

export function userIds(user: string): Promise<{ uid: number; gid: number }> {
  let ids = cache.get(user);
  if (!ids) {
    ids = Promise.all([runOk(['id', '-u', user]), runOk(['id', '-g', user])]).then(([u, g]) => ({ uid: Number(u.trim()), gid: Number(g.trim()) }));
    cache.set(user, ids);
  }
  return ids;
}
