import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { startMaasEmulator, type MaasEmulator } from '../../src/emulators/maas/index.ts';

/**
 * A third-party OAuth1 client from Debian (`python3-requests-oauthlib`, listed in .ci/debian-packages) talks to
 * the emulator unchanged: the same session code that works against a real MAAS.
 */
const SCRIPT = `
import json, sys
from oauthlib.oauth1 import SIGNATURE_PLAINTEXT, SIGNATURE_HMAC
from requests_oauthlib import OAuth1Session
endpoint, apikey = sys.argv[1], sys.argv[2]
consumer, token, secret = apikey.split(":")
out = {}
for name, method in (("plaintext", SIGNATURE_PLAINTEXT), ("hmac", SIGNATURE_HMAC)):
    session = OAuth1Session(consumer, resource_owner_key=token, resource_owner_secret=secret, signature_method=method)
    listed = session.get(endpoint + "/MAAS/api/2.0/machines/")
    allocated = session.post(endpoint + "/MAAS/api/2.0/machines/", params={"op": "allocate"}, data={"cpu_count": "1"})
    out[name] = {"status": listed.status_code, "hostnames": [m["hostname"] for m in listed.json()], "allocate": allocated.status_code}
session = OAuth1Session(consumer, resource_owner_key=token, resource_owner_secret=secret, signature_method=SIGNATURE_PLAINTEXT)
multipart = session.post(endpoint + "/MAAS/api/2.0/machines/", params={"op": "allocate"}, files={"name": (None, out["plaintext"]["hostnames"][2])})
out["multipart"] = {"status": multipart.status_code, "hostname": multipart.json().get("hostname") if multipart.ok else multipart.text}
bad = OAuth1Session(consumer, resource_owner_key=token, resource_owner_secret="wrong", signature_method=SIGNATURE_PLAINTEXT)
response = bad.get(endpoint + "/MAAS/api/2.0/machines/")
out["bad"] = {"status": response.status_code, "text": response.text}
print(json.dumps(out))
`;

describe('third-party OAuth1 client (python3-requests-oauthlib)', () => {
  let emulator: MaasEmulator;
  before(async () => {
    emulator = await startMaasEmulator({ port: 0, machines: 3 });
  });
  after(() => emulator.close());

  it('lists machines with an OAuth1 PLAINTEXT session (and HMAC-SHA1), and is refused with a wrong secret', async () => {
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile('/usr/bin/python3', ['-c', SCRIPT, emulator.endpoint, emulator.apikey], { timeout: 30_000 }, (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)));
    });
    const result = JSON.parse(stdout) as Record<string, { status: number; hostnames?: string[]; allocate?: number; text?: string; hostname?: string }>;
    assert.equal(result.plaintext!.status, 200);
    assert.equal(result.plaintext!.hostnames!.length, 3);
    assert.equal(result.plaintext!.allocate, 200);
    assert.equal(result.hmac!.status, 200);
    assert.equal(result.hmac!.allocate, 200, 'form fields of an urlencoded POST are part of the HMAC signature');
    assert.deepEqual(result.multipart, { status: 200, hostname: result.plaintext!.hostnames![2] }, 'a multipart/form-data body from requests is understood');
    assert.deepEqual(result.bad, { status: 401, text: "Authorization Error: 'Invalid signature.'" });
  });
});
