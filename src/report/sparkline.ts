// A text timeline for Markdown: one character per second, its height the share of failed
// requests in that second. Several runs drawn with the same `seconds` line up.
import type { RunResults } from '../experiment/types.js';

const LEVELS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/** `·` = no request that second, `▁` = none failed, up to `█` = all failed. */
export function failureSparkline(results: RunResults, seconds: number): string {
  const chars: string[] = [];
  for (let s = 0; s < Math.ceil(seconds); s++) {
    const inSecond = results.perSecond.filter((b) => b.t >= s && b.t < s + 1);
    const total = inSecond.reduce((a, b) => a + b.ok + b.failed, 0);
    const failed = inSecond.reduce((a, b) => a + b.failed, 0);
    if (total === 0) {
      chars.push('·');
      continue;
    }
    const share = failed / total;
    // Any failure at all shows at least one step above the baseline.
    const level = share === 0 ? 0 : Math.max(1, Math.min(LEVELS.length - 1, Math.round(share * (LEVELS.length - 1))));
    chars.push(LEVELS[level]!);
  }
  return chars.join('');
}

/** A ruler for the sparklines: a digit every 10 s. */
export function sparklineRuler(seconds: number): string {
  let out = '';
  for (let s = 0; s < Math.ceil(seconds); s++) out += s % 10 === 0 ? String((s / 10) % 10) : s % 5 === 0 ? '+' : ' ';
  return out;
}
