// Wall-clock timestamps in daemon logs carry no zone: FRR, keepalived and `ip -ts` print the
// host's local time. All lab nodes share the host's clock and zone, so the analysis (run on
// the same host) reads them as local time by default; 'utc' is for logs copied from a host
// whose zone was UTC, read elsewhere. Around a DST change one local hour is ambiguous; Date
// resolves it like the C library does, which is the best a zone-less log allows.

export type LogTimeZone = 'local' | 'utc';

export interface WallClock {
  year: number;
  /** 1-12. */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** Fraction of the second as written, e.g. "132" or "477988" (empty when absent). */
  fraction: string;
}

/** Epoch milliseconds (float, sub-ms kept) of a zone-less wall-clock time. */
export function wallClockToEpochMs(w: WallClock, zone: LogTimeZone): number {
  const whole =
    zone === 'utc'
      ? Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second)
      : new Date(w.year, w.month - 1, w.day, w.hour, w.minute, w.second).getTime();
  return whole + fractionToMs(w.fraction);
}

/** "132" -> 132, "477988" -> 477.988, "" -> 0. */
export function fractionToMs(fraction: string): number {
  if (fraction === '') return 0;
  return Number(`0.${fraction}`) * 1000;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** 1-12 for an English month abbreviation (as ctime() writes it), undefined otherwise. */
export function monthNumber(abbreviation: string): number | undefined {
  const i = MONTHS.indexOf(abbreviation);
  return i < 0 ? undefined : i + 1;
}

/** Splits text into lines, tolerating CRLF and a missing final newline. */
export function textLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}
