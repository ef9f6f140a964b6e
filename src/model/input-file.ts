// Reading a lab or experiment file the user named, refusing what is not one before any
// byte is parsed: a FIFO or device (which would block a plain read forever), a directory,
// a symlink loop, a file over the size limit, binary or UTF-16 content. What the file is
// is said in words; its bytes are never echoed into a message.
import { constants } from 'node:fs';
import { lstat, open, readlink, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { EXIT, LvslabError } from '../util/errors.js';
import { LabValidationError, type Problem } from './problems.js';
import { INPUT_LIMITS, tooLargeProblem } from './yaml-source.js';

export type InputKind = 'lab' | 'experiment' | 'exercise' | 'roster';

export interface InputFile {
  text: string;
  bytes: Buffer;
}

function whatItIs(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

/** Why `path` cannot be opened as a file, in words (ENOENT through a symlink says where it points). */
async function missingReason(path: string, err: NodeJS.ErrnoException): Promise<string> {
  if (err.code === 'ELOOP') return 'a symbolic link loop (following the links leads back to one already followed)';
  if (err.code === 'ENOENT') {
    const link = await lstat(path).catch(() => undefined);
    if (link?.isSymbolicLink()) return `a dangling symbolic link (to ${await readlink(path).catch(() => '?')})`;
    return 'no such file';
  }
  if (err.code === 'EACCES') return 'permission denied';
  if (err.code === 'ENOTDIR') return 'a path component is not a directory';
  return err.message;
}

/** Line and column (1-based) of a byte offset, for a problem about the content itself. */
function positionOf(bytes: Buffer, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: offset - start + 1 };
}

/** Offset of the first byte that is not part of valid UTF-8, or -1. */
function invalidUtf8At(b: Buffer): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    let n = 0;
    if (c < 0x80) n = 0;
    else if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) n = 2;
    else if (c >= 0xf0 && c <= 0xf4) n = 3;
    else return i;
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined || (d & 0xc0) !== 0x80) return i;
    }
    i += n + 1;
  }
  return -1;
}

/** What is wrong with the bytes as YAML text, if anything (UTF-8 is the only encoding accepted). */
function contentProblem(file: string, b: Buffer): Problem | undefined {
  const problem = (offset: number, message: string, accepted: string): Problem => ({ file, ...positionOf(b, offset), field: '', message, accepted, severity: 'error' });
  const utf8 = 'UTF-8 text (convert with: iconv -f UTF-16 -t UTF-8 FILE)';
  if (b[0] === 0xff && b[1] === 0xfe && b[2] === 0 && b[3] === 0) return problem(0, 'the file is UTF-32 text (little-endian byte-order mark), not UTF-8', utf8);
  if (b[0] === 0 && b[1] === 0 && b[2] === 0xfe && b[3] === 0xff) return problem(0, 'the file is UTF-32 text (big-endian byte-order mark), not UTF-8', utf8);
  if (b[0] === 0xff && b[1] === 0xfe) return problem(0, 'the file is UTF-16 text (little-endian byte-order mark), not UTF-8', utf8);
  if (b[0] === 0xfe && b[1] === 0xff) return problem(0, 'the file is UTF-16 text (big-endian byte-order mark), not UTF-8', utf8);
  const nul = b.indexOf(0);
  if (nul >= 0) {
    // ASCII text in UTF-16 without a byte-order mark: every other byte is NUL.
    const head = b.subarray(0, Math.min(b.length, 64));
    const alternating = head.length >= 4 && head.every((byte, i) => (i % 2 === nul % 2) === (byte === 0));
    if (alternating) return problem(0, 'the file looks like UTF-16 text (every other byte is NUL), not UTF-8', utf8);
    return problem(nul, `the file is binary, not YAML text (a NUL byte at offset ${nul})`, 'a UTF-8 text file');
  }
  const bad = invalidUtf8At(b);
  if (bad >= 0) return problem(bad, `the file is not UTF-8 text (byte 0x${b[bad]!.toString(16).padStart(2, '0')} at offset ${bad} is not valid UTF-8)`, 'a UTF-8 text file');
  return undefined;
}

/**
 * Reads a lab or experiment file: LvslabError (exit 2) when it is not a readable regular
 * file, LabValidationError (exit 2, located) when it is too large or not UTF-8 text.
 */
export async function readInputFile(path: string, kind: InputKind): Promise<InputFile> {
  const cannot = (reason: string): LvslabError => new LvslabError(`cannot read ${kind} file ${path}: ${reason}`, EXIT.invalidInput);
  // stat before open: opening a FIFO for reading blocks until a writer appears.
  const st = await stat(path).catch(async (err: NodeJS.ErrnoException) => {
    throw cannot(await missingReason(path, err));
  });
  if (!st.isFile()) throw cannot(`it is ${whatItIs(st)}, not a regular file`);
  if (st.size > INPUT_LIMITS.maxBytes) throw new LabValidationError([tooLargeProblem(path, st.size)], kind);
  // O_NONBLOCK: should the path become a FIFO between stat and open, open returns at once
  // and the fstat below refuses it.
  const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK).catch(async (err: NodeJS.ErrnoException) => {
    throw cannot(await missingReason(path, err));
  });
  let bytes: Buffer;
  try {
    const now = await fh.stat();
    if (!now.isFile()) throw cannot(`it is ${whatItIs(now)}, not a regular file`);
    // Read at most one byte over the limit: a file growing while read is still refused.
    const buf = Buffer.alloc(INPUT_LIMITS.maxBytes + 1);
    let got = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
      if (got === buf.length) break;
    }
    if (got > INPUT_LIMITS.maxBytes) throw new LabValidationError([tooLargeProblem(path, got)], kind);
    bytes = buf.subarray(0, got);
  } finally {
    await fh.close();
  }
  const problem = contentProblem(path, bytes);
  if (problem) throw new LabValidationError([problem], kind);
  // A UTF-8 byte-order mark is allowed and dropped.
  const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
  return { text, bytes };
}
