/**
 * A MAAS API key as shown in the MAAS UI and by `maas apikey`: `<consumer_key>:<token_key>:<token_secret>`.
 * The consumer secret is always empty in MAAS, so it is not part of the key.
 */
export interface MaasApiKey {
  readonly consumerKey: string;
  readonly tokenKey: string;
  readonly tokenSecret: string;
}

export class MaasApiKeyFormatError extends Error {
  override readonly name = 'MaasApiKeyFormatError';
  constructor() {
    // The reference's wording, so operators who search for it find the same fix.
    super('Invalid apikey format. Expected consumer:token:secret');
  }
}

/** Splits and checks an API key before any request is made; never echoes the key in the error. */
export function parseMaasApiKey(raw: string): MaasApiKey {
  const parts = raw.trim().split(':');
  if (parts.length !== 3 || parts.some((part) => part === '' || /\s/.test(part))) throw new MaasApiKeyFormatError();
  const [consumerKey, tokenKey, tokenSecret] = parts as [string, string, string];
  return { consumerKey, tokenKey, tokenSecret };
}
