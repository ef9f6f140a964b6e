// The node image's recipe (images/node/: the package list, the final clean-up script and the
// Dockerfile) and the content hash that tags it. Any change to the recipe changes the tag, so
// `lvslab images build` rebuilds and every runtime asks for the image its recipe describes.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LVSLAB_PACKAGE_DIR } from '../util/lvslab-dist.js';
import { nodeImage } from './node-image.js';

export const RECIPE_DIR = join(LVSLAB_PACKAGE_DIR, 'images', 'node');
/** Files of the recipe, in hashing order. */
export const RECIPE_FILES = ['packages.txt', 'finish.sh', 'Dockerfile'] as const;
/** Bumped when the way lvslab turns the recipe into an image changes. */
const BUILDER_VERSION = 'lvslab-node-image/1';

export interface Recipe {
  dir: string;
  packages: string[];
  files: Record<(typeof RECIPE_FILES)[number], string>;
  /** First 12 hex digits of the recipe's sha256. */
  hash: string;
  /** `lvslab/node:<hash>`. */
  image: string;
}

/** Package names of packages.txt: one per line, '#' comments and blank lines ignored. */
export function parsePackageList(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter((l) => l !== '');
}

export function recipeHash(files: Readonly<Record<string, string>>): string {
  const h = createHash('sha256').update(`${BUILDER_VERSION}\n`);
  for (const name of RECIPE_FILES) h.update(`${name}\0${files[name] ?? ''}\0`);
  return h.digest('hex').slice(0, 12);
}

export async function loadRecipe(dir: string = RECIPE_DIR): Promise<Recipe> {
  const entries = await Promise.all(RECIPE_FILES.map(async (name) => [name, await readFile(join(dir, name), 'utf8')] as const));
  const files = Object.fromEntries(entries) as Recipe['files'];
  const hash = recipeHash(files);
  return { dir, packages: parsePackageList(files['packages.txt']), files, hash, image: nodeImage(hash) };
}

/** How `lvslab images build` may build the image (here, so the CLI lists them without loading the Docker client). */
export const BUILD_METHODS = ['auto', 'docker-build', 'offline'] as const;
export type BuildMethod = (typeof BUILD_METHODS)[number];
