import { createHash, createHmac, randomBytes } from 'node:crypto';
import { md4 } from '../../contract/crypto/md4.ts';
import { rc4 } from '../../contract/crypto/rc4.ts';

/**
 * Client side of NTLM (MS-NLMP) with NTLMv2 responses only: NEGOTIATE, CHALLENGE parsing and
 * AUTHENTICATE with the MIC and optional channel bindings. LM and NTLMv1 are never produced.
 */

const SIGNATURE = Buffer.from('NTLMSSP\0', 'latin1');

export const NtlmFlags = {
  UNICODE: 0x00000001,
  OEM: 0x00000002,
  REQUEST_TARGET: 0x00000004,
  SIGN: 0x00000010,
  SEAL: 0x00000020,
  NTLM: 0x00000200,
  ALWAYS_SIGN: 0x00008000,
  TARGET_TYPE_DOMAIN: 0x00010000,
  TARGET_TYPE_SERVER: 0x00020000,
  EXTENDED_SESSIONSECURITY: 0x00080000,
  TARGET_INFO: 0x00800000,
  VERSION: 0x02000000,
  KEY_128: 0x20000000,
  KEY_EXCH: 0x40000000,
  KEY_56: 0x80000000,
} as const;

export const AvId = {
  EOL: 0,
  NB_COMPUTER_NAME: 1,
  NB_DOMAIN_NAME: 2,
  DNS_COMPUTER_NAME: 3,
  DNS_DOMAIN_NAME: 4,
  DNS_TREE_NAME: 5,
  FLAGS: 6,
  TIMESTAMP: 7,
  SINGLE_HOST: 8,
  TARGET_NAME: 9,
  CHANNEL_BINDINGS: 10,
} as const;

/** MsvAvFlags bit: the AUTHENTICATE message carries a MIC. */
export const AV_FLAG_MIC_PRESENT = 0x2;

/** What this client asks for. Signing/sealing are not requested: WinRM runs over HTTPS here. */
const CLIENT_FLAGS =
  NtlmFlags.UNICODE |
  NtlmFlags.REQUEST_TARGET |
  NtlmFlags.NTLM |
  NtlmFlags.ALWAYS_SIGN |
  NtlmFlags.EXTENDED_SESSIONSECURITY |
  NtlmFlags.TARGET_INFO |
  NtlmFlags.VERSION |
  NtlmFlags.KEY_128 |
  NtlmFlags.KEY_EXCH |
  NtlmFlags.KEY_56;

/** Windows 10 / Server 2016+ build 17763, NTLM revision 15: the version most clients announce. */
const CLIENT_VERSION = Buffer.from([10, 0, 0x63, 0x45, 0, 0, 0, 15]);

export class NtlmError extends Error {
  override readonly name = 'NtlmError';
}

export interface AvPair {
  readonly id: number;
  readonly value: Buffer;
}

export interface ChallengeMessage {
  readonly flags: number;
  readonly serverChallenge: Buffer;
  readonly targetName: string;
  readonly targetInfo: AvPair[];
  /** The exact bytes, needed for the MIC. */
  readonly raw: Buffer;
}

export interface NtlmCredentials {
  readonly username: string;
  readonly password: string;
  /** Domain as sent (NTOWFv2 keeps its case); empty for a local account. */
  readonly domain: string;
  readonly workstation?: string;
}

/** Splits `DOMAIN\user` into its parts; any other form is a user of the target's own domain. */
export function splitAccountName(account: string): { username: string; domain: string } {
  const slash = account.indexOf('\\');
  if (slash > 0) return { domain: account.slice(0, slash), username: account.slice(slash + 1) };
  return { domain: '', username: account };
}

export function hmacMd5(key: Uint8Array, ...parts: Uint8Array[]): Buffer {
  const hmac = createHmac('md5', key);
  for (const part of parts) hmac.update(part);
  return hmac.digest();
}

const utf16 = (text: string) => Buffer.from(text, 'utf16le');

/** NTOWFv1: MD4 of the UTF-16LE password. */
export function ntowfv1(password: string): Buffer {
  return md4(utf16(password));
}

/** NTOWFv2 (MS-NLMP 3.3.2): the user name is upper-cased, the domain is used exactly as given. */
export function ntowfv2(password: string, username: string, domain: string): Buffer {
  return hmacMd5(ntowfv1(password), utf16(username.toUpperCase() + domain));
}

export function parseAvPairs(data: Buffer): AvPair[] {
  const pairs: AvPair[] = [];
  let offset = 0;
  while (offset + 4 <= data.length) {
    const id = data.readUInt16LE(offset);
    const length = data.readUInt16LE(offset + 2);
    if (offset + 4 + length > data.length) throw new NtlmError('Malformed NTLM target information (AV pair runs past its end)');
    if (id === AvId.EOL) return pairs;
    pairs.push({ id, value: Buffer.from(data.subarray(offset + 4, offset + 4 + length)) });
    offset += 4 + length;
  }
  throw new NtlmError('Malformed NTLM target information (no MsvAvEOL)');
}

export function encodeAvPairs(pairs: readonly AvPair[]): Buffer {
  const parts: Buffer[] = [];
  for (const pair of pairs) {
    const header = Buffer.alloc(4);
    header.writeUInt16LE(pair.id, 0);
    header.writeUInt16LE(pair.value.length, 2);
    parts.push(header, pair.value);
  }
  parts.push(Buffer.alloc(4)); // MsvAvEOL
  return Buffer.concat(parts);
}

function readField(message: Buffer, at: number): Buffer {
  const length = message.readUInt16LE(at);
  const offset = message.readUInt32LE(at + 4);
  if (offset + length > message.length) throw new NtlmError('Malformed NTLM message (field outside the message)');
  return message.subarray(offset, offset + length);
}

function checkHeader(message: Buffer, type: number, minimumLength: number): void {
  if (message.length < minimumLength || !message.subarray(0, 8).equals(SIGNATURE) || message.readUInt32LE(8) !== type) {
    throw new NtlmError(`Not an NTLM type ${type} message`);
  }
}

export function createNegotiateMessage(): Buffer {
  const message = Buffer.alloc(40);
  SIGNATURE.copy(message, 0);
  message.writeUInt32LE(1, 8);
  message.writeUInt32LE(CLIENT_FLAGS >>> 0, 12);
  // Domain and workstation fields stay empty (offsets point at the end of the fixed part).
  message.writeUInt32LE(40, 20);
  message.writeUInt32LE(40, 28);
  CLIENT_VERSION.copy(message, 32);
  return message;
}

export function parseChallengeMessage(raw: Buffer): ChallengeMessage {
  checkHeader(raw, 2, 48);
  const flags = raw.readUInt32LE(20);
  const targetNameBytes = readField(raw, 12);
  const targetInfoBytes = (flags & NtlmFlags.TARGET_INFO) !== 0 ? readField(raw, 40) : Buffer.alloc(0);
  return {
    flags,
    serverChallenge: Buffer.from(raw.subarray(24, 32)),
    targetName: (flags & NtlmFlags.UNICODE) !== 0 ? targetNameBytes.toString('utf16le') : targetNameBytes.toString('latin1'),
    targetInfo: targetInfoBytes.length > 0 ? parseAvPairs(targetInfoBytes) : [],
    raw: Buffer.from(raw),
  };
}

/** Windows FILETIME (100 ns since 1601-01-01) as 8 little-endian bytes. */
export function windowsTimestamp(date: Date = new Date()): Buffer {
  const buffer = Buffer.alloc(8);
  buffer.writeBigUInt64LE((BigInt(date.getTime()) + 11_644_473_600_000n) * 10_000n);
  return buffer;
}

export interface NtlmV2Response {
  readonly ntProofStr: Buffer;
  readonly ntChallengeResponse: Buffer;
  readonly lmChallengeResponse: Buffer;
  readonly sessionBaseKey: Buffer;
}

/**
 * ComputeResponse for NTLMv2 (MS-NLMP 3.3.2). `targetInfo` is the encoded AV pair list the client sends back
 * (the server's list, plus flags and channel bindings).
 */
export function computeNtlmV2Response(
  responseKeyNt: Buffer,
  serverChallenge: Buffer,
  clientChallenge: Buffer,
  timestamp: Buffer,
  targetInfo: Buffer,
): NtlmV2Response {
  const temp = Buffer.concat([Buffer.from([1, 1]), Buffer.alloc(6), timestamp, clientChallenge, Buffer.alloc(4), targetInfo, Buffer.alloc(4)]);
  const ntProofStr = hmacMd5(responseKeyNt, serverChallenge, temp);
  const lmChallengeResponse = Buffer.concat([hmacMd5(responseKeyNt, serverChallenge, clientChallenge), clientChallenge]);
  return {
    ntProofStr,
    ntChallengeResponse: Buffer.concat([ntProofStr, temp]),
    lmChallengeResponse,
    sessionBaseKey: hmacMd5(responseKeyNt, ntProofStr),
  };
}

/** gss_channel_bindings_struct with only application data, hashed with MD5 (MsvAvChannelBindings). */
export function channelBindingsHash(applicationData: Buffer): Buffer {
  // initiator_addrtype, initiator_address length, acceptor_addrtype, acceptor_address length: all zero.
  const header = Buffer.alloc(16);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(applicationData.length);
  return createHash('md5').update(Buffer.concat([header, length, applicationData])).digest();
}

export interface AuthenticateOptions {
  /** Fixed values for reproducible tests; random / now otherwise. */
  readonly clientChallenge?: Buffer;
  readonly timestamp?: Buffer;
  readonly exportedSessionKey?: Buffer;
  /** `tls-server-end-point:` + certificate hash (RFC 5929), when the connection is TLS. */
  readonly channelBindingApplicationData?: Buffer;
}

export interface AuthenticateResult {
  readonly message: Buffer;
  readonly exportedSessionKey: Buffer;
}

/**
 * Builds the AUTHENTICATE message. When the server sent MsvAvTimestamp we reuse it, send an all-zero LM
 * response and a MIC over the three messages (MS-NLMP 3.1.5.1.2); otherwise the LMv2 response is sent.
 */
export function createAuthenticateMessage(
  credentials: NtlmCredentials,
  negotiate: Buffer,
  challenge: ChallengeMessage,
  options: AuthenticateOptions = {},
): AuthenticateResult {
  const flags = (challenge.flags & CLIENT_FLAGS) | NtlmFlags.UNICODE | NtlmFlags.NTLM;
  const serverTimestamp = challenge.targetInfo.find((pair) => pair.id === AvId.TIMESTAMP)?.value;
  const sendMic = serverTimestamp !== undefined;
  const pairs = challenge.targetInfo.filter((pair) => pair.id !== AvId.FLAGS && pair.id !== AvId.CHANNEL_BINDINGS);
  const serverAvFlags = challenge.targetInfo.find((pair) => pair.id === AvId.FLAGS)?.value;
  const avFlags = (serverAvFlags && serverAvFlags.length >= 4 ? serverAvFlags.readUInt32LE(0) : 0) | (sendMic ? AV_FLAG_MIC_PRESENT : 0);
  if (avFlags !== 0) {
    const value = Buffer.alloc(4);
    value.writeUInt32LE(avFlags >>> 0);
    pairs.push({ id: AvId.FLAGS, value });
  }
  if (options.channelBindingApplicationData) {
    pairs.push({ id: AvId.CHANNEL_BINDINGS, value: channelBindingsHash(options.channelBindingApplicationData) });
  }
  const targetInfo = challenge.targetInfo.length > 0 ? encodeAvPairs(pairs) : Buffer.alloc(0);

  const responseKeyNt = ntowfv2(credentials.password, credentials.username, credentials.domain);
  const clientChallenge = options.clientChallenge ?? randomBytes(8);
  const timestamp = serverTimestamp ?? options.timestamp ?? windowsTimestamp();
  const response = computeNtlmV2Response(responseKeyNt, challenge.serverChallenge, clientChallenge, timestamp, targetInfo);
  const lmResponse = sendMic ? Buffer.alloc(24) : response.lmChallengeResponse;

  // For NTLMv2 the key exchange key is the session base key (MS-NLMP 3.4.5.1).
  const keyExchangeKey = response.sessionBaseKey;
  let exportedSessionKey: Buffer = keyExchangeKey;
  let encryptedRandomSessionKey: Buffer = Buffer.alloc(0);
  if ((flags & NtlmFlags.KEY_EXCH) !== 0) {
    exportedSessionKey = options.exportedSessionKey ?? randomBytes(16);
    encryptedRandomSessionKey = rc4(keyExchangeKey, exportedSessionKey);
  }

  const payloads = [
    lmResponse,
    response.ntChallengeResponse,
    utf16(credentials.domain),
    utf16(credentials.username),
    utf16(credentials.workstation ?? ''),
    encryptedRandomSessionKey,
  ];
  const headerLength = 88;
  const message = Buffer.alloc(headerLength + payloads.reduce((sum, part) => sum + part.length, 0));
  SIGNATURE.copy(message, 0);
  message.writeUInt32LE(3, 8);
  let offset = headerLength;
  payloads.forEach((part, index) => {
    const at = 12 + index * 8;
    message.writeUInt16LE(part.length, at);
    message.writeUInt16LE(part.length, at + 2);
    message.writeUInt32LE(offset, at + 4);
    part.copy(message, offset);
    offset += part.length;
  });
  message.writeUInt32LE(flags >>> 0, 60);
  CLIENT_VERSION.copy(message, 64);
  if (sendMic) hmacMd5(exportedSessionKey, negotiate, challenge.raw, message).copy(message, 72);
  return { message, exportedSessionKey };
}
