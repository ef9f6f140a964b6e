#!/usr/bin/env node
// Benchmark: how long `lvslab validate` takes as the lab file grows from 10 kB to 5 MB, so
// that validation is seen to stay linear in the file's size (time per MB flat) and every
// file is answered quickly (a result, or a located limit error past the format's limits).
//
//   node bench/validate.mjs [--runs N] [--check]
//
// Three kinds of generated file, each the catalogue's ospf-ecmp followed by:
//   unknown-keys  k1: 1, k2: 1, ... unknown top-level keys (every line is an error)
//   clients       client nodes on the lab's segment (valid up to the 1,000-node limit)
//   comments      comment lines (a valid lab: the parser's own cost)
// Two figures per file (median of N runs):
//   cli_ms        wall clock of the real CLI, spawn to exit (includes Node's ~0.3 s start)
//   cpu_ms        CPU time of loadLabText in this process (after a warm-up), which is what
//                 grows with the file: cpu_ms_per_mb is the figure that must stay flat
// Files over the size limit (1 MiB) are refused before parsing: their time per MB is not
// comparable and is reported separately. Results go to bench/results/validate-<time>.json.
// --check exits 1 if a file takes 5 s or more, or one kind's time per MB (files from 100 kB
// to the size limit) varies by more than 3x.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, flag, opt, repo, writeResult } from './bench-lib.mjs';

const runs = Number(opt('--runs', '3'));
const check = flag('--check');

const { loadLabText } = await import(`${repo}dist/model/load.js`);
const { INPUT_LIMITS } = await import(`${repo}dist/model/yaml-source.js`);
const base = readFileSync(`${repo}labs/ospf-ecmp.yaml`, 'utf8');
// A /16 so that 1,000 clients get an address each.
const wide = base.replace('subnet: 10.0.1.0/24', 'subnet: 10.0.0.0/16');

const GENERATORS = {
  'unknown-keys': (bytes) => {
    const parts = [base, '\n'];
    let size = base.length + 1;
    for (let i = 1; size < bytes; i++) {
      const line = `k${i}: 1\n`;
      parts.push(line);
      size += line.length;
    }
    return parts.join('');
  },
  clients: (bytes) => {
    const [head, tail] = wide.split('\nservices:');
    const parts = [head, '\n'];
    let size = wide.length + 1;
    for (let i = 0; size < bytes; i++) {
      const entry = `  c${i}:\n    role: client\n    interfaces:\n      - { segment: lan }\n`;
      parts.push(entry);
      size += entry.length;
    }
    parts.push('\nservices:', tail);
    return parts.join('');
  },
  comments: (bytes) => {
    const line = '# a comment line of a generously commented lab file, sixty-four\n';
    return base + '\n' + line.repeat(Math.max(0, Math.ceil((bytes - base.length) / line.length)));
  },
};
const SIZES = [10e3, 30e3, 100e3, 300e3, 1e6, 2e6, 5e6];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function cpuMs(text) {
  const t0 = process.cpuUsage();
  let outcome = 'valid';
  try {
    loadLabText(text, 'bench.yaml');
  } catch (err) {
    outcome = err.problems ? `${err.problems.length} problems: ${err.problems[0].message.slice(0, 60)}` : String(err).slice(0, 80);
  }
  const d = process.cpuUsage(t0);
  return { ms: (d.user + d.system) / 1000, outcome };
}

const dir = mkdtempSync(join(tmpdir(), 'lvslab-bench-validate-'));
loadLabText(base, 'warm-up.yaml');
const samples = [];
for (const [kind, generate] of Object.entries(GENERATORS)) {
  for (const target of SIZES) {
    const text = generate(target);
    const bytes = Buffer.byteLength(text);
    const file = join(dir, `${kind}-${target}.yaml`);
    writeFileSync(file, text);
    const cpu = [];
    const wall = [];
    let outcome;
    let exit;
    for (let r = 0; r < runs; r++) {
      const c = cpuMs(text);
      cpu.push(c.ms);
      outcome = c.outcome;
      const t0 = process.hrtime.bigint();
      const res = spawnSync(process.execPath, [cli, 'validate', file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      wall.push(Number(process.hrtime.bigint() - t0) / 1e6);
      exit = res.status;
    }
    const mb = bytes / 1e6;
    const s = {
      kind,
      bytes,
      over_size_limit: bytes > INPUT_LIMITS.maxBytes,
      exit,
      outcome,
      cli_ms: Math.round(median(wall)),
      cpu_ms: Math.round(median(cpu)),
      cpu_ms_per_mb: Math.round(median(cpu) / mb),
    };
    samples.push(s);
    console.error(`${kind.padEnd(12)} ${(bytes / 1e3).toFixed(0).padStart(5)} kB  cli ${String(s.cli_ms).padStart(5)} ms  cpu ${String(s.cpu_ms).padStart(5)} ms  ${String(s.cpu_ms_per_mb).padStart(6)} ms/MB  exit ${exit}  ${outcome}`);
  }
}
rmSync(dir, { recursive: true, force: true });

// Flatness per kind: an unknown key costs more to report than a comment line to skip.
const perKind = {};
for (const kind of Object.keys(GENERATORS)) {
  const perMb = samples.filter((s) => s.kind === kind && !s.over_size_limit && s.bytes >= 100e3).map((s) => s.cpu_ms_per_mb);
  perKind[kind] = { cpu_ms_per_mb_min: Math.min(...perMb), cpu_ms_per_mb_max: Math.max(...perMb), flat: Math.max(...perMb) <= 3 * Math.min(...perMb) };
}
const summary = {
  slowest_cli_ms: Math.max(...samples.map((s) => s.cli_ms)),
  per_kind: perKind,
  size_limit_bytes: INPUT_LIMITS.maxBytes,
};
const verdict = { answered_under_5s: summary.slowest_cli_ms < 5000, flat: Object.values(perKind).every((k) => k.flat) };
const out = writeResult('validate', {
  runs,
  method: 'cli_ms: wall clock (process.hrtime) of `lvslab validate FILE`; cpu_ms: process.cpuUsage around loadLabText in one warmed-up process; medians of the runs. Flatness is judged on files from 100 kB up to the size limit (below 100 kB fixed costs dominate the per-MB figure)',
  samples,
  summary,
  verdict,
});
console.log(`slowest answer ${summary.slowest_cli_ms} ms (goal < 5000 ms: ${verdict.answered_under_5s ? 'met' : 'MISSED'})`);
for (const [kind, k] of Object.entries(perKind)) {
  console.log(`${kind.padEnd(12)} CPU per MB, 100 kB to ${INPUT_LIMITS.maxBytes / 1024 / 1024} MiB: ${k.cpu_ms_per_mb_min}..${k.cpu_ms_per_mb_max} ms/MB (flat within 3x: ${k.flat ? 'yes' : 'NO'})`);
}
console.log(`recorded in ${out}`);
if (check && !(verdict.answered_under_5s && verdict.flat)) process.exit(1);
