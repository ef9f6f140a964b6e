// Puts a rendered fallback dataplane into effect in one node: sysctls, policy routing,
// then the nft ruleset (one transaction). `exec` runs a command inside the director:
// plain `run` when the caller already is there (healthd), a netns/container wrapper otherwise.
import { writeSysctlsArgv } from '../util/sysctl.js';
import type { RunOptions, RunResult } from '../util/exec.js';
import { run } from '../util/exec.js';
import { LvslabError } from '../util/errors.js';
import type { NftDataplane } from './nft-render.js';

export type Exec = (argv: readonly string[], opts?: RunOptions) => Promise<RunResult>;

export async function applyNftDataplane(dataplane: NftDataplane, exec: Exec = run): Promise<void> {
  await applySysctls(dataplane.sysctls, exec);
  await applyIpBatch(dataplane.ipBatch, exec);
  await applyNft(dataplane.nft, exec);
}

export async function applySysctls(sysctls: ReadonlyArray<readonly [string, string]>, exec: Exec = run): Promise<void> {
  if (sysctls.length === 0) return;
  const r = await exec(writeSysctlsArgv(sysctls));
  if (r.code !== 0) throw new LvslabError(`setting the dataplane sysctls failed: ${(r.stderr || r.stdout).trim()}`);
}

/** Loads an `nft -f` text from stdin: the kernel applies all of it or none of it. */
export async function applyNft(text: string, exec: Exec = run): Promise<void> {
  const r = await exec(['nft', '-f', '-'], { input: text, timeoutMs: 30_000 });
  if (r.code !== 0) throw new LvslabError(`nft rejected the dataplane ruleset: ${r.stderr.trim()}`);
}

/**
 * Runs the lines with `ip -force -batch -` so one error does not stop the rest, then
 * accepts only the errors a second application produces (rule or link already there,
 * local rule already moved); anything else is a real failure.
 */
export async function applyIpBatch(lines: readonly string[], exec: Exec = run): Promise<void> {
  if (lines.length === 0) return;
  const r = await exec(['ip', '-force', '-batch', '-'], { input: lines.join('\n') + '\n', timeoutMs: 30_000 });
  if (r.code === 0) return;
  const real = batchFailures(r.stderr, lines).filter((f) => !isRepeatError(f.line, f.message));
  if (real.length > 0 || !/Command failed/.test(r.stderr)) {
    const what = real.map((f) => `  ${f.line}: ${f.message}`).join('\n') || r.stderr.trim();
    throw new LvslabError(`policy routing for the dataplane failed:\n${what}`);
  }
}

interface BatchFailure {
  line: string;
  message: string;
}

/** ip prints the error, then `Command failed -:N` naming the 1-based input line. */
export function batchFailures(stderr: string, lines: readonly string[]): BatchFailure[] {
  const out: BatchFailure[] = [];
  let pending: string[] = [];
  for (const text of stderr.split('\n')) {
    const m = /^Command failed -:(\d+)/.exec(text.trim());
    if (m) {
      out.push({ line: lines[Number(m[1]) - 1] ?? `line ${m[1]}`, message: pending.join(' ').trim() });
      pending = [];
    } else if (text.trim()) pending.push(text.trim());
  }
  return out;
}

function isRepeatError(line: string, message: string): boolean {
  if (/^(rule|link) add /.test(line) && /File exists/.test(message)) return true;
  return line === 'rule del pref 0 lookup local' && /No such file or directory/.test(message);
}
