// Which links `lvslab run --capture` records, and the file each goes to: the links a GNS3 user
// sees on the canvas. A segment is a switch with one link per member, so each member's
// interface is one capture (its link to the switch); a point-to-point link is one capture,
// taken on its first end. Files are named from node and interface (captures/lb1-eth0.pcap),
// checked so that no name can put a file outside the run directory's captures/.
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { ResolvedLab } from '../model/types.js';

/** The run directory's folder of pcaps (results.json names files relative to the run directory). */
export const CAPTURES_DIR = 'captures';

export interface CaptureTarget {
  node: string;
  iface: string;
  /** Exactly one of segment / link: what the captured interface is attached to. */
  segment?: string;
  link?: string;
  /** The pcap's name inside captures/ (no directory part). */
  fileName: string;
}

/** Every capture of a run on this lab, segments' members first (in declaration order), then the links. */
export function captureTargets(lab: ResolvedLab): CaptureTarget[] {
  const wanted: Array<Omit<CaptureTarget, 'fileName'>> = [
    ...lab.segments.flatMap((seg) => seg.members.map((m) => ({ node: m.node, iface: m.iface, segment: seg.name }))),
    ...lab.links.map((l) => ({ node: l.ends[0].node, iface: l.ends[0].iface, link: l.name })),
  ];
  // Node and interface names may both hold '-': "a-b" + "c" and "a" + "b-c" would share a
  // name. A later one gets a numbered name instead of overwriting the first.
  const taken = new Set<string>();
  return wanted.map((w) => {
    const base = captureBaseName(w.node, w.iface);
    let fileName = `${base}.pcap`;
    for (let n = 2; taken.has(fileName); n++) fileName = `${base}-${n}.pcap`;
    taken.add(fileName);
    return { ...w, fileName };
  });
}

/**
 * "lb1-eth0" from node and interface. The model's name rules already allow only letters,
 * digits, '-', '_' and '.', but a record or a lab from elsewhere may hold anything: every
 * other character becomes '_', and a leading '.' too, so the name is never hidden, "..",
 * or a path.
 */
export function captureBaseName(node: string, iface: string): string {
  const clean = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^\./, '_') || '_';
  return `${clean(node)}-${clean(iface)}`;
}

/**
 * The absolute path of `fileName` in the run directory's captures/, refusing anything that
 * would land elsewhere (a separator, "..", an absolute path): the last guard before a write.
 */
export function capturePath(runDir: string, fileName: string): string {
  const dir = resolve(runDir, CAPTURES_DIR);
  const path = resolve(dir, fileName);
  const rel = relative(dir, path);
  if (fileName.includes('/') || fileName.includes('\\') || rel === '' || rel.startsWith('..') || isAbsolute(rel) || rel.includes(sep)) {
    throw new Error(`capture file name ${JSON.stringify(fileName)} would not be a file directly in ${dir}`);
  }
  return path;
}

/** How results.json names a capture file: relative to the run directory. */
export function captureRelativePath(fileName: string): string {
  return `${CAPTURES_DIR}/${fileName}`;
}
