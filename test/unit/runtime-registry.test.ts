// The runtime registry is the one place a runtime is named: a throwaway runtime registered
// here shows up in `--runtime`'s help and accepted list, in doctor's and up's host checks,
// in instance listing and in `down`'s sweep, with no other file touched.
import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerUp } from '../../src/cli/commands/up.js';
import { registerRun } from '../../src/cli/commands/run.js';
import { doctorRequirements, upPreflight, upRequirements } from '../../src/host/requirements.js';
import { defaultRuntimeKind, registerRuntime, runtimeDefinition, runtimeKinds, type RuntimeDefinition } from '../../src/runtime/registry.js';
import { destroyEverywhere, listAllInstances } from '../../src/runtime/select.js';
import type { HostRequirement } from '../../src/host/checks.js';
import { EXIT, LvslabError } from '../../src/util/errors.js';
import { localHost } from '../../src/host/local.js';

const GHOST = 'registry-unit-ghost';
const throwawayNeeds: HostRequirement = {
  neededBy: 'nftables',
  check: async () => ({ id: 'throwaway-engine', ok: false, detail: 'no throwaway engine here', fix: 'start the throwaway engine' }),
};
/** What keepalived needs: asked on ipvs, and on the fallback only for a VRRP-held VIP. */
const throwawayKeepalived: HostRequirement = {
  neededBy: 'keepalived',
  check: async () => ({ id: 'throwaway-keepalived', ok: false, detail: 'no keepalived in the throwaway engine', fix: 'install it there' }),
};
const throwaway: RuntimeDefinition = {
  kind: 'throwaway',
  help: 'a runtime made up by this test',
  open: async () => {
    throw new Error('the throwaway runtime builds nothing');
  },
  hostRequirements: [throwawayNeeds, throwawayKeepalived],
  findInstances: async () => [GHOST],
  destroyByName: vi.fn(async (instance: string) => ({ instance, killedProcesses: 0, removedNodes: ['ghost-node'], removedPaths: [] })),
};

let unregister: () => void;
beforeAll(() => {
  unregister = registerRuntime(throwaway);
});
afterAll(() => unregister());

/** A program with the commands that take `--runtime`; output swallowed. */
function program(): { cli: Command; help: () => string } {
  let out = '';
  const cli = new Command('lvslab').exitOverride().configureOutput({ writeErr: () => {}, writeOut: (s) => void (out += s) });
  registerUp(cli);
  registerRun(cli);
  return { cli, help: () => out };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

describe('the runtime registry', () => {
  it('lists the shipped runtimes, the first one the default, and then the registered one', () => {
    expect(runtimeKinds()).toEqual(['netns', 'docker', 'containerlab', 'gns3', 'throwaway']);
    expect(defaultRuntimeKind()).toBe('netns');
  });

  it('is what --runtime accepts: another word is refused naming every accepted kind', async () => {
    for (const command of ['up', 'run']) {
      const err = await rejection(program().cli.parseAsync(['node', 'lvslab', command, 'ospf-ecmp', '--runtime', 'nope']));
      expect(err).toBeInstanceOf(CommanderError);
      // main() turns every non-zero CommanderError into exit 2 (invalid input).
      expect((err as CommanderError).exitCode).not.toBe(0);
      expect((err as CommanderError).message).toContain('Allowed choices are netns, docker, containerlab, gns3, throwaway');
    }
  });

  it("is what --runtime's help explains, and where up's default comes from", async () => {
    for (const command of ['up', 'run']) {
      const p = program();
      await rejection(p.cli.parseAsync(['node', 'lvslab', command, '--help']));
      const help = p.help().replace(/\s+/g, ' ');
      expect(help).toContain('netns = network namespaces on this host');
      expect(help).toContain('throwaway = a runtime made up by this test');
      if (command === 'up') expect(help).toContain('default: "netns"');
    }
  });

  it('refuses an unknown kind from anywhere else (a state record) as invalid input, naming the accepted ones', () => {
    const err = (() => {
      try {
        runtimeDefinition('gone');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(LvslabError);
    expect((err as LvslabError).exitCode).toBe(EXIT.invalidInput);
    expect((err as LvslabError).message).toContain('accepted: netns, docker, containerlab, gns3, throwaway');
  });

  it("puts the runtime's host checks into doctor, and into up's preflight for that runtime only", async () => {
    expect(doctorRequirements()).toContain(throwawayNeeds);
    expect(upRequirements('throwaway')).toContain(throwawayNeeds);
    expect(upRequirements('netns')).not.toContain(throwawayNeeds);
    // netns's node programs are not asked of a host whose nodes run elsewhere
    expect(upRequirements('throwaway')).toHaveLength(upRequirements('docker').length + 2);
    const preflight = await upPreflight('throwaway', localHost);
    expect(preflight.missing('nftables').map((c) => c.id)).toContain('throwaway-engine');
    expect(preflight.missing('ipvs').map((c) => c.id)).not.toContain('throwaway-engine');
  });

  it('asks for keepalived on ipvs, and on the nftables fallback only where it holds a VRRP VIP', async () => {
    const preflight = await upPreflight('throwaway', localHost);
    expect(preflight.missing('ipvs').map((c) => c.id)).toContain('throwaway-keepalived');
    expect(preflight.missing('nftables').map((c) => c.id)).not.toContain('throwaway-keepalived');
    expect(preflight.missing('nftables', { keepalived: true }).map((c) => c.id)).toContain('throwaway-keepalived');
  });

  it("lists the instances it finds, and down's sweep asks it to remove them", async () => {
    expect(await listAllInstances()).toContainEqual({ instance: GHOST, runtime: 'throwaway' });
    const report = await destroyEverywhere(GHOST);
    expect(throwaway.destroyByName).toHaveBeenCalledWith(GHOST, undefined, {}, { keepInstanceDir: true });
    expect(report.removedNodes).toEqual(['ghost-node']);
  });
});
