import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * HMAC-SHA256 over length-prefixed fields after a domain string, so no two
 * different field lists (or an artifact and a lease) can ever sign the same
 * bytes: "a|bc" and "ab|c" differ, and a lease signature is no artifact one.
 */
export function sign(key: Buffer, domain: string, fields: readonly string[]): string {
  const mac = createHmac('sha256', key);
  for (const field of [domain, ...fields]) {
    const bytes = Buffer.from(field, 'utf8');
    const length = Buffer.alloc(8);
    length.writeBigUInt64BE(BigInt(bytes.length));
    mac.update(length).update(bytes);
  }
  return mac.digest('hex');
}

export function signatureMatches(key: Buffer, domain: string, fields: readonly string[], claimed: unknown): boolean {
  if (typeof claimed !== 'string' || !/^[0-9a-f]{64}$/.test(claimed)) return false;
  return timingSafeEqual(Buffer.from(sign(key, domain, fields), 'hex'), Buffer.from(claimed, 'hex'));
}

export const ARTIFACT_DOMAIN = 'cachex-artifact-v1';
export const LEASE_DOMAIN = 'cachex-lease-v1';
