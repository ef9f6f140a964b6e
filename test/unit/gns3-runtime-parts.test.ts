// The parts of `--runtime gns3` that need no server: an experiment's link impairment as the
// GNS3 link filters ubridge applies (whole percents, delay with its jitter), and the link
// filters the client refuses before sending (GNS3 would store a refused filter anyway).
import { describe, expect, it } from 'vitest';
import { gns3Filters } from '../../src/runtime/gns3/gns3-runtime.js';
import { validateFilters } from '../../src/gns3/client.js';

describe('link-impair as GNS3 link filters', () => {
  it('maps each impairment to its filter, in whole percents, never 0 (which GNS3 reads as no filter)', () => {
    expect(gns3Filters({ lossPercent: 30 })).toEqual({ packet_loss: [30] });
    expect(gns3Filters({ lossPercent: 12.6, corruptPercent: 0.4 })).toEqual({ packet_loss: [13], corrupt: [1] });
    expect(gns3Filters({ dropEvery: 4 })).toEqual({ frequency_drop: [4] });
    expect(gns3Filters({ delayMs: 100 })).toEqual({ delay: [100, 0] });
    expect(gns3Filters({ delayMs: 50, jitterMs: 20 })).toEqual({ delay: [50, 20] });
  });

  it('gives filters the client accepts for every impairment the experiment format allows', () => {
    for (const imp of [{ lossPercent: 100 }, { dropEvery: 32767 }, { delayMs: 32767, jitterMs: 32767 }, { corruptPercent: 100 }]) {
      expect(() => validateFilters(gns3Filters(imp))).not.toThrow();
    }
  });
});
