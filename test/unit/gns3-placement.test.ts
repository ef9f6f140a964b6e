// --gns3-placement and --gns3-compute-host as a user writes them: nodes by name or by role
// onto computes (a node's own entry before its role's, the rest on the default compute),
// every key checked against the lab so a typo places nothing silently, switches where most of
// their members run, compute hosts per compute; bad input refused with what is accepted; a
// compute on another machine with no host to reach its engine refused before anything is made.
import { beforeAll, describe, expect, it } from 'vitest';
import { Gns3Runtime } from '../../src/runtime/gns3/gns3-runtime.js';
import { startGns3Standin } from '../support/gns3-standin/server.mjs';
import Docker from 'dockerode';
import { localHost } from '../../src/host/local.js';
import { loadLabFile } from '../../src/model/load.js';
import { resolveLabArgument } from '../../src/lab/catalogue.js';
import type { ResolvedLab } from '../../src/model/types.js';
import { checkPlacement, formatNodeComputes, parseComputeHosts, parsePlacement, switchCompute } from '../../src/runtime/gns3/placement.js';
import { EXIT, LvslabError } from '../../src/util/errors.js';

let lab: ResolvedLab;
beforeAll(async () => {
  lab = await loadLabFile(await resolveLabArgument('ospf-ecmp'));
});

function refused(f: () => unknown): LvslabError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(LvslabError);
    expect((err as LvslabError).exitCode).toBe(EXIT.invalidInput);
    return err as LvslabError;
  }
  throw new Error('accepted');
}

describe('--gns3-placement', () => {
  it('places a role, lets a node override its role, and leaves the rest on the default compute', () => {
    const placed = checkPlacement(lab, parsePlacement('director=vm2,lb2=vm3,client1=vm2'), 'local');
    expect(Object.fromEntries(placed)).toEqual({ router: 'local', lb1: 'vm2', lb2: 'vm3', rs1: 'local', rs2: 'local', client1: 'vm2', client2: 'local' });
    // The record keeps only what is off the default compute, in the same syntax.
    expect(formatNodeComputes(placed, 'local')).toBe('lb1=vm2,lb2=vm3,client1=vm2');
    expect(Object.fromEntries(checkPlacement(lab, parsePlacement(formatNodeComputes(placed, 'local')), 'local'))).toEqual(Object.fromEntries(placed));
  });

  it('refuses a key that is neither a node nor a role of the lab, naming both', () => {
    const e = refused(() => checkPlacement(lab, parsePlacement('lb3=vm2'), 'local'));
    expect(e.message).toBe("--gns3-placement: 'lb3' is neither a node nor a role of lab ospf-ecmp");
    expect(e.hint).toContain('its nodes: router, lb1, lb2, rs1, rs2, client1, client2');
    expect(e.hint).toContain('its roles: router, director, realserver, client');
  });

  it('refuses bad syntax with what is accepted', () => {
    for (const [spec, why] of [
      ['director', "'director' is not KEY=COMPUTE"],
      ['director=', "'' is not a GNS3 compute id"],
      ['director=vm 2', "'vm 2' is not a GNS3 compute id"],
      ['director=../x', "'../x' is not a GNS3 compute id"],
      ['Lb1=vm2', "'Lb1' is not a node name or role"],
      ['lb1=vm2,lb1=vm3', "'lb1' is placed twice"],
    ] as const) {
      const e = refused(() => parsePlacement(spec));
      expect(e.message, spec).toContain(`--gns3-placement '${spec}': ${why}`);
      expect(e.hint).toContain('KEY=COMPUTE');
    }
  });
});

describe('switch placement', () => {
  const computes = new Map([
    ['a', 'vm2'],
    ['b', 'vm2'],
    ['c', 'local'],
  ]);
  it('puts a switch where most of its members run', () => {
    expect(switchCompute([{ node: 'a' }, { node: 'b' }, { node: 'c' }], computes, 'local')).toBe('vm2');
  });
  it('keeps it on the default compute on a tie that includes it, else takes the first tied by name', () => {
    expect(switchCompute([{ node: 'a' }, { node: 'c' }], computes, 'local')).toBe('local');
    expect(switchCompute([{ node: 'a' }, { node: 'x' }], new Map([['a', 'vm3'], ['x', 'vm2']]), 'local')).toBe('vm2');
    expect(switchCompute([], computes, 'local')).toBe('local');
  });
});

describe('--gns3-compute-host', () => {
  it('gives a plain target to the default compute and ID=target to the compute named', () => {
    expect(Object.fromEntries(parseComputeHosts('root@gns3vm', 'local'))).toEqual({ local: 'root@gns3vm' });
    expect(Object.fromEntries(parseComputeHosts('root@gns3vm:2222,vm2=root@192.0.2.11', 'local'))).toEqual({ local: 'root@gns3vm:2222', vm2: 'root@192.0.2.11' });
  });
  it('refuses a compute given twice, a bad compute id and a bad SSH target', () => {
    expect(refused(() => parseComputeHosts('root@a,local=root@b', 'local')).message).toContain('compute local is given two hosts');
    expect(refused(() => parseComputeHosts('v m=root@a', 'local')).message).toContain("'v m' is not a GNS3 compute id");
    expect(refused(() => parseComputeHosts('vm2=root@', 'local')).message).toContain("--gns3-compute-host 'root@'");
  });
});

describe('a placement onto a compute on another machine', () => {
  it('is refused until --gns3-compute-host names that machine, before any engine is asked and with nothing made', async () => {
    // Bookkeeping only, and the local compute's engine one that cannot answer: the refusal
    // must come before lvslab asks any engine.
    const s = await startGns3Standin({ extraComputes: [{ compute_id: 'vm3', host: '192.0.2.30' }] });
    try {
      const deadEngine = new Docker({ socketPath: '/nonexistent/lvslab-unit-docker.sock' });
      const runtime = new Gns3Runtime({
        image: 'lvslab/node:latest',
        server: { url: s.url, source: 'test' },
        computeId: 'local',
        placement: parsePlacement('director=vm3'),
        computeEngines: new Map([['local', { host: localHost, docker: deadEngine }]]),
      });
      runtime.checkLab(lab);
      const err = await runtime.preflight().then(
        () => undefined,
        (e: unknown) => e as LvslabError,
      );
      expect(err?.message).toContain('the nodes would run on GNS3 compute vm3 (192.0.2.30), another host');
      expect(err?.exitCode).toBe(EXIT.hostNotReady);
      expect(err?.hint).toContain('--gns3-compute-host vm3=[USER@]HOST');
      expect(s.projects.size).toBe(0);
    } finally {
      await s.close();
    }
  });
});
