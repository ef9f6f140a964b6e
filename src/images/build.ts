// `lvslab images build`: turns the recipe (images/node/) into the image every container
// runtime runs. Two ways to the same tree:
//   - docker build from debian:bookworm-slim, where that base image can be pulled;
//   - offline: debootstrap --variant=minbase from the mirror apt already uses, the recipe's
//     finish.sh run in a chroot, then `docker import` — no registry needed (workshops on an
//     isolated network, CI here).
// The tag is the recipe's content hash: an image that exists is not rebuilt unless forced.
import type Docker from 'dockerode';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { engine, engineError, isNotFound, requireEngine } from '../docker/engine.js';
import { run } from '../util/exec.js';
import { EXIT, LvslabError } from '../util/errors.js';
import { mirrorFor, parseAptSources, type AptSource } from './apt-sources.js';
import { NODE_IMAGE_DEFAULT_TAG, NODE_IMAGE_REPOSITORY } from './node-image.js';
import { loadRecipe, RECIPE_FILES, type Recipe } from './recipe.js';

import { BUILD_METHODS, type BuildMethod } from './recipe.js';
import { hostHasCommand } from '../host/host.js';
import { localHost } from '../host/local.js';

export { BUILD_METHODS, type BuildMethod };

/** The base image of the Dockerfile; `auto` builds with it only when it can be had. */
export const BASE_IMAGE = 'debian:bookworm-slim';

export interface BuildOptions {
  method: BuildMethod;
  /** Rebuild even when the image of this recipe exists. */
  force: boolean;
  /** Offline only: mirror URI and suite (default: what apt on this host uses). */
  mirror?: string;
  suite?: string;
}

export interface BuildEvents {
  stage(text: string): void;
  /** One line of a slow step's output (debootstrap, docker build). */
  detail(line: string): void;
}

export interface BuildResult {
  image: string;
  recipeHash: string;
  /** false: the image of this recipe was already there. */
  built: boolean;
  method?: 'docker-build' | 'offline';
  elapsedMs: number;
  sizeBytes?: number;
}

export async function buildNodeImage(opts: BuildOptions, events: BuildEvents, docker: Docker = engine()): Promise<BuildResult> {
  const started = Date.now();
  await requireEngine(docker);
  const recipe = await loadRecipe();
  const existing = opts.force ? undefined : await imageSize(docker, recipe.image);
  if (existing !== undefined) {
    return { image: recipe.image, recipeHash: recipe.hash, built: false, elapsedMs: Date.now() - started, sizeBytes: existing };
  }
  const method = opts.method === 'auto' ? ((await baseImageAvailable(docker, events)) ? 'docker-build' : 'offline') : opts.method;
  if (method === 'docker-build') await dockerBuild(docker, recipe, events);
  else await offlineBuild(docker, recipe, opts, events);
  // `latest` follows the newest build: it is what `lvslab export` names by default.
  await docker.getImage(recipe.image).tag({ repo: NODE_IMAGE_REPOSITORY, tag: NODE_IMAGE_DEFAULT_TAG });
  return { image: recipe.image, recipeHash: recipe.hash, built: true, method, elapsedMs: Date.now() - started, sizeBytes: await imageSize(docker, recipe.image) };
}

/** The image's size, or undefined when it does not exist. */
export async function imageSize(docker: Docker, image: string): Promise<number | undefined> {
  try {
    return (await docker.getImage(image).inspect()).Size;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw engineError(err, `looking up ${image}`);
  }
}

async function baseImageAvailable(docker: Docker, events: BuildEvents): Promise<boolean> {
  if ((await imageSize(docker, BASE_IMAGE)) !== undefined) return true;
  events.stage(`trying to pull ${BASE_IMAGE}`);
  try {
    const stream = await docker.pull(BASE_IMAGE);
    await followProgress(docker, stream, events);
    return true;
  } catch (err) {
    events.detail(`cannot pull ${BASE_IMAGE} (${err instanceof Error ? err.message : String(err)}): building offline`);
    return false;
  }
}

async function dockerBuild(docker: Docker, recipe: Recipe, events: BuildEvents): Promise<void> {
  events.stage(`docker build ${recipe.image} from ${BASE_IMAGE}`);
  try {
    const stream = await docker.buildImage({ context: recipe.dir, src: [...RECIPE_FILES] }, { t: recipe.image });
    await followProgress(docker, stream, events);
  } catch (err) {
    throw engineError(err, `building ${recipe.image}`);
  }
}

async function offlineBuild(docker: Docker, recipe: Recipe, opts: BuildOptions, events: BuildEvents): Promise<void> {
  if (!(await hostHasCommand(localHost, 'debootstrap'))) {
    throw new LvslabError('building the node image offline needs debootstrap', EXIT.hostNotReady, 'apt-get install -y debootstrap');
  }
  const { suite, mirror } = await debootstrapSource(opts);
  const work = await mkdtemp('/var/tmp/lvslab-image-');
  const root = join(work, 'rootfs');
  try {
    events.stage(`debootstrap ${suite} from ${mirror} (${recipe.packages.length} packages, about a minute)`);
    await streamed(['debootstrap', '--variant=minbase', `--include=${recipe.packages.join(',')}`, suite, root, mirror], events, 'debootstrap');
    events.stage('finishing the tree (finish.sh)');
    await copyFile(join(recipe.dir, 'finish.sh'), join(root, 'lvslab-finish.sh'));
    const finish = await run(['chroot', root, 'sh', '/lvslab-finish.sh']);
    if (finish.code !== 0) throw new LvslabError(`finish.sh failed in the new tree: ${finish.stderr.trim()}`);
    await rm(join(root, 'lvslab-finish.sh'));
    events.stage(`docker import ${recipe.image}`);
    const tar = spawn('tar', ['-C', root, '--numeric-owner', '-c', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const tarFailed = new Promise<never>((_, reject) => {
      tar.on('error', reject);
      tar.on('close', (code) => {
        if (code !== 0) reject(new LvslabError(`tar of the new tree failed (exit ${code})`));
      });
    });
    tarFailed.catch(() => {});
    const [repo, tag] = recipe.image.split(':') as [string, string];
    try {
      const stream = await docker.importImage(tar.stdout, { repo, tag, changes: ['CMD ["sleep","infinity"]'] } as object);
      await followProgress(docker, stream, events);
    } catch (err) {
      throw engineError(err, `importing ${recipe.image}`);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Suite and mirror: given, or the host's codename and the mirror apt uses for it. */
export async function debootstrapSource(opts: Pick<BuildOptions, 'mirror' | 'suite'>): Promise<{ suite: string; mirror: string }> {
  const suite = opts.suite ?? (await hostCodename());
  if (!suite) throw new LvslabError('cannot tell this host\'s distribution release', EXIT.hostNotReady, 'give it: lvslab images build --suite bookworm --mirror http://deb.debian.org/debian');
  if (!existsSync(`/usr/share/debootstrap/scripts/${suite}`)) {
    throw new LvslabError(`debootstrap does not know the suite '${suite}'`, EXIT.hostNotReady, 'give one it knows: --suite bookworm (ls /usr/share/debootstrap/scripts)');
  }
  const mirror = opts.mirror ?? mirrorFor(await hostAptSources(), suite);
  if (!mirror) {
    throw new LvslabError(`no apt source on this host carries ${suite} main`, EXIT.hostNotReady, 'give the mirror: lvslab images build --mirror http://deb.debian.org/debian');
  }
  return { suite, mirror };
}

async function hostCodename(): Promise<string | undefined> {
  const text = await readFile('/etc/os-release', 'utf8').catch(() => '');
  return /^VERSION_CODENAME="?([a-z]+)"?$/m.exec(text)?.[1];
}

async function hostAptSources(): Promise<AptSource[]> {
  const out: AptSource[] = [];
  const read = async (file: string, format: 'list' | 'deb822') => out.push(...parseAptSources(await readFile(file, 'utf8').catch(() => ''), format));
  await read('/etc/apt/sources.list', 'list');
  const dir = '/etc/apt/sources.list.d';
  for (const name of (await readdir(dir).catch(() => [] as string[])).sort()) {
    if (name.endsWith('.list')) await read(join(dir, name), 'list');
    else if (name.endsWith('.sources')) await read(join(dir, name), 'deb822');
  }
  return out;
}

/** Runs a slow command, passing its output lines on; a failure quotes its last lines. */
async function streamed(argv: string[], events: BuildEvents, what: string): Promise<void> {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  const tail: string[] = [];
  const onLine = (line: string) => {
    tail.push(line);
    if (tail.length > 15) tail.shift();
    events.detail(line);
  };
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', onLine);
  const code = await new Promise<number>((resolve) => {
    child.on('error', () => resolve(127));
    child.on('close', (c) => resolve(c ?? 1));
  });
  if (code !== 0) throw new LvslabError(`${what} failed (exit ${code}):\n${tail.join('\n')}`, EXIT.failure);
}

/** Waits for an engine progress stream to end; an error message in it fails the step. */
function followProgress(docker: Docker, stream: NodeJS.ReadableStream, events: BuildEvents): Promise<void> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null, output: Array<{ error?: string; errorDetail?: { message?: string } }>) => {
        if (err) return reject(err);
        const failed = output.find((o) => o.error || o.errorDetail);
        if (failed) return reject(new LvslabError(failed.errorDetail?.message ?? failed.error ?? 'failed'));
        resolve();
      },
      (event: { stream?: string; status?: string }) => {
        const line = (event.stream ?? event.status ?? '').trim();
        if (line) events.detail(line);
      },
    );
  });
}
