// The hand-written fixtures (test/fixtures/*.resolved.ts) are what every renderer's golden
// files are rendered from; the resolver is the truth for the catalogue labs. This keeps
// the two equal, so a golden file never describes a lab the loader would not produce.
import { describe, expect, it } from 'vitest';
import { loadLabFile } from '../../src/model/load.js';
import type { ResolvedLab } from '../../src/model/types.js';
import { LVS_DR_LAB_FILE, lvsDrResolved } from '../fixtures/lvs-dr.resolved.js';
import { OSPF_ECMP_LAB_FILE, ospfEcmpResolved } from '../fixtures/ospf-ecmp.resolved.js';

const CASES: ReadonlyArray<[file: string, fixture: ResolvedLab]> = [
  [OSPF_ECMP_LAB_FILE, ospfEcmpResolved],
  [LVS_DR_LAB_FILE, lvsDrResolved],
];

describe('fixtures equal what the loader resolves from the catalogue labs', () => {
  for (const [file, fixture] of CASES) {
    it(fixture.name, async () => {
      // The absolute path of this checkout's lab file: independent of the working directory.
      const loaded = await loadLabFile(file);
      // Strict: a key present with `undefined` on one side only, or a different order in a
      // list (segment members, routes, networks), is a difference too.
      expect(loaded).toStrictEqual(fixture);
    });
  }

  it('the comparison notices a single changed field', async () => {
    const loaded = await loadLabFile(OSPF_ECMP_LAB_FILE);
    const changed = structuredClone(ospfEcmpResolved);
    changed.nodes[0]!.interfaces[0]!.ospf!.retransmit = 5;
    expect(loaded).not.toStrictEqual(changed);
  });
});
