import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAuthenticateMessage, createNegotiateMessage, parseChallengeMessage } from '../../../src/clients/winrm/ntlm.ts';
import { createChallenge, verifyAuthenticate } from '../../../src/emulators/hyperv/ntlm-server.ts';

const identity = { computerName: 'HYPERV01', dnsName: 'hyperv01' };
const accounts = new Map([['Administrator', 'S3cret!pass']]);
const bindings = Buffer.from('tls-server-end-point:server-certificate-hash', 'latin1');

function handshake(password: string, options: { username?: string; domain?: string; clientBindings?: Buffer } = {}) {
  const negotiate = createNegotiateMessage();
  const pending = createChallenge(negotiate, identity);
  const { message } = createAuthenticateMessage(
    { username: options.username ?? 'Administrator', domain: options.domain ?? '', password },
    negotiate,
    parseChallengeMessage(pending.challenge),
    options.clientBindings ? { channelBindingApplicationData: options.clientBindings } : {},
  );
  return { pending, message };
}

describe('emulator NTLMv2 verification against the client', () => {
  it('accepts the right password (user name case-insensitive, any domain for a local account)', () => {
    const { pending, message } = handshake('S3cret!pass', { username: 'administrator', domain: 'HYPERV01', clientBindings: bindings });
    const result = verifyAuthenticate(message, pending, { accounts, channelBindingApplicationData: bindings });
    assert.deepEqual(result, { ok: true, username: 'administrator', domain: 'HYPERV01' });
  });

  it('rejects a wrong password and an unknown user', () => {
    const wrong = handshake('wrong');
    assert.deepEqual(verifyAuthenticate(wrong.message, wrong.pending, { accounts }), { ok: false, reason: 'wrong password' });
    const unknown = handshake('S3cret!pass', { username: 'Guest' });
    assert.equal(verifyAuthenticate(unknown.message, unknown.pending, { accounts }).ok, false);
  });

  it('rejects a response computed for another challenge (replay)', () => {
    const first = handshake('S3cret!pass');
    const other = createChallenge(createNegotiateMessage(), identity);
    assert.equal(verifyAuthenticate(first.message, other, { accounts }).ok, false);
  });

  it('rejects a tampered message through the MIC', () => {
    const { pending, message } = handshake('S3cret!pass');
    const tampered = Buffer.from(message);
    tampered.writeUInt32LE((tampered.readUInt32LE(60) ^ 0x20) >>> 0, 60); // flip NEGOTIATE_SEAL in the flags
    assert.deepEqual(verifyAuthenticate(tampered, pending, { accounts }), { ok: false, reason: 'message integrity check failed' });
  });

  it('rejects channel bindings of another TLS connection, and accepts clients that send none', () => {
    const mismatched = handshake('S3cret!pass', { clientBindings: Buffer.from('tls-server-end-point:someone-else', 'latin1') });
    assert.equal(verifyAuthenticate(mismatched.message, mismatched.pending, { accounts, channelBindingApplicationData: bindings }).ok, false);
    const none = handshake('S3cret!pass');
    assert.equal(verifyAuthenticate(none.message, none.pending, { accounts, channelBindingApplicationData: bindings }).ok, true);
  });

  it('rejects a stale timestamp', () => {
    const { pending, message } = handshake('S3cret!pass');
    assert.equal(verifyAuthenticate(message, pending, { accounts, now: Date.now() + 3_600_000 }).ok, false);
  });

  it('refuses garbage without throwing', () => {
    const pending = createChallenge(createNegotiateMessage(), identity);
    assert.equal(verifyAuthenticate(Buffer.from('NTLMSSP\0garbage'), pending, { accounts }).ok, false);
  });
});
