import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AvId,
  channelBindingsHash,
  computeNtlmV2Response,
  createAuthenticateMessage,
  createNegotiateMessage,
  encodeAvPairs,
  hmacMd5,
  NtlmError,
  ntowfv1,
  ntowfv2,
  parseChallengeMessage,
  splitAccountName,
} from '../../../src/clients/winrm/ntlm.ts';

// MS-NLMP 4.2.1 common values and 4.2.4 (NTLMv2 authentication) results.
const USER = 'User';
const DOMAIN = 'Domain';
const PASSWORD = 'Password';
const SERVER_CHALLENGE = Buffer.from('0123456789abcdef', 'hex');
const CLIENT_CHALLENGE = Buffer.from('aaaaaaaaaaaaaaaa', 'hex');
const RANDOM_SESSION_KEY = Buffer.alloc(16, 0x55);
const TIME = Buffer.alloc(8);
const TARGET_INFO = encodeAvPairs([
  { id: AvId.NB_DOMAIN_NAME, value: Buffer.from(DOMAIN, 'utf16le') },
  { id: AvId.NB_COMPUTER_NAME, value: Buffer.from('Server', 'utf16le') },
]);
const EXPECTED = {
  responseKeyNt: '0c868a403bfd7a93a3001ef22ef02e3f',
  lmv2Response: '86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa',
  ntProofStr: '68cd0ab851e51c96aabc927bebef6a1c',
  temp:
    '0101000000000000' + '0000000000000000' + 'aaaaaaaaaaaaaaaa' + '00000000' +
    '02000c0044006f006d00610069006e00' + '01000c005300650072007600650072000000' + '0000' + '00000000',
  sessionBaseKey: '8de40ccadbc14a82f15cb0ad0de95ca3',
  encryptedSessionKey: 'c5dad2544fc9799094ce1ce90bc9d03e',
};

/** The 4.2.4.3 CHALLENGE: flags 0xe28a8233, target name "Server", target info NbDomainName/NbComputerName. */
function specChallenge(targetInfo: Buffer = TARGET_INFO): Buffer {
  const targetName = Buffer.from('Server', 'utf16le');
  const header = Buffer.alloc(56);
  Buffer.from('NTLMSSP\0', 'latin1').copy(header, 0);
  header.writeUInt32LE(2, 8);
  header.writeUInt16LE(targetName.length, 12);
  header.writeUInt16LE(targetName.length, 14);
  header.writeUInt32LE(56, 16);
  header.writeUInt32LE(0xe28a8233, 20);
  SERVER_CHALLENGE.copy(header, 24);
  header.writeUInt16LE(targetInfo.length, 40);
  header.writeUInt16LE(targetInfo.length, 42);
  header.writeUInt32LE(56 + targetName.length, 44);
  Buffer.from('0601b11d0000000f', 'hex').copy(header, 48);
  return Buffer.concat([header, targetName, targetInfo]);
}

function field(message: Buffer, at: number): Buffer {
  return message.subarray(message.readUInt32LE(at + 4), message.readUInt32LE(at + 4) + message.readUInt16LE(at));
}

describe('NTLMv2 crypto (MS-NLMP 4.2.4 test vectors)', () => {
  it('NTOWFv2 (ResponseKeyNT) for User / Domain / Password', () => {
    assert.equal(ntowfv2(PASSWORD, USER, DOMAIN).toString('hex'), EXPECTED.responseKeyNt);
    assert.equal(ntowfv1(PASSWORD).toString('hex'), 'a4f49c406510bdcab6824ee7c30fd852');
  });

  it('upper-cases the user name but not the domain', () => {
    assert.equal(ntowfv2(PASSWORD, 'user', DOMAIN).toString('hex'), EXPECTED.responseKeyNt);
    assert.notEqual(ntowfv2(PASSWORD, USER, 'DOMAIN').toString('hex'), EXPECTED.responseKeyNt);
  });

  it('LMv2 response, NTProofStr, temp and SessionBaseKey', () => {
    const response = computeNtlmV2Response(ntowfv2(PASSWORD, USER, DOMAIN), SERVER_CHALLENGE, CLIENT_CHALLENGE, TIME, TARGET_INFO);
    assert.equal(response.lmChallengeResponse.toString('hex'), EXPECTED.lmv2Response);
    assert.equal(response.ntProofStr.toString('hex'), EXPECTED.ntProofStr);
    assert.equal(response.ntChallengeResponse.subarray(16).toString('hex'), EXPECTED.temp);
    assert.equal(response.sessionBaseKey.toString('hex'), EXPECTED.sessionBaseKey);
  });

  it('AUTHENTICATE message carries the vector responses and the RC4-wrapped session key', () => {
    const challenge = parseChallengeMessage(specChallenge());
    assert.equal(challenge.targetName, 'Server');
    assert.equal(challenge.serverChallenge.toString('hex'), '0123456789abcdef');
    const { message, exportedSessionKey } = createAuthenticateMessage(
      { username: USER, domain: DOMAIN, password: PASSWORD, workstation: 'COMPUTER' },
      createNegotiateMessage(),
      challenge,
      { clientChallenge: CLIENT_CHALLENGE, timestamp: TIME, exportedSessionKey: RANDOM_SESSION_KEY },
    );
    assert.equal(message.subarray(0, 8).toString('latin1'), 'NTLMSSP\0');
    assert.equal(message.readUInt32LE(8), 3);
    assert.equal(field(message, 12).toString('hex'), EXPECTED.lmv2Response);
    assert.equal(field(message, 20).toString('hex'), EXPECTED.ntProofStr + EXPECTED.temp);
    assert.equal(field(message, 28).toString('utf16le'), DOMAIN);
    assert.equal(field(message, 36).toString('utf16le'), USER);
    assert.equal(field(message, 44).toString('utf16le'), 'COMPUTER');
    assert.equal(field(message, 52).toString('hex'), EXPECTED.encryptedSessionKey);
    assert.equal(exportedSessionKey.toString('hex'), RANDOM_SESSION_KEY.toString('hex'));
    // No MsvAvTimestamp in this challenge: no MIC.
    assert.deepEqual(message.subarray(72, 88), Buffer.alloc(16));
  });

  it('with MsvAvTimestamp: zero LM response, MIC flag, MIC over the three messages, channel bindings', () => {
    const serverTime = Buffer.from('0090d336b734c301', 'hex');
    const targetInfo = encodeAvPairs([
      { id: AvId.NB_DOMAIN_NAME, value: Buffer.from(DOMAIN, 'utf16le') },
      { id: AvId.NB_COMPUTER_NAME, value: Buffer.from('Server', 'utf16le') },
      { id: AvId.TIMESTAMP, value: serverTime },
    ]);
    const negotiate = createNegotiateMessage();
    const challengeBytes = specChallenge(targetInfo);
    const bindings = Buffer.from('tls-server-end-point:0123456789abcdef0123456789abcdef', 'latin1');
    const { message, exportedSessionKey } = createAuthenticateMessage(
      { username: USER, domain: DOMAIN, password: PASSWORD },
      negotiate,
      parseChallengeMessage(challengeBytes),
      { clientChallenge: CLIENT_CHALLENGE, exportedSessionKey: RANDOM_SESSION_KEY, channelBindingApplicationData: bindings },
    );
    assert.deepEqual(field(message, 12), Buffer.alloc(24));
    const nt = field(message, 20);
    assert.deepEqual(nt.subarray(24, 32), serverTime, 'the server timestamp is echoed in the blob');
    const blob = nt.subarray(16);
    // The AV pairs the client sends back: the server's, then MsvAvFlags (MIC present) and MsvAvChannelBindings.
    const pairs = blob.subarray(28);
    assert.ok(pairs.includes(Buffer.from('0600040002000000', 'hex')));
    assert.ok(pairs.includes(channelBindingsHash(bindings)));
    const zeroed = Buffer.from(message);
    zeroed.fill(0, 72, 88);
    assert.deepEqual(message.subarray(72, 88), hmacMd5(exportedSessionKey, negotiate, challengeBytes, zeroed));
    // The NTProofStr still verifies with the spec's key over the exact blob sent.
    assert.deepEqual(nt.subarray(0, 16), hmacMd5(ntowfv2(PASSWORD, USER, DOMAIN), SERVER_CHALLENGE, blob));
  });

  it('NEGOTIATE announces NTLM, Unicode, extended session security and key exchange', () => {
    const negotiate = createNegotiateMessage();
    assert.equal(negotiate.readUInt32LE(8), 1);
    const flags = negotiate.readUInt32LE(12);
    for (const bit of [0x1, 0x200, 0x80000, 0x40000000]) assert.ok((flags & bit) !== 0, `flag ${bit.toString(16)}`);
  });

  it('rejects malformed CHALLENGE messages with a clear error', () => {
    assert.throws(() => parseChallengeMessage(Buffer.from('not ntlm at all, definitely not ntlm at all, ....')), NtlmError);
    const truncated = specChallenge().subarray(0, 70);
    assert.throws(() => parseChallengeMessage(truncated), /outside the message|Malformed/);
  });

  it('splits DOMAIN\\user and leaves other account forms alone', () => {
    assert.deepEqual(splitAccountName('CORP\\admin'), { domain: 'CORP', username: 'admin' });
    assert.deepEqual(splitAccountName('Administrator'), { domain: '', username: 'Administrator' });
    assert.deepEqual(splitAccountName('admin@corp.example'), { domain: '', username: 'admin@corp.example' });
  });
});
