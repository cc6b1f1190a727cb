import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { md4 } from '../../contract/crypto/md4.ts';
import { rc4 } from '../../contract/crypto/rc4.ts';

/**
 * Server side of NTLM for the emulator: emits a CHALLENGE like a stand-alone Windows Server and verifies
 * NTLMv2 AUTHENTICATE messages against local accounts (MS-NLMP 3.2.5.1.2, 3.3.2), including the MIC and,
 * when the client sends them, channel bindings. Written independently of the client on purpose.
 */

const SIGNATURE = Buffer.from('NTLMSSP\0', 'latin1');

const FLAG = {
  UNICODE: 0x1,
  REQUEST_TARGET: 0x4,
  NTLM: 0x200,
  ALWAYS_SIGN: 0x8000,
  TARGET_TYPE_DOMAIN: 0x10000,
  EXTENDED_SESSIONSECURITY: 0x80000,
  TARGET_INFO: 0x800000,
  VERSION: 0x2000000,
  KEY_128: 0x20000000,
  KEY_EXCH: 0x40000000,
  KEY_56: 0x80000000,
} as const;

const CHALLENGE_FLAGS =
  FLAG.UNICODE |
  FLAG.REQUEST_TARGET |
  FLAG.NTLM |
  FLAG.ALWAYS_SIGN |
  FLAG.TARGET_TYPE_DOMAIN |
  FLAG.EXTENDED_SESSIONSECURITY |
  FLAG.TARGET_INFO |
  FLAG.VERSION |
  FLAG.KEY_128 |
  FLAG.KEY_EXCH |
  FLAG.KEY_56;

const AV = { EOL: 0, NB_COMPUTER: 1, NB_DOMAIN: 2, DNS_COMPUTER: 3, DNS_DOMAIN: 4, FLAGS: 6, TIMESTAMP: 7, CHANNEL_BINDINGS: 10 } as const;
const AV_FLAG_MIC = 0x2;
/** Windows Server 2022 (10.0 build 20348), NTLM revision 15. */
const SERVER_VERSION = Buffer.from([10, 0, 0x4c, 0x4f, 0, 0, 0, 15]);
/** How far the client's timestamp may be from ours (Windows allows 36 hours by default; we are stricter). */
const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

export interface NtlmServerIdentity {
  /** NetBIOS computer (and, stand-alone, domain) name, e.g. `HYPERV01`. */
  readonly computerName: string;
  readonly dnsName: string;
}

export interface PendingChallenge {
  readonly negotiate: Buffer;
  readonly challenge: Buffer;
  readonly serverChallenge: Buffer;
  readonly issuedAt: number;
}

export type NtlmVerification = { ok: true; username: string; domain: string } | { ok: false; reason: string };

export class NtlmProtocolError extends Error {
  override readonly name = 'NtlmProtocolError';
}

export function ntlmMessageType(token: Buffer): number | undefined {
  if (token.length < 12 || !token.subarray(0, 8).equals(SIGNATURE)) return undefined;
  return token.readUInt32LE(8);
}

const utf16 = (text: string) => Buffer.from(text, 'utf16le');

function avPair(id: number, value: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt16LE(id, 0);
  header.writeUInt16LE(value.length, 2);
  return Buffer.concat([header, value]);
}

function fileTime(ms: number): Buffer {
  const value = Buffer.alloc(8);
  value.writeBigUInt64LE((BigInt(ms) + 11_644_473_600_000n) * 10_000n);
  return value;
}

/** Builds the CHALLENGE for a NEGOTIATE. MsvAvTimestamp is included, so modern clients must send a MIC. */
export function createChallenge(negotiate: Buffer, identity: NtlmServerIdentity, now = Date.now()): PendingChallenge {
  if (ntlmMessageType(negotiate) !== 1) throw new NtlmProtocolError('Expected an NTLM NEGOTIATE message');
  const serverChallenge = randomBytes(8);
  const targetName = utf16(identity.computerName);
  const targetInfo = Buffer.concat([
    avPair(AV.NB_DOMAIN, utf16(identity.computerName)),
    avPair(AV.NB_COMPUTER, utf16(identity.computerName)),
    avPair(AV.DNS_DOMAIN, utf16(identity.dnsName)),
    avPair(AV.DNS_COMPUTER, utf16(identity.dnsName)),
    avPair(AV.TIMESTAMP, fileTime(now)),
    avPair(AV.EOL, Buffer.alloc(0)),
  ]);
  const header = Buffer.alloc(56);
  SIGNATURE.copy(header, 0);
  header.writeUInt32LE(2, 8);
  header.writeUInt16LE(targetName.length, 12);
  header.writeUInt16LE(targetName.length, 14);
  header.writeUInt32LE(56, 16);
  header.writeUInt32LE(CHALLENGE_FLAGS >>> 0, 20);
  serverChallenge.copy(header, 24);
  header.writeUInt16LE(targetInfo.length, 40);
  header.writeUInt16LE(targetInfo.length, 42);
  header.writeUInt32LE(56 + targetName.length, 44);
  SERVER_VERSION.copy(header, 48);
  return { negotiate: Buffer.from(negotiate), challenge: Buffer.concat([header, targetName, targetInfo]), serverChallenge, issuedAt: now };
}

function field(message: Buffer, at: number): Buffer {
  const length = message.readUInt16LE(at);
  const offset = message.readUInt32LE(at + 4);
  if (length === 0) return Buffer.alloc(0);
  if (offset + length > message.length) throw new NtlmProtocolError('AUTHENTICATE field lies outside the message');
  return message.subarray(offset, offset + length);
}

function readAvPairs(data: Buffer): Map<number, Buffer> {
  const pairs = new Map<number, Buffer>();
  let offset = 0;
  while (offset + 4 <= data.length) {
    const id = data.readUInt16LE(offset);
    const length = data.readUInt16LE(offset + 2);
    if (id === AV.EOL) return pairs;
    if (offset + 4 + length > data.length) break;
    pairs.set(id, data.subarray(offset + 4, offset + 4 + length));
    offset += 4 + length;
  }
  throw new NtlmProtocolError('NTLMv2 response has malformed AV pairs');
}

const hmac = (key: Buffer, ...parts: Buffer[]) => {
  const mac = createHmac('md5', key);
  for (const part of parts) mac.update(part);
  return mac.digest();
};

const sameBytes = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b);

export interface VerifyOptions {
  /** Local accounts: user name (case-insensitive) → password. */
  readonly accounts: ReadonlyMap<string, string>;
  /** `tls-server-end-point:` + hash of our certificate; channel bindings are checked when the client sends them. */
  readonly channelBindingApplicationData?: Buffer;
  readonly now?: number;
}

/** Verifies an AUTHENTICATE message against the CHALLENGE this connection received. */
export function verifyAuthenticate(authenticate: Buffer, pending: PendingChallenge, options: VerifyOptions): NtlmVerification {
  if (ntlmMessageType(authenticate) !== 3 || authenticate.length < 64) return { ok: false, reason: 'not an AUTHENTICATE message' };
  const flags = authenticate.readUInt32LE(60);
  const unicode = (flags & FLAG.UNICODE) !== 0;
  const text = (bytes: Buffer) => (unicode ? bytes.toString('utf16le') : bytes.toString('latin1'));
  const ntResponse = field(authenticate, 20);
  const domainBytes = field(authenticate, 28);
  const username = text(field(authenticate, 36));
  const domain = text(domainBytes);
  if (ntResponse.length < 48) return { ok: false, reason: 'NTLMv1 or anonymous authentication is refused' };

  const password = [...options.accounts].find(([name]) => name.toLowerCase() === username.toLowerCase())?.[1];
  if (password === undefined) return { ok: false, reason: `unknown user '${username}'` };

  const responseKey = hmac(md4(utf16(password)), utf16(username.toUpperCase()), utf16(domain));
  const ntProofStr = ntResponse.subarray(0, 16);
  const temp = ntResponse.subarray(16);
  if (!sameBytes(hmac(responseKey, pending.serverChallenge, temp), ntProofStr)) return { ok: false, reason: 'wrong password' };

  const clientPairs = readAvPairs(temp.subarray(28));
  const now = options.now ?? Date.now();
  const clientTime = Number(temp.readBigUInt64LE(8) / 10_000n - 11_644_473_600_000n);
  if (Math.abs(now - clientTime) > MAX_CLOCK_SKEW_MS) return { ok: false, reason: 'timestamp outside the allowed clock skew' };

  const channelBindings = clientPairs.get(AV.CHANNEL_BINDINGS);
  if (channelBindings && !channelBindings.equals(Buffer.alloc(16)) && options.channelBindingApplicationData) {
    const expected = createHash('md5').update(Buffer.concat([Buffer.alloc(16), lengthPrefix(options.channelBindingApplicationData)])).digest();
    if (!sameBytes(expected, channelBindings)) return { ok: false, reason: 'channel bindings do not match this TLS connection' };
  }

  const avFlags = clientPairs.get(AV.FLAGS);
  const micPresent = avFlags !== undefined && avFlags.length >= 4 && (avFlags.readUInt32LE(0) & AV_FLAG_MIC) !== 0;
  if (micPresent) {
    if (authenticate.length < 88) return { ok: false, reason: 'MIC announced but missing' };
    const sessionBaseKey = hmac(responseKey, ntProofStr);
    const encryptedKey = field(authenticate, 52);
    const exportedSessionKey = (flags & FLAG.KEY_EXCH) !== 0 && encryptedKey.length === 16 ? rc4(sessionBaseKey, encryptedKey) : sessionBaseKey;
    const zeroed = Buffer.from(authenticate);
    const mic = Buffer.from(zeroed.subarray(72, 88));
    zeroed.fill(0, 72, 88);
    if (!sameBytes(hmac(exportedSessionKey, pending.negotiate, pending.challenge, zeroed), mic)) {
      return { ok: false, reason: 'message integrity check failed' };
    }
  }
  return { ok: true, username, domain };
}

function lengthPrefix(data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32LE(data.length);
  return Buffer.concat([length, data]);
}
