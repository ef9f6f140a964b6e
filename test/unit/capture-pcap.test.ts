// Reading back a capture before it is kept: only a classic pcap counts, its complete frames
// are counted, and a record cut by the capture's stop is found (so it can be trimmed).
import { describe, expect, it } from 'vitest';
import { isIcmpOverEthernet, LINKTYPE_ETHERNET, readPcapRecords, summarisePcap } from '../../src/capture/pcap.js';

/** A classic pcap as libpcap writes it, in either byte order, micro- or nanosecond timestamps. */
function pcap(frames: Buffer[], opts: { bigEndian?: boolean; nanoseconds?: boolean; linkType?: number } = {}): Buffer {
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    if (opts.bigEndian) b.writeUInt32BE(n);
    else b.writeUInt32LE(n);
    return b;
  };
  const u16 = (n: number) => {
    const b = Buffer.alloc(2);
    if (opts.bigEndian) b.writeUInt16BE(n);
    else b.writeUInt16LE(n);
    return b;
  };
  const header = Buffer.concat([u32(opts.nanoseconds ? 0xa1b23c4d : 0xa1b2c3d4), u16(2), u16(4), u32(0), u32(0), u32(262144), u32(opts.linkType ?? LINKTYPE_ETHERNET)]);
  const records = frames.map((f, i) => Buffer.concat([u32(1_700_000_000 + i), u32(opts.nanoseconds ? 500_000_000 : 500_000), u32(f.length), u32(f.length), f]));
  return Buffer.concat([header, ...records]);
}

/** An Ethernet frame carrying IPv4 with this protocol number (1 = ICMP, 6 = TCP). */
function ipv4Frame(protocol: number, vlan = false): Buffer {
  const eth = Buffer.alloc(vlan ? 18 : 14);
  if (vlan) {
    eth.writeUInt16BE(0x8100, 12);
    eth.writeUInt16BE(0x0800, 16);
  } else eth.writeUInt16BE(0x0800, 12);
  const ip = Buffer.alloc(28);
  ip[0] = 0x45;
  ip[9] = protocol;
  return Buffer.concat([eth, ip]);
}

describe('summarisePcap', () => {
  it('counts the frames of a pcap in either byte order and timestamp resolution', () => {
    const frames = [ipv4Frame(1), ipv4Frame(6), ipv4Frame(1, true)];
    for (const opts of [{}, { bigEndian: true }, { nanoseconds: true }, { bigEndian: true, nanoseconds: true }]) {
      const bytes = pcap(frames, opts);
      expect(summarisePcap(bytes), JSON.stringify(opts)).toEqual({ linkType: LINKTYPE_ETHERNET, snapLength: 262144, frames: 3, partialTailBytes: 0, completeBytes: bytes.length });
      const records = readPcapRecords(bytes);
      expect(records.map(isIcmpOverEthernet)).toEqual([true, false, true]);
      expect(records[0]!.t).toBe(1_700_000_000_500);
    }
  });

  it('finds a partial last record (a capture stopped mid-write) and where the complete ones end', () => {
    const whole = pcap([ipv4Frame(1), ipv4Frame(1)]);
    const cut = whole.subarray(0, whole.length - 10);
    const s = summarisePcap(cut);
    expect(s.frames).toBe(1);
    expect(s.completeBytes).toBe(24 + 16 + 42);
    expect(s.partialTailBytes).toBe(cut.length - s.completeBytes);
    // a header alone is an empty capture, not an error
    expect(summarisePcap(whole.subarray(0, 24)).frames).toBe(0);
  });

  it('refuses what is not a classic pcap, saying why', () => {
    expect(() => summarisePcap(Buffer.alloc(0))).toThrow(/shorter than the 24-byte pcap header/);
    expect(() => summarisePcap(Buffer.from('{"message": "This link has no active packet capture"}'))).toThrow(/not a pcap file: magic/);
    // pcapng's section header block
    expect(() => summarisePcap(Buffer.concat([Buffer.from([0x0a, 0x0d, 0x0d, 0x0a]), Buffer.alloc(40)]))).toThrow(/pcapng/);
    const damaged = pcap([ipv4Frame(1)]);
    damaged.writeUInt32LE(10_000_000, 24 + 8);
    expect(() => summarisePcap(damaged)).toThrow(/damaged pcap/);
  });
});
