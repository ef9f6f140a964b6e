// What the exported topologies expect of the lvslab node image. The image builder (images/)
// imports these, so the name containerlab pulls and the paths the exported exec commands
// use are the ones the image really has.

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
 * Where the image carries lvslab's compiled JavaScript: this package's dist/ and its
 * package.json (which makes Node read dist/*.js as ES modules). The fallback dataplane's
 * health daemon runs from there as `node <dir>/dist/dataplane/healthd.js`; it imports
 * only Node's built-in modules.
 */
export const IMAGE_LVSLAB_DIR = '/opt/lvslab';

/** The health daemon's script inside the image. */
export const IMAGE_HEALTHD_SCRIPT = `${IMAGE_LVSLAB_DIR}/dist/dataplane/healthd.js`;

/** The Node.js binary inside the image (on PATH). */
export const IMAGE_NODE_BINARY = 'node';

/**
 * Each node's directory inside its container: the export's DIR/<node> is bind-mounted
 * here, so configs written by `lvslab export` and the logs the daemons write are the
 * same files on the host and in the container.
 */
export const CONTAINER_BASE = '/lvslab';
