// Building Figure values: every figure states its method, its resolution, and why it is
// null when it is.
import type { Figure } from '../experiment/types.js';

export function figure(
  value: number | null,
  unit: Figure['unit'],
  method: string,
  resolution: number | null,
  note?: string,
): Figure {
  return {
    value: value === null ? null : tidy(value),
    unit,
    method,
    resolution: resolution === null ? null : tidy(resolution),
    ...(note !== undefined ? { note } : {}),
  };
}

/** A figure that cannot be computed from this run, and why. */
export function absent(unit: Figure['unit'], method: string, note: string): Figure {
  return figure(null, unit, method, null, note);
}

/**
 * 12 significant digits: removes float noise (3.8000000000000003 -> 3.8) from differences
 * of epoch milliseconds without flattening tiny values such as a p-value of 1e-58.
 */
function tidy(value: number): number {
  return Number.isFinite(value) ? Number(value.toPrecision(12)) : value;
}
