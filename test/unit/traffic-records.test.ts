// Reading the generator's NDJSON back: file order, a truncated last line left out, bad
// lines elsewhere reported with their line number; the batched writer round-trips.
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LongLivedEvent, RequestRecord } from '../../src/experiment/types.js';
import { NdjsonWriter } from '../../src/traffic/ndjson-writer.js';
import { readLongLivedEvents, readRequestRecords } from '../../src/traffic/records.js';

const dir = mkdtempSync(join(tmpdir(), 'lvtt-records-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const records: RequestRecord[] = [
  { t: 1795259934196.784, client: 'c1', latencyMs: 1.154, outcome: 'ok', server: 'rs1', localPort: 49664, status: 200 },
  { t: 1795259934201.5, client: 'c1', latencyMs: 1000.2, outcome: 'timeout', localPort: 49665 },
  { t: 1795259934206.1, client: 'c1', latencyMs: 0.4, outcome: 'error', status: 503, localPort: 49666 },
];
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const ndjson = (values: unknown[]): string => values.map((v) => JSON.stringify(v) + '\n').join('');

describe('readRequestRecords', () => {
  it('reads every record in file order', async () => {
    expect(await readRequestRecords(file('a.ndjson', ndjson(records)))).toEqual(records);
  });
  it('leaves out a truncated last line, with or without a newline', async () => {
    const whole = ndjson(records);
    const cut = whole + JSON.stringify(records[0]).slice(0, 30);
    expect(await readRequestRecords(file('b.ndjson', cut))).toEqual(records);
    expect(await readRequestRecords(file('c.ndjson', cut + '\n'))).toEqual(records);
    expect(await readRequestRecords(file('empty.ndjson', ''))).toEqual([]);
  });
  it('a bad line before the last is an error naming the line', async () => {
    const text = ndjson([records[0]]) + '{"t":1,"cli\n' + ndjson([records[1]]);
    await expect(readRequestRecords(file('d.ndjson', text))).rejects.toThrow(/d\.ndjson:2: not JSON/);
    const wrongShape = ndjson([records[0], { ...records[1], outcome: 'skipped' }]);
    await expect(readRequestRecords(file('e.ndjson', wrongShape))).rejects.toThrow(/e\.ndjson:2: unknown outcome "skipped"/);
  });
  it('a missing file is an error', async () => {
    await expect(readRequestRecords(join(dir, 'nope.ndjson'))).rejects.toThrow(/ENOENT/);
  });
});

describe('readLongLivedEvents', () => {
  const events: LongLivedEvent[] = [
    { t: 1, client: 'c1', connection: 0, kind: 'open', server: 'rs1' },
    { t: 2, client: 'c1', connection: 0, kind: 'break', breakKind: 'timeout', server: 'rs1' },
    { t: 3, client: 'c1', connection: 0, kind: 'reopen', server: 'rs2' },
  ];
  it('reads events and checks their kinds', async () => {
    expect(await readLongLivedEvents(file('ll.ndjson', ndjson(events) + '{"t":4,"cl'))).toEqual(events);
    await expect(readLongLivedEvents(file('ll2.ndjson', ndjson([{ ...events[1], breakKind: undefined }, events[2]])))).rejects.toThrow(
      /a break without breakKind/,
    );
  });
});

describe('NdjsonWriter', () => {
  it('writes in batches and everything is there after close', async () => {
    const p = join(dir, 'w.ndjson');
    const w = new NdjsonWriter(p, { maxBatchBytes: 300 });
    for (let i = 0; i < 50; i++) w.write({ ...records[0], t: i });
    // Batches of ~300 bytes have gone out already; the rest waits for the flush.
    const before = readFileSync(p, 'utf8').split('\n').length - 1;
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(50);
    w.close();
    const back = await readRequestRecords(p);
    expect(back.map((r) => r.t)).toEqual([...Array(50).keys()]);
    expect(w.lines).toBe(50);
    expect(() => w.write(records[0])).toThrow(/write after close/);
  });
});
