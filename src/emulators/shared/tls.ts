import { generate } from 'selfsigned';

export interface TlsMaterial {
  readonly key: string;
  readonly cert: string;
}

/**
 * A fresh self-signed certificate for the emulators, made at start-up so that no private key ever sits in
 * the repository. EC P-256 keeps generation in the tens of milliseconds.
 */
export async function generateSelfSignedCertificate(hostnames: readonly string[] = ['localhost', '127.0.0.1', '::1']): Promise<TlsMaterial> {
  const altNames = hostnames.map((name) =>
    /^[\d.]+$/.test(name) || name.includes(':') ? { type: 7 as const, ip: name } : { type: 2 as const, value: name },
  );
  const result = await generate([{ name: 'commonName', value: hostnames[0] ?? 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 365 * 24 * 3600 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  });
  return { key: result.private, cert: result.cert };
}
