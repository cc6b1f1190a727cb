import { createHash } from 'node:crypto';

/**
 * RFC 5929 `tls-server-end-point` channel binding data: the server certificate hashed with the hash of its
 * signature algorithm, upgraded to SHA-256 for MD5/SHA-1. Windows verifies it when CBT hardening is on.
 */
export function tlsServerEndPoint(certificateDer: Buffer): Buffer {
  const hash = hashForSignatureAlgorithm(signatureAlgorithmOid(certificateDer));
  return Buffer.concat([Buffer.from('tls-server-end-point:', 'latin1'), createHash(hash).update(certificateDer).digest()]);
}

const HASH_BY_OID: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.12': 'sha384', // sha384WithRSAEncryption
  '1.2.840.113549.1.1.13': 'sha512', // sha512WithRSAEncryption
  '1.2.840.10045.4.3.3': 'sha384', // ecdsa-with-SHA384
  '1.2.840.10045.4.3.4': 'sha512', // ecdsa-with-SHA512
};

function hashForSignatureAlgorithm(oid: string | undefined): string {
  return (oid && HASH_BY_OID[oid]) ?? 'sha256';
}

interface DerElement {
  readonly tag: number;
  readonly start: number; // first content byte
  readonly end: number; // one past the last content byte
}

function readElement(der: Buffer, at: number): DerElement {
  const tag = der[at]!;
  let length = der[at + 1]!;
  let start = at + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[start + i]!;
    start += count;
  }
  return { tag, start, end: start + length };
}

/** Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm SEQUENCE { OID, … }, signature }. */
function signatureAlgorithmOid(der: Buffer): string | undefined {
  try {
    const certificate = readElement(der, 0);
    const tbs = readElement(der, certificate.start);
    const algorithm = readElement(der, tbs.end);
    const oid = readElement(der, algorithm.start);
    if (oid.tag !== 0x06) return undefined;
    return decodeOid(der.subarray(oid.start, oid.end));
  } catch {
    return undefined;
  }
}

function decodeOid(bytes: Buffer): string {
  const parts = [Math.floor(bytes[0]! / 40), bytes[0]! % 40];
  let value = 0;
  for (const byte of bytes.subarray(1)) {
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}
