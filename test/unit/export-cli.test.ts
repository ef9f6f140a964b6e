// `lvslab export`: the command writes the export into a directory, refuses to overwrite
// what is not its own, and validates its options. Runs the real command handler on real
// temp directories.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { registerExport } from '../../src/cli/commands/export.js';
import { EXPORT_MANIFEST } from '../../src/export/write.js';
import { EXIT, LvslabError } from '../../src/util/errors.js';

const root = mkdtempSync(join(tmpdir(), 'lvslab-export-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

/** Runs `lvslab export ...args`; resolves to what it printed, rejects with its error. */
async function exportCommand(...args: string[]): Promise<string> {
  const program = new Command('lvslab').exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  registerExport(program);
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  await program.parseAsync(['node', 'lvslab', 'export', ...args]);
  return out;
}

function dir(name: string): string {
  return join(root, name);
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected the command to fail');
    },
    (e: unknown) => e,
  );
}

describe('lvslab export --format containerlab', () => {
  it('writes the topology, the README and every node\'s directory, and says what to do next', async () => {
    const out = dir('ospf-ecmp');
    const printed = await exportCommand('ospf-ecmp', '--format', 'containerlab', '--out', out);
    expect(readdirSync(out).sort()).toEqual([EXPORT_MANIFEST, 'README.md', 'client1', 'client2', 'lb1', 'lb2', 'ospf-ecmp.clab.yml', 'router', 'rs1', 'rs2'].sort());
    expect(statSync(join(out, 'client1')).isDirectory()).toBe(true); // a bind source must exist even without configs
    expect(readFileSync(join(out, 'lb1/conf/keepalived.conf'), 'utf8')).toContain('virtual_server 10.0.1.100 80');
    expect(readFileSync(join(out, 'router/conf/ospfd.conf'), 'utf8')).toMatch(/^interface eth1$/m);
    expect(readFileSync(join(out, 'rs1/conf/nginx.conf'), 'utf8')).toContain('listen 80;');
    const manifest = JSON.parse(readFileSync(join(out, EXPORT_MANIFEST), 'utf8')) as { files: string[] };
    expect(manifest.files).toContain('lb1/conf/keepalived.conf');

    expect(printed).toContain('ospf-ecmp: wrote');
    expect(printed).toContain('  lb1/conf/keepalived.conf');
    expect(printed).toMatch(/ip link add lv[0-9a-f]{4}_lan type bridge/);
    expect(printed).toContain('modprobe ip_vs');
    expect(printed).toContain(`containerlab deploy -t ${join(out, 'ospf-ecmp.clab.yml')}`);
  });

  it('refuses a non-empty directory without --force and changes nothing', async () => {
    const out = dir('occupied');
    mkdirSync(out);
    writeFileSync(join(out, 'mine.txt'), 'keep me\n');
    const err = await rejection(exportCommand('lvs-dr', '--format', 'containerlab', '--out', out));
    expect(err).toBeInstanceOf(LvslabError);
    expect((err as LvslabError).exitCode).toBe(EXIT.invalidInput);
    expect((err as LvslabError).message).toContain('is not empty');
    expect(readdirSync(out)).toEqual(['mine.txt']);
  });

  it('--force replaces an earlier export\'s files and keeps everything else', async () => {
    const out = dir('reexport');
    await exportCommand('lvs-dr', '--format', 'containerlab', '--out', out);
    expect(existsSync(join(out, 'director/conf/keepalived.conf'))).toBe(true);
    writeFileSync(join(out, 'notes.txt'), 'mine\n');
    mkdirSync(join(out, 'director/log'), { recursive: true });
    writeFileSync(join(out, 'director/log/keepalived.log'), 'a daemon wrote this\n');

    const printed = await exportCommand('lvs-dr', '--format', 'containerlab', '--out', out, '--dataplane', 'nftables', '--force');
    expect(existsSync(join(out, 'director/conf/keepalived.conf'))).toBe(false);
    expect(existsSync(join(out, 'director/conf/healthd.json'))).toBe(true);
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('mine\n');
    expect(existsSync(join(out, 'director/log/keepalived.log'))).toBe(true);
    expect(printed).toContain('removed 1 files of the earlier export: director/conf/keepalived.conf');
    expect(printed).not.toContain('modprobe ip_vs');
  });

  it('--json, --name, --bridges fabric and --image-tag', async () => {
    const out = dir('json');
    const printed = await exportCommand('ospf-ecmp-p2p', '--format', 'containerlab', '--out', out, '--json', '--name', 'p2p-copy', '--bridges', 'fabric', '--image-tag', 'v1.2');
    const result = JSON.parse(printed) as { topologyFile: string; files: string[]; hostSetup: string[]; bridges: Array<{ clabNode: string }> };
    expect(result.topologyFile).toBe(join(out, 'p2p-copy.clab.yml'));
    expect(result.hostSetup).toEqual([]);
    expect(result.bridges.map((b) => b.clabNode).sort()).toEqual(['clients|lvslab_fabric', 'servers|lvslab_fabric']);
    const topo = readFileSync(result.topologyFile, 'utf8');
    expect(topo).toContain('name: p2p-copy');
    expect(topo).toContain('image: lvslab/node:v1.2');
  });

  it('validates its input', async () => {
    const out = dir('invalid');
    const invalid = async (why: RegExp, ...args: string[]): Promise<void> => {
      const err = await rejection(exportCommand(...args));
      expect((err as Error).message, args.join(' ')).toMatch(why);
      if (err instanceof CommanderError) expect(err.exitCode).not.toBe(0);
      else {
        expect(err).toBeInstanceOf(LvslabError);
        expect((err as LvslabError).exitCode).toBe(EXIT.invalidInput);
      }
    };
    await invalid(/--format/, 'ospf-ecmp', '--out', out);
    await invalid(/netlab.*invalid|invalid.*netlab/i, 'ospf-ecmp', '--format', 'netlab', '--out', out);
    await invalid(/--out/, 'ospf-ecmp', '--format', 'containerlab');
    await invalid(/auto.*invalid|invalid.*auto/i, 'ospf-ecmp', '--format', 'containerlab', '--out', out, '--dataplane', 'auto');
    await invalid(/ovs.*invalid|invalid.*ovs/i, 'ospf-ecmp', '--format', 'containerlab', '--out', out, '--bridges', 'ovs');
    await invalid(/--name "Bad_Name": 'Bad_Name' is not a valid name \(accepted: a lowercase letter/, 'ospf-ecmp', '--format', 'containerlab', '--out', out, '--name', 'Bad_Name');
    await invalid(/not a valid image tag/, 'ospf-ecmp', '--format', 'containerlab', '--out', out, '--image-tag=-latest');
    await invalid(/no-such-lab/, 'no-such-lab', '--format', 'containerlab', '--out', out);
    writeFileSync(join(root, 'a-file'), '');
    await invalid(/not a directory/, 'ospf-ecmp', '--format', 'containerlab', '--out', join(root, 'a-file'));
    expect(existsSync(out)).toBe(false);
  });

  it('has --help with examples', async () => {
    const program = new Command('lvslab').exitOverride();
    registerExport(program);
    const help = program.commands.find((c) => c.name() === 'export')!.helpInformation();
    let after = '';
    program.commands.find((c) => c.name() === 'export')!.configureOutput({ writeOut: (s) => { after += s; } });
    await rejection(program.parseAsync(['node', 'lvslab', 'export', '--help']));
    expect(help).toContain('--format <FORMAT>');
    expect(after).toContain('Examples:');
    expect(after).toContain('lvslab export ospf-ecmp --format containerlab --out clab/ospf-ecmp');
  });
});
