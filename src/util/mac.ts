// Deterministic MAC addresses: the same seed always gives the same locally administered
// unicast address (02:xx:xx:xx:xx:xx from the seed's SHA-256), so a lab's interfaces,
// bridges and ports look the same in every run.
import { createHash } from 'node:crypto';

export function derivedMac(seed: string): string {
  const h = createHash('sha256').update(seed).digest();
  return [0x02, ...h.subarray(0, 5)].map((b) => b.toString(16).padStart(2, '0')).join(':');
}
