import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalSigningString, computeSignature, javaUrlEncode, parseCloudStackDate, verifySignedRequest } from '../../src/api/signing.ts';
import { signParams } from '../helpers/cloudstack-signing.ts';

describe('CloudStack request signing', () => {
  it('encodes values like java.net.URLEncoder', () => {
    assert.equal(javaUrlEncode('a b'), 'a+b');
    assert.equal(javaUrlEncode('*.-_'), '*.-_');
    assert.equal(javaUrlEncode("~!'()"), '%7E%21%27%28%29');
    assert.equal(javaUrlEncode('é'), '%C3%A9');
    assert.equal(javaUrlEncode('[0]+/='), '%5B0%5D%2B%2F%3D');
  });

  it('builds the canonical string: sorted case-sensitively, %20 for spaces, lower-cased, no signature', () => {
    const canonical = canonicalSigningString([
      ['response', 'json'],
      ['command', 'listZones'],
      ['signature', 'ignored'],
      ['apiKey', 'AbC'],
      ['name', 'x y'],
    ]);
    assert.equal(canonical, 'apikey=abc&command=listzones&name=x%20y&response=json');
  });

  it('matches fixed vectors computed with openssl', () => {
    // printf '%s' 'apikey=abc&command=listzones&response=json' | openssl dgst -sha1 -hmac secret-1 -binary | base64
    assert.equal(
      computeSignature('secret-1', [
        ['command', 'listZones'],
        ['apiKey', 'abc'],
        ['response', 'json'],
      ]),
      'cSX7DnGAFj5Od0i4llijdnh3zaU=',
    );
    const params: Array<[string, string]> = [
      ['command', 'deployVirtualMachine'],
      ['apiKey', 'key one'],
      ['details[0].vm_name', 'web *01'],
      ['displayname', "café ~ +!'()"],
      ['expires', '2026-11-26T01:00:19+0000'],
      ['response', 'json'],
      ['signatureVersion', '3'],
    ];
    assert.equal(
      canonicalSigningString(params),
      'apikey=key%20one&command=deployvirtualmachine&details[0].vm_name=web%20*01&displayname=caf%c3%a9%20%7e%20%2b%21%27%28%29&expires=2026-11-26t01%3a00%3a19%2b0000&response=json&signatureversion=3',
    );
    assert.equal(computeSignature('S3cr3t/+=', params), 'khM/1v7G82RLYK+W3DS2I6fcvsE=');
  });

  it('agrees with an independent implementation on awkward values', () => {
    const values = ['plain', 'with space', 'a+b/c=d', "!'()*~", 'ünïcødé ✓', 'details[0].x', '', '%41', 'tab\tnewline\n', 'emoji 😀'];
    for (const value of values) {
      const params = { command: 'listZones', apiKey: 'K', name: value, zoneId: 'Z' };
      assert.equal(computeSignature('sekret', Object.entries(params)), signParams('sekret', params), `value ${JSON.stringify(value)}`);
    }
  });

  it('refuses version 3 requests that are expired, lack expires or carry a bad date', () => {
    const now = new Date('2026-11-26T01:00:00Z');
    const base: Array<[string, string]> = [['command', 'listZones'], ['apiKey', 'k'], ['signatureVersion', '3']];
    const signed = (extra: Array<[string, string]>) => {
      const params = [...base, ...extra];
      return [...params, ['signature', computeSignature('s', params)] as [string, string]];
    };
    assert.deepEqual(verifySignedRequest(signed([['expires', '2026-11-26T01:05:00+0000']]), 's', now), { ok: true });
    assert.deepEqual(verifySignedRequest(signed([['expires', '2026-11-26T00:59:59+0000']]), 's', now), { ok: false, reason: 'expired' });
    assert.deepEqual(verifySignedRequest(signed([]), 's', now), { ok: false, reason: 'missing-expires' });
    assert.deepEqual(verifySignedRequest(signed([['expires', 'tomorrow']]), 's', now), { ok: false, reason: 'bad-expires' });
    assert.deepEqual(verifySignedRequest(signed([['expires', '2026-11-26T01:05:00+0000']]), 'other', now), { ok: false, reason: 'mismatch' });
  });

  it('parses CloudStack dates with numeric offsets', () => {
    assert.equal(parseCloudStackDate('2026-11-26T03:00:19+0200')?.toISOString(), '2026-11-26T01:00:19.000Z');
    assert.equal(parseCloudStackDate('2026-11-26T01:00:19Z')?.toISOString(), '2026-11-26T01:00:19.000Z');
    assert.equal(parseCloudStackDate('26/11/2026'), undefined);
  });
});
