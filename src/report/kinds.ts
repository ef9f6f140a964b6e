// Telling the two shapes of results.json apart.
import type { RepeatResults, RunResults } from '../experiment/types.js';

/** A `--repeat K` summary (runs + aggregate) rather than a single run. */
export function isRepeatResults(results: RunResults | RepeatResults): results is RepeatResults {
  return Array.isArray((results as RepeatResults).runs) && !('figures' in results);
}
