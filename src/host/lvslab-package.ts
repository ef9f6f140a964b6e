// lvslab's own package (package.json and the compiled programs) as a tar archive, for nodes
// that cannot see this machine's files: a remote lab host's namespaces, a GNS3 node's
// container. The programs it holds (health daemon, traffic generator) import only Node's
// built-ins, so the archive is all they need next to a Node.js.
import { basename } from 'node:path';
import { spawn } from 'node:child_process';
import { LvslabError } from '../util/errors.js';
import { LVSLAB_DIST, LVSLAB_PACKAGE_DIR } from '../util/lvslab-dist.js';

let packed: Promise<Buffer> | undefined;

/** The archive (made once per process): package.json and dist/ (src/ under vitest) at its top. */
export function packLvslab(): Promise<Buffer> {
  packed ??= new Promise<Buffer>((resolve, reject) => {
    const tar = spawn('tar', ['-c', '-C', LVSLAB_PACKAGE_DIR, 'package.json', basename(LVSLAB_DIST)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    tar.stdout.on('data', (b: Buffer) => out.push(b));
    tar.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    tar.on('error', (e) => reject(new LvslabError(`packing lvslab's programs: ${e.message}`)));
    tar.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new LvslabError(`packing lvslab's programs: tar exited ${code}: ${stderr.trim()}`))));
  });
  packed.catch(() => (packed = undefined));
  return packed;
}
