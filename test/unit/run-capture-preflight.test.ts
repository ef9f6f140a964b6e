// `run --capture` refuses, before anything is created, a netns host without tcpdump (netns
// nodes run the lab host's programs): exit code 3 (host not ready) with the install command.
// Runtimes with a capture of their own, or whose nodes run the node image's tcpdump, need
// nothing of the host. A PATH without tcpdump stands in for a host that lacks it.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { requireCapture, runExperiment, type RunEvents } from '../../src/experiment/run.js';
import type { Runtime } from '../../src/runtime/runtime.js';
import { instanceDir } from '../../src/util/host-paths.js';
import { EXIT, LvslabError } from '../../src/util/errors.js';
import { localHost } from '../../src/host/local.js';

const REPO = new URL('../../', import.meta.url).pathname;
const savedPath = process.env.PATH;
let dirs: string[] = [];

/** A PATH holding only sh (and tcpdump when asked): hostHasCommand looks there. */
async function pathWith(tools: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lvslab-path-'));
  dirs.push(dir);
  for (const t of ['sh', ...tools]) await symlink(`/usr/bin/${t}`, join(dir, t)).catch(() => symlink(`/bin/${t}`, join(dir, t)));
  return dir;
}

afterEach(async () => {
  process.env.PATH = savedPath;
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  dirs = [];
});

const netnsLike = { kind: 'netns', nodeFilesOnHost: true, host: localHost } as Runtime;

describe('what run --capture needs of the host', () => {
  it('netns without tcpdump on the host: host not ready, with the fix', async () => {
    process.env.PATH = await pathWith([]);
    const err = await requireCapture(netnsLike).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(LvslabError);
    expect((err as LvslabError).exitCode).toBe(EXIT.hostNotReady);
    expect((err as LvslabError).message).toBe("--capture runs tcpdump inside the lab's nodes, and netns nodes run the lab host's programs: tcpdump is not installed on this host");
    expect((err as LvslabError).hint).toMatch(/scripts\/install-deps\.sh .*apt-get install -y tcpdump/);
  });

  it('netns with tcpdump, a runtime whose nodes have their own, or one that captures itself: nothing more', async () => {
    process.env.PATH = await pathWith(existsSync('/usr/bin/tcpdump') || existsSync('/bin/tcpdump') ? ['tcpdump'] : []);
    if (existsSync('/usr/bin/tcpdump') || existsSync('/bin/tcpdump')) await expect(requireCapture(netnsLike)).resolves.toBeUndefined();
    process.env.PATH = await pathWith([]);
    await expect(requireCapture({ kind: 'docker', nodeFilesOnHost: false } as Runtime)).resolves.toBeUndefined();
    await expect(requireCapture({ kind: 'gns3', nodeFilesOnHost: false, captureLink: async () => ({ method: '', stop: async () => ({ pcap: Buffer.alloc(0) }) }) } as unknown as Runtime)).resolves.toBeUndefined();
  });

  it('lvslab run --capture on netns refuses before it creates anything', async () => {
    const instance = 'captest-refused';
    const stages: string[] = [];
    const events: RunEvents = {
      stageStart: (id) => stages.push(id),
      stageDone: () => {},
      stageFail: () => {},
      notice: () => {},
      progress: () => stages.push('progress'),
      runStart: () => stages.push('run'),
      runDone: () => {},
    };
    process.env.PATH = await pathWith([]);
    const err = await runExperiment(
      { experimentFile: `${REPO}experiments/failover-test.yaml`, instance, repeat: 1, keep: false, runtime: 'netns', capture: true, upTimeoutMs: 1000, outDir: join(tmpdir(), 'lvslab-captest-never') },
      events,
    ).then(() => undefined, (e: unknown) => e);
    process.env.PATH = savedPath;
    expect((err as LvslabError).exitCode).toBe(EXIT.hostNotReady);
    expect((err as Error).message).toMatch(/tcpdump is not installed on this host/);
    // validated, then refused: no host stage, no namespace, no instance record, no results directory
    expect(stages).toEqual(['validate']);
    expect(existsSync(instanceDir(instance))).toBe(false);
    expect((await readdir('/run/netns').catch(() => [] as string[])).filter((n) => n.includes(instance))).toEqual([]);
    expect(existsSync(join(tmpdir(), 'lvslab-captest-never'))).toBe(false);
  });
});
