// Host-key checking against OpenSSH's known_hosts files: a key is accepted only when a line
// names this host with exactly this key; an unknown or different key is refused with its
// fingerprint and the fix. Pure: lines in, a verdict out (ssh-host.ts reads the files).
import { createHash, createHmac } from 'node:crypto';
import { hostMatches } from './config.js';

export interface KnownKey {
  /** ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa, ... */
  type: string;
  blob: Buffer;
  revoked: boolean;
  /** file:line, for messages. */
  source: string;
}

/** The name known_hosts files use for a host: `host`, or `[host]:port` off port 22. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** Every key the lines give for `name` (hashed |1|salt|hash entries included; @cert-authority lines skipped). */
export function knownKeysFor(text: string, name: string, file: string): KnownKey[] {
  const out: KnownKey[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    let fields = line.split(/\s+/);
    let revoked = false;
    if (fields[0]!.startsWith('@')) {
      if (fields[0] === '@revoked') revoked = true;
      else return; // @cert-authority: lvslab does not do host certificates
      fields = fields.slice(1);
    }
    const [hosts, type, key] = fields;
    if (!hosts || !type || !key) return;
    if (!namesMatch(hosts, name)) return;
    const blob = Buffer.from(key, 'base64');
    if (blob.length === 0) return;
    out.push({ type, blob, revoked, source: `${file}:${i + 1}` });
  });
  return out;
}

function namesMatch(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  return hostMatches(field.split(','), name);
}

/** OpenSSH's SHA256 fingerprint of a public key blob: `SHA256:` and unpadded base64. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type a blob names (its first string, in SSH wire format). */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const n = blob.readUInt32BE(0);
  return n > 0 && n < 64 && blob.length >= 4 + n ? blob.subarray(4, 4 + n).toString('latin1') : 'unknown';
}

export type HostKeyVerdict =
  | { ok: true; source: string }
  | { ok: false; reason: 'unknown' | 'changed' | 'revoked'; fingerprint: string; keyType: string; known: KnownKey[] };

/** Whether `blob` is a key these known keys accept. */
export function verifyHostKey(known: readonly KnownKey[], blob: Buffer): HostKeyVerdict {
  const keyType = keyTypeOf(blob);
  const fp = fingerprint(blob);
  if (known.some((k) => k.revoked && k.blob.equals(blob))) return { ok: false, reason: 'revoked', fingerprint: fp, keyType, known: [...known] };
  const match = known.find((k) => !k.revoked && k.blob.equals(blob));
  if (match) return { ok: true, source: match.source };
  const live = known.filter((k) => !k.revoked);
  return { ok: false, reason: live.length > 0 ? 'changed' : 'unknown', fingerprint: fp, keyType, known: live };
}
