// Shared by the render-*.test.ts files: the fixtures, node paths, golden files and
// throwaway network namespaces (all named lvtr-*).
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { NodePaths, ResolvedLab, ResolvedNode } from '../../src/model/types.js';
import { run, runOk } from '../../src/util/exec.js';
import { lvsDrResolved } from '../fixtures/lvs-dr.resolved.js';
import { ospfEcmpResolved } from '../fixtures/ospf-ecmp.resolved.js';

export const FIXTURES: readonly ResolvedLab[] = [ospfEcmpResolved, lvsDrResolved];

export const EXPECTED_DIR = fileURLToPath(new URL('../fixtures/expected/', import.meta.url));

/** Deep copy, for tests that derive a variant of a fixture. */
export function cloneLab(lab: ResolvedLab): ResolvedLab {
  return structuredClone(lab);
}

export function nodeOf(lab: ResolvedLab, name: string): ResolvedNode {
  const node = lab.nodes.find((n) => n.name === name);
  if (!node) throw new Error(`no node ${name} in ${lab.name}`);
  return node;
}

/** The paths golden files are rendered with: the netns runtime's layout, fixed. */
export function goldenPaths(lab: ResolvedLab, node: ResolvedNode): NodePaths {
  return pathsUnder(`/run/lvslab/${lab.instance}/nodes/${node.name}`);
}

/** Same layout below `root` (a temp dir), with every directory created. */
export function tempPaths(root: string, lab: ResolvedLab, node: ResolvedNode): NodePaths {
  const paths = pathsUnder(join(root, lab.instance, node.name));
  for (const dir of [paths.conf, paths.run, paths.log, paths.frrVtyDir]) mkdirSync(dir, { recursive: true });
  return paths;
}

function pathsUnder(base: string): NodePaths {
  return {
    base,
    conf: `${base}/conf`,
    run: `${base}/run`,
    log: `${base}/log`,
    frrVtyDir: `${base}/run/frr`,
    lvslab: { node: '/usr/bin/node', dist: '/opt/lvslab/dist' },
  };
}

/**
 * Compares `actual` with test/fixtures/expected/<relPath>. A missing golden file fails;
 * LVSLAB_UPDATE_GOLDEN=1 rewrites them (then read every diff before keeping it).
 */
export function expectGolden(relPath: string, actual: string): void {
  const file = join(EXPECTED_DIR, relPath);
  if (process.env.LVSLAB_UPDATE_GOLDEN === '1') {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
  }
  expect(existsSync(file), `golden file ${relPath} is missing (LVSLAB_UPDATE_GOLDEN=1 creates it)`).toBe(true);
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

// ---------------------------------------------------------------------------
// Network namespaces
// ---------------------------------------------------------------------------

/** A namespace name unique to this test process: lvtr-<pid>-<tag>. */
export function testNamespace(tag: string): string {
  return `lvtr-${process.pid}-${tag}`;
}

/**
 * Creates `ns` with lo up and one veth per named interface; each peer (v0, v1, ...) stays
 * in the same namespace and is brought up, so the interface gets a carrier once it is up.
 */
export async function createNamespace(ns: string, interfaces: readonly string[] = []): Promise<void> {
  await runOk(['ip', 'netns', 'add', ns]);
  const batch = ['link set dev lo up'];
  interfaces.forEach((name, i) => {
    batch.push(`link add ${name} type veth peer name v${i}`, `link set dev v${i} up`);
  });
  await runOk(['ip', '-n', ns, '-batch', '-'], { input: batch.join('\n') + '\n' });
}

/** Removes `ns` if it exists (never throws: used in afterAll). */
export async function deleteNamespace(ns: string): Promise<void> {
  await run(['ip', 'netns', 'del', ns]);
}

/** Runs argv inside `ns`. */
export function inNamespace(ns: string, argv: readonly string[]): readonly string[] {
  return ['ip', 'netns', 'exec', ns, ...argv];
}
