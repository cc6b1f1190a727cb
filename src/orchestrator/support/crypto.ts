import { createCipheriv, createDecipheriv, randomBytes, scrypt as scryptCallback, scryptSync, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify(scryptCallback) as (password: string, salt: Buffer, keylen: number, options: { N: number; r: number; p: number }) => Promise<Buffer>;

/** Parameters of password hashing (scrypt), stored with each hash so they can be raised later. */
export const PASSWORD_HASH_POLICY = { N: 16384, r: 8, p: 1, keyLength: 32, saltLength: 16 } as const;
const SEAL_VERSION = 'v1';
/** Fixed salt for deriving the secrets key from a passphrase: the passphrase is the secret, not the salt. */
const PASSPHRASE_SALT = 'extorch-secrets-key';

/**
 * Seals secrets at rest with AES-256-GCM: `v1:<iv>:<tag>:<ciphertext>` (base64url). A wrong key or a
 * tampered value fails to open instead of yielding garbage.
 */
export class SecretBox {
  readonly #key: Buffer;

  constructor(secretsKey: string | Uint8Array) {
    if (typeof secretsKey !== 'string') {
      if (secretsKey.length !== 32) throw new Error('The secrets key must be 32 bytes');
      this.#key = Buffer.from(secretsKey);
    } else if (/^[0-9a-f]{64}$/i.test(secretsKey)) {
      this.#key = Buffer.from(secretsKey, 'hex');
    } else {
      if (secretsKey.length < 8) throw new Error('The secrets passphrase must have at least 8 characters');
      this.#key = scryptSync(secretsKey, PASSPHRASE_SALT, 32);
    }
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [SEAL_VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join(':');
  }

  open(sealed: string): string {
    const [version, iv, tag, ciphertext] = sealed.split(':');
    if (version !== SEAL_VERSION || iv === undefined || tag === undefined || ciphertext === undefined) {
      throw new Error('Not a sealed value');
    }
    const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  }
}

export async function hashPassword(password: string): Promise<string> {
  const { N, r, p, keyLength, saltLength } = PASSWORD_HASH_POLICY;
  const salt = randomBytes(saltLength);
  const hash = await scrypt(password, salt, keyLength, { N, r, p });
  return ['scrypt', N, r, p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scrypt(password, Buffer.from(salt, 'base64url'), expected.length, { N: Number(n), r: Number(r), p: Number(p) });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A random token for API keys, secret keys and VNC passwords (URL-safe, like CloudStack's). */
export function randomToken(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}
