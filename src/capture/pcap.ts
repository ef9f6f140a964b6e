// Reading back what a capture produced before it is kept: a run lists a pcap only when the
// bytes are one (libpcap's classic format, as tcpdump -w and GNS3's ubridge/dynamips write
// it), with its frame count for the reports. A capture stopped while its writer was mid-record
// (a stream cut at the capture's stop) ends in a partial record: it is cut off here, so the
// file kept is one every pcap reader opens without a warning.

/** The classic pcap header's magic numbers: microsecond and nanosecond timestamps, either byte order. */
const MAGICS: ReadonlyArray<{ magic: number; littleEndian: boolean; nanoseconds: boolean }> = [
  { magic: 0xa1b2c3d4, littleEndian: false, nanoseconds: false },
  { magic: 0xd4c3b2a1, littleEndian: true, nanoseconds: false },
  { magic: 0xa1b23c4d, littleEndian: false, nanoseconds: true },
  { magic: 0x4d3cb2a1, littleEndian: true, nanoseconds: true },
];
export const PCAP_HEADER_BYTES = 24;
const RECORD_HEADER_BYTES = 16;
/** DLT_EN10MB: Ethernet frames, what every capture of a lab link holds. */
export const LINKTYPE_ETHERNET = 1;

export interface PcapRecord {
  /** Capture time, epoch ms (sub-ms from the file's resolution). */
  t: number;
  /** The bytes kept of the frame (the snap length may cut it). */
  data: Buffer;
  /** The frame's length on the wire. */
  originalLength: number;
}

export interface PcapSummary {
  linkType: number;
  snapLength: number;
  frames: number;
  /** Bytes of a partial record after the last complete one (0 for a cleanly closed file). */
  partialTailBytes: number;
  /** The bytes up to the end of the last complete record. */
  completeBytes: number;
}

/** Parses a classic pcap; throws with what is wrong when the bytes are not one. */
export function summarisePcap(bytes: Buffer): PcapSummary {
  let frames = 0;
  const summary = walkPcap(bytes, () => {
    frames++;
  });
  return { ...summary, frames };
}

/** Every complete record of a classic pcap, in file order. */
export function readPcapRecords(bytes: Buffer): PcapRecord[] {
  const records: PcapRecord[] = [];
  walkPcap(bytes, (r) => records.push(r));
  return records;
}

function walkPcap(bytes: Buffer, onRecord: (r: PcapRecord) => void): Omit<PcapSummary, 'frames'> {
  if (bytes.length < PCAP_HEADER_BYTES) throw new Error(`not a pcap file: ${bytes.length} bytes, shorter than the 24-byte pcap header`);
  const magic = bytes.readUInt32BE(0);
  const format = MAGICS.find((m) => m.magic === magic);
  if (!format) throw new Error(`not a pcap file: magic 0x${magic.toString(16).padStart(8, '0')} (pcapng and other formats are not what tcpdump -w or GNS3 write)`);
  const u32 = (at: number) => (format.littleEndian ? bytes.readUInt32LE(at) : bytes.readUInt32BE(at));
  const snapLength = u32(16);
  const linkType = u32(20) & 0x0fffffff; // the upper bits carry FCS information
  let at = PCAP_HEADER_BYTES;
  while (at + RECORD_HEADER_BYTES <= bytes.length) {
    const seconds = u32(at);
    const fraction = u32(at + 4);
    const included = u32(at + 8);
    const originalLength = u32(at + 12);
    // A record longer than the snap length (or absurdly long) is not a record: the file is damaged.
    if (included > Math.max(snapLength, 262_144)) throw new Error(`damaged pcap: record at byte ${at} claims ${included} bytes (snap length ${snapLength})`);
    if (at + RECORD_HEADER_BYTES + included > bytes.length) break;
    const start = at + RECORD_HEADER_BYTES;
    onRecord({ t: seconds * 1000 + fraction / (format.nanoseconds ? 1e6 : 1e3), data: bytes.subarray(start, start + included), originalLength });
    at = start + included;
  }
  return { linkType, snapLength, partialTailBytes: bytes.length - at, completeBytes: at };
}

/** IPv4 ICMP frames among Ethernet records (a ping's echo requests and replies). */
export function isIcmpOverEthernet(record: PcapRecord): boolean {
  const d = record.data;
  // Ethernet II: ethertype at 12 (after an optional 802.1Q tag), IPv4 protocol at +9.
  let etherType = d.length >= 14 ? d.readUInt16BE(12) : 0;
  let ip = 14;
  if (etherType === 0x8100 && d.length >= 18) {
    etherType = d.readUInt16BE(16);
    ip = 18;
  }
  return etherType === 0x0800 && d.length > ip + 9 && d[ip + 9] === 1;
}
