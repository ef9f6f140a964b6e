// The format's input limits and the YAML features around them: anchors and aliases work
// as YAML defines them, while deep nesting, alias bombs, huge files, FIFOs, symlink loops
// and binary files each get one located error (exit 2), never a crash, a hang or an echo
// of the file's bytes.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import { registerValidate } from '../../src/cli/commands/validate.js';
import { loadLabFile, loadLabText } from '../../src/model/load.js';
import { loadExperimentFile } from '../../src/experiment/load.js';
import { LabValidationError, MAX_PRINTED_PROBLEMS } from '../../src/model/problems.js';
import { INPUT_LIMITS } from '../../src/model/yaml-source.js';
import { EXIT, LvslabError } from '../../src/util/errors.js';
import { readFileSync } from 'node:fs';

const ECMP = readFileSync('labs/ospf-ecmp.yaml', 'utf8');

function problemsOf(text: string): string[] {
  try {
    loadLabText(text, 'x.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(LabValidationError);
    return (err as LabValidationError).problems.map((p) => `${p.line}:${p.column} ${p.field} ${p.message}`);
  }
  return [];
}

async function fileError(load: () => Promise<unknown>): Promise<LvslabError> {
  try {
    await load();
  } catch (err) {
    expect(err).toBeInstanceOf(LvslabError);
    expect((err as LvslabError).exitCode).toBe(EXIT.invalidInput);
    return err as LvslabError;
  }
  throw new Error('loaded without error');
}

/** A valid lab whose real servers all share one anchored weight. */
function sharedWeightLab(servers: number): string {
  const lines = ['name: shared', 'segments: { lan: { subnet: 10.0.0.0/16 } }', 'nodes:', '  r: { role: router, interfaces: [ { segment: lan } ] }', '  d: { role: director, interfaces: [ { segment: lan } ] }'];
  for (let i = 0; i < servers; i++) lines.push(`  rs${i}: { role: realserver, interfaces: [ { segment: lan } ] }`);
  lines.push('services:', '  web:', '    vip: 10.0.200.1', '    port: 80', '    real_servers:');
  for (let i = 0; i < servers; i++) lines.push(i === 0 ? `      - { node: rs${i}, weight: &w 10 }` : `      - { node: rs${i}, weight: *w }`);
  return lines.join('\n') + '\n';
}

describe('anchors and aliases', () => {
  it('a lab whose 120 real servers share one anchored weight loads', () => {
    const lab = loadLabText(sharedWeightLab(120), 'shared.yaml');
    expect(lab.services[0]!.realServers).toHaveLength(120);
    expect(new Set(lab.services[0]!.realServers.map((r) => r.weight))).toEqual(new Set([10]));
  });

  it('an undefined alias is a located error', () => {
    expect(problemsOf('name: x\nnodes: *nodes\n')).toEqual(['2:8  alias *nodes refers to no anchor']);
  });

  it('an alias inside the value it names is a cycle, reported where it stands', () => {
    expect(problemsOf('name: x\nnodes: &n\n  a: *n\n')).toEqual(['3:6  alias *n is inside the value it refers to (a cycle)']);
  });

  it('an alias bomb stops at the expansion limit, at the alias that crossed it', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++) levels.push(`${'abcdefgh'[i]}: &${'abcdefgh'[i]} [${Array(10).fill(`*${'abcdefgh'[i - 1]}`).join(', ')}]`);
    const problems = problemsOf(levels.join('\n') + '\n');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^\d+:\d+ {2}aliases expand to more than 100,000 values \(the format's limit\)$/);
  });
});

describe('nesting depth', () => {
  it('a 3,000-level mapping is a located error naming the limit', () => {
    expect(problemsOf('{a: '.repeat(3000) + '1' + '}'.repeat(3000))).toEqual([`1:${4 * INPUT_LIMITS.maxDepth + 1}  nested more than ${INPUT_LIMITS.maxDepth} levels deep (the format's limit)`]);
    let block = '';
    for (let i = 0; i < 100; i++) block += `${' '.repeat(i)}a:\n`;
    expect(problemsOf(block + `${' '.repeat(100)}1\n`)).toEqual([`${INPUT_LIMITS.maxDepth + 1}:${INPUT_LIMITS.maxDepth + 1}  nested more than ${INPUT_LIMITS.maxDepth} levels deep (the format's limit)`]);
  });

  it('a 5,000-level list, flow or block, is a located error, not a stack overflow', () => {
    expect(problemsOf('['.repeat(5000) + ']'.repeat(5000))).toEqual([`1:${INPUT_LIMITS.maxDepth + 1}  nested more than ${INPUT_LIMITS.maxDepth} levels deep (the format's limit)`]);
    expect(problemsOf('- '.repeat(5000) + '1\n')).toEqual([`1:${2 * INPUT_LIMITS.maxDepth + 1}  nested more than ${INPUT_LIMITS.maxDepth} levels deep (the format's limit)`]);
  });

  it('the catalogue labs are far inside the limit', () => {
    expect(problemsOf(ECMP)).toEqual([]);
  });
});

describe('size and the number of problems', () => {
  it('a file over the size limit is refused before parsing', () => {
    const big = ECMP + '\n' + '# padding\n'.repeat(INPUT_LIMITS.maxBytes / 10);
    expect(problemsOf(big)).toEqual([`1:1  the file is 1.0 MiB, larger than the 1.0 MiB limit of the format`]);
  });

  it('20,000 unknown keys: each located, the message lists the first ones and counts the rest', () => {
    let text = ECMP + '\n';
    for (let i = 1; i <= 20_000; i++) text += `k${i}: 1\n`;
    const started = Date.now();
    let err: LabValidationError | undefined;
    try {
      loadLabText(text, 'keys.yaml');
    } catch (e) {
      err = e as LabValidationError;
    }
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(err!.problems).toHaveLength(20_000);
    const lines = err!.message.split('\n');
    expect(lines).toHaveLength(1 + MAX_PRINTED_PROBLEMS + 1);
    expect(lines[0]).toBe('keys.yaml: 20,000 errors in the lab file');
    expect(lines.at(-1)).toBe(`… and ${(20_000 - MAX_PRINTED_PROBLEMS).toLocaleString('en-US')} more problems`);
    expect(err!.message.length).toBeLessThan(20_000);
  });

  it('validate --json lists the first 1,000 problems and counts the rest', async () => {
    let text = ECMP + '\n';
    for (let i = 1; i <= 1500; i++) text += `k${i}: 1\n`;
    const file = join(mkdtempSync(join(tmpdir(), 'lvslab-json-')), 'keys.yaml');
    writeFileSync(file, text);
    const program = new Command('lvslab').exitOverride();
    registerValidate(program);
    let out = '';
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    try {
      await program.parseAsync(['node', 'lvslab', 'validate', file, '--json']);
    } finally {
      write.mockRestore();
      process.exitCode = undefined;
    }
    const printed = JSON.parse(out) as { valid: boolean; problemCount: number; omitted: number; problems: unknown[] };
    expect([printed.valid, printed.problemCount, printed.omitted, printed.problems.length]).toEqual([false, 1500, 500, 1000]);
  });

  it('duplicate keys are found without comparing every pair', () => {
    expect(problemsOf('name: a\nname: b\nnodes: {}\n')[0]).toMatch(/^2:1 {2}YAML: Map keys must be unique/);
  });

  it('names that are Object.prototype members are ordinary keys', () => {
    const text = ECMP.replace('directors: [lb1, lb2]', 'directors: [lb1, constructor, toString, hasOwnProperty, __proto__, valueOf]');
    const problems = problemsOf(text);
    for (const name of ['constructor', 'toString', 'hasOwnProperty', '__proto__', 'valueOf']) {
      expect(problems.some((p) => p.includes(`unknown node '${name}'`))).toBe(true);
    }
  });
});

describe('files that are not lab files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lvslab-input-'));

  it('a FIFO is refused at once, never opened for a blocking read', async () => {
    const fifo = join(dir, 'fifo.yaml');
    execFileSync('mkfifo', [fifo]);
    expect((await fileError(() => loadLabFile(fifo))).message).toMatch(/it is a FIFO \(named pipe\), not a regular file/);
    expect((await fileError(() => loadExperimentFile(fifo))).message).toMatch(/cannot read experiment file .*: it is a FIFO/);
  });

  it('a directory and a symlink loop say what they are', async () => {
    expect((await fileError(() => loadLabFile(dir))).message).toMatch(/it is a directory, not a regular file/);
    symlinkSync(join(dir, 'b.yaml'), join(dir, 'a.yaml'));
    symlinkSync(join(dir, 'a.yaml'), join(dir, 'b.yaml'));
    expect((await fileError(() => loadLabFile(join(dir, 'a.yaml')))).message).toMatch(/a symbolic link loop/);
    symlinkSync(join(dir, 'nowhere.yaml'), join(dir, 'dangling.yaml'));
    expect((await fileError(() => loadLabFile(join(dir, 'dangling.yaml')))).message).toMatch(/a dangling symbolic link/);
  });

  it('binary and UTF-16 files are described, not echoed', async () => {
    const bin = join(dir, 'bin.yaml');
    writeFileSync(bin, Buffer.from([0x6e, 0x61, 0x00, 0xff, 0x01, 0x02, 0x03, 0x0a, 0x41]));
    const binErr = await fileError(() => loadLabFile(bin));
    expect(binErr.message).toMatch(/:1:3: error: the file is binary, not YAML text \(a NUL byte at offset 2\)/);
    for (const [name, bytes, what] of [
      ['le.yaml', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('name: x\n', 'utf16le')]), /UTF-16 text \(little-endian byte-order mark\)/],
      ['nobom.yaml', Buffer.from('name: x\nnodes: {}\n', 'utf16le'), /looks like UTF-16 text/],
      ['u32.yaml', Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), Buffer.from('n\0\0\0', 'latin1')]), /UTF-32 text \(little-endian byte-order mark\)/],
      ['latin1.yaml', Buffer.from('name: caf\xe9\n', 'latin1'), /:1:10: error: the file is not UTF-8 text \(byte 0xe9 at offset 9/],
    ] as const) {
      writeFileSync(join(dir, name), bytes);
      const err = await fileError(() => loadLabFile(join(dir, name)));
      expect(err.message).toMatch(what);
      expect(err.message).not.toContain('name: x');
    }
  });
});

describe('count limits and bounded values', () => {
  it('more nodes than the format allows is one located error on nodes, answered quickly', () => {
    let extra = '';
    for (let i = 0; i < 1001; i++) extra += `  c${i}: { role: client, interfaces: [ { segment: lan } ] }\n`;
    const text = ECMP.replace('subnet: 10.0.1.0/24', 'subnet: 10.0.0.0/16').replace('\nservices:', `\n${extra}\nservices:`);
    const started = Date.now();
    const problems = problemsOf(text);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(problems).toEqual(["30:1 nodes 1,008 entries, more than the format's limit of 1,000"]);
  });

  it('1,000 clients on one segment validate in linear time', () => {
    let extra = '';
    for (let i = 0; i < 990; i++) extra += `  c${i}: { role: client, interfaces: [ { segment: lan } ] }\n`;
    const text = ECMP.replace('subnet: 10.0.1.0/24', 'subnet: 10.0.0.0/16').replace('\nservices:', `\n${extra}\nservices:`);
    const lab = loadLabText(text, 'many.yaml');
    expect(lab.nodes).toHaveLength(997);
    // Lowest free address first, skipping the ones the file uses (the cursor must not skip free ones).
    expect(lab.nodes.find((n) => n.name === 'c0')!.interfaces[0]!.address).toBe('10.0.0.1');
    expect(new Set(lab.nodes.map((n) => n.interfaces[0]!.address)).size).toBe(997);
  });

  it('health-check timers have maxima and the path has no space', () => {
    const text = ECMP.replace('connect_timeout: 2', 'connect_timeout: 1e12').replace('path: /', 'path: /a b').replace('delay_loop: 5', 'delay_loop: 100000');
    expect(problemsOf(text)).toEqual([
      "89:13 services.web.health_check.path '/a b' is not a URL path",
      '91:19 services.web.health_check.delay_loop 100000 is too large',
      '92:24 services.web.health_check.connect_timeout 1000000000000 is too large',
    ]);
  });
});
