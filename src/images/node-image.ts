// The lvslab node image as every container runtime sees it: its name, and the paths inside
// a node container. The image builder (images/), the Docker runtime and the containerlab
// export all take them from here, so they agree.
import type { NodePaths } from '../model/types.js';

/** Repository of the one image every lab node runs (FRR, keepalived, nginx, nftables, node). */
export const NODE_IMAGE_REPOSITORY = 'lvslab/node';
export const NODE_IMAGE_DEFAULT_TAG = 'latest';

/** Docker's rule for a tag: a word character, then up to 127 word characters, '.' or '-'. */
export function isValidImageTag(tag: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag);
}

/** `lvslab/node:<tag>`. */
export function nodeImage(tag: string = NODE_IMAGE_DEFAULT_TAG): string {
  if (!isValidImageTag(tag)) throw new Error(`invalid image tag ${JSON.stringify(tag)}`);
  return `${NODE_IMAGE_REPOSITORY}:${tag}`;
}

/**
 * Where a node container sees lvslab's own package (dist/ and package.json, which makes Node
 * read dist/*.js as ES modules): the installed lvslab is bind-mounted here read-only, so the
 * health daemon and traffic generator in a container are always those of the lvslab that
 * runs the lab, and a code change needs no image rebuild. Both import only Node's built-ins.
 */
export const IMAGE_LVSLAB_DIR = '/opt/lvslab';

/** The Node.js binary inside the image (Debian's nodejs, on PATH). */
export const IMAGE_NODE_BINARY = 'node';

/**
 * Each node's directory inside its container: the export's DIR/<node> is bind-mounted
 * here, so configs written by `lvslab export` and the logs the daemons write are the
 * same files on the host and in the container.
 */
export const CONTAINER_BASE = '/lvslab';

/** A node's paths inside its container: the netns runtime's layout, below CONTAINER_BASE. */
export function containerNodePaths(lvslabDist: string): NodePaths {
  return {
    base: CONTAINER_BASE,
    conf: `${CONTAINER_BASE}/conf`,
    run: `${CONTAINER_BASE}/run`,
    log: `${CONTAINER_BASE}/log`,
    frrVtyDir: `${CONTAINER_BASE}/run/frr`,
    lvslab: { node: IMAGE_NODE_BINARY, dist: lvslabDist },
  };
}
