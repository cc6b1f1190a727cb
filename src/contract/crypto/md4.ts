/**
 * MD4 (RFC 1320). NTLM's NT hash is MD4 of the UTF-16LE password, and OpenSSL 3 moved MD4 to its legacy
 * provider, which Node does not load. Both the WinRM client and the Hyper-V emulator need it, and ADR 0001
 * only lets such shared helpers live under contract/. Proven against the RFC 1320 test suite.
 */
export function md4(input: Uint8Array): Buffer {
  const bitLength = BigInt(input.length) * 8n;
  // Pad to 56 mod 64 bytes, then append the length as a 64-bit little-endian integer.
  const paddedLength = (((input.length + 8) >> 6) + 1) << 6;
  const data = Buffer.alloc(paddedLength);
  data.set(input);
  data[input.length] = 0x80;
  data.writeBigUInt64LE(bitLength, paddedLength - 8);

  let a = 0x67452301;
  let b = 0xefcdab89;
  let c = 0x98badcfe;
  let d = 0x10325476;
  const x = new Uint32Array(16);
  const rotl = (value: number, shift: number) => (value << shift) | (value >>> (32 - shift));
  const f = (p: number, q: number, r: number) => (p & q) | (~p & r);
  const g = (p: number, q: number, r: number) => (p & q) | (p & r) | (q & r);
  const h = (p: number, q: number, r: number) => p ^ q ^ r;

  for (let offset = 0; offset < paddedLength; offset += 64) {
    for (let i = 0; i < 16; i++) x[i] = data.readUInt32LE(offset + i * 4);
    const [aa, bb, cc, dd] = [a, b, c, d];
    // Round 1: F, no constant, shifts 3 7 11 19.
    for (const i of [0, 4, 8, 12]) {
      a = rotl((a + f(b, c, d) + x[i]!) | 0, 3);
      d = rotl((d + f(a, b, c) + x[i + 1]!) | 0, 7);
      c = rotl((c + f(d, a, b) + x[i + 2]!) | 0, 11);
      b = rotl((b + f(c, d, a) + x[i + 3]!) | 0, 19);
    }
    // Round 2: G, constant 0x5A827999, shifts 3 5 9 13, words in column order.
    for (const i of [0, 1, 2, 3]) {
      a = rotl((a + g(b, c, d) + x[i]! + 0x5a827999) | 0, 3);
      d = rotl((d + g(a, b, c) + x[i + 4]! + 0x5a827999) | 0, 5);
      c = rotl((c + g(d, a, b) + x[i + 8]! + 0x5a827999) | 0, 9);
      b = rotl((b + g(c, d, a) + x[i + 12]! + 0x5a827999) | 0, 13);
    }
    // Round 3: H, constant 0x6ED9EBA1, shifts 3 9 11 15, words in bit-reversed order.
    for (const i of [0, 2, 1, 3]) {
      a = rotl((a + h(b, c, d) + x[i]! + 0x6ed9eba1) | 0, 3);
      d = rotl((d + h(a, b, c) + x[i + 8]! + 0x6ed9eba1) | 0, 9);
      c = rotl((c + h(d, a, b) + x[i + 4]! + 0x6ed9eba1) | 0, 11);
      b = rotl((b + h(c, d, a) + x[i + 12]! + 0x6ed9eba1) | 0, 15);
    }
    a = (a + aa) | 0;
    b = (b + bb) | 0;
    c = (c + cc) | 0;
    d = (d + dd) | 0;
  }
  const digest = Buffer.alloc(16);
  digest.writeInt32LE(a, 0);
  digest.writeInt32LE(b, 4);
  digest.writeInt32LE(c, 8);
  digest.writeInt32LE(d, 12);
  return digest;
}
