// The VM suite's slowdown factor: the ratio of two timings of the same workload, the largest
// part deciding, and a harness error (a guest timing with no host one) never read as "no slowdown".
import { describe, expect, test } from 'vitest';
import { decodeCalibration, runSlowdown, slowdownOf } from '../support/calibration.js';

describe('calibration', () => {
  test('decodes what calibrate.mjs prints, and refuses anything else', () => {
    expect(decodeCalibration('120.50,300.00,80.25')).toEqual({ spawnMs: 120.5, tcpMs: 300, jsMs: 80.25 });
    for (const bad of [undefined, '', '1,2', '1,2,x', '0,1,1', '-1,2,3', '1,2,3,4']) expect(decodeCalibration(bad)).toBeUndefined();
  });

  test('the slowest kind of work sets the factor, and a faster guest is not assumed', () => {
    const host = { spawnMs: 100, tcpMs: 200, jsMs: 50 };
    expect(slowdownOf({ spawnMs: 1200, tcpMs: 1000, jsMs: 150 }, host)).toBe(12);
    expect(slowdownOf({ spawnMs: 50, tcpMs: 100, jsMs: 25 }, host)).toBe(1);
  });

  test('1 on the host; the measured ratio in the VM; an error when the host timing is missing', () => {
    expect(runSlowdown({})).toBe(1);
    expect(runSlowdown({ LVSLAB_HOST_CALIBRATION: '100,100,100', LVSLAB_GUEST_CALIBRATION: '800,400,300' })).toBe(8);
    expect(() => runSlowdown({ LVSLAB_GUEST_CALIBRATION: '800,400,300' })).toThrow(/LVSLAB_HOST_CALIBRATION/);
  });
});
