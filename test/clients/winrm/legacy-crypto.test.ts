import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { md4 } from '../../../src/contract/crypto/md4.ts';
import { rc4 } from '../../../src/contract/crypto/rc4.ts';

describe('MD4 (RFC 1320 appendix A.5 test suite)', () => {
  const vectors: Array<[string, string]> = [
    ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
    ['a', 'bde52cb31de33e46245e05fbdbd6fb24'],
    ['abc', 'a448017aaf21d8525fc10ae87aa6729d'],
    ['message digest', 'd9130a8164549fe818874806e1c7014b'],
    ['abcdefghijklmnopqrstuvwxyz', 'd79e1c308aa5bbcdeea8ed63df412da9'],
    ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', '043f8582f241db351ce627e153e7f0e4'],
    ['12345678901234567890123456789012345678901234567890123456789012345678901234567890', 'e33b4ddc9c38f2199c3e7b164fcc0536'],
  ];
  for (const [input, digest] of vectors) {
    it(`MD4(${JSON.stringify(input).slice(0, 24)})`, () => {
      assert.equal(md4(Buffer.from(input, 'latin1')).toString('hex'), digest);
    });
  }

  it('handles inputs around the 56-byte padding boundary without colliding', () => {
    const digests = new Set<string>();
    for (let length = 50; length <= 70; length++) digests.add(md4(Buffer.alloc(length, 0x61)).toString('hex'));
    assert.equal(digests.size, 21);
  });

  it('gives the NT hash of "Password" from MS-NLMP 4.2.1', () => {
    assert.equal(md4(Buffer.from('Password', 'utf16le')).toString('hex'), 'a4f49c406510bdcab6824ee7c30fd852');
  });
});

describe('RC4', () => {
  it('matches the RFC 6229 key-stream for the 40-bit key 0102030405', () => {
    const stream = rc4(Buffer.from('0102030405', 'hex'), Buffer.alloc(16));
    assert.equal(stream.toString('hex'), 'b2396305f03dc027ccc3524a0a1118a8');
  });

  it('is its own inverse', () => {
    const key = Buffer.from('secret key');
    const data = Buffer.from('some plaintext bytes');
    assert.deepEqual(rc4(key, rc4(key, data)), data);
  });
});
