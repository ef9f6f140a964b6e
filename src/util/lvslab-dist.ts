// Where this lvslab's compiled programs are on the host: the directory this module was
// loaded from, one level up (dist/ when run from the build, src/ under vitest). The netns
// runtime starts lvslab's own programs from here; container runtimes bind-mount its parent.
import { basename, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const LVSLAB_DIST = dirname(dirname(fileURLToPath(import.meta.url)));

/** The package directory holding dist/ and package.json (which makes Node read dist/*.js as ES modules). */
export const LVSLAB_PACKAGE_DIR = dirname(LVSLAB_DIST);

/** dist/ (or src/) under whatever directory the package is mounted at. */
export function distBelow(packageDir: string): string {
  return `${packageDir}/${basename(LVSLAB_DIST)}`;
}
