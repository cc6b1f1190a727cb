import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePayload, PayloadError } from '../../src/contract/payload.ts';
import { collectSecrets, readDetail, readVmDetail, redact, vlanFromBroadcastUri, parseBooleanDetail } from '../../src/contract/details.ts';
import { createPayload } from '../helpers/payloads.ts';

describe('parsePayload', () => {
  it('accepts a create payload as CloudStack writes it and keeps unknown keys', () => {
    const raw = createPayload({ extra: { newField: 1 } });
    const payload = parsePayload(raw);
    assert.equal(payload.virtualmachinename, 'i-2-45-VM');
    assert.equal(payload['cloudstack.vm.details']?.nics?.length, 2);
    assert.equal((payload as Record<string, unknown>).newField, 1);
  });

  it('normalises numeric and boolean detail values to strings', () => {
    const payload = parsePayload({ externaldetails: { host: { port: 8006, verify_tls_certificate: false } } });
    assert.equal(payload.externaldetails?.host?.port, '8006');
    assert.equal(payload.externaldetails?.host?.verify_tls_certificate, 'false');
  });

  it('rejects a non-object document', () => {
    for (const value of [null, [], 'x', 3]) {
      assert.throws(() => parsePayload(value), (error: unknown) => error instanceof PayloadError && error.message === 'Invalid JSON input');
    }
  });

  it('names the offending field of a malformed payload', () => {
    const raw = createPayload();
    (raw['cloudstack.vm.details'] as { nics: Array<Record<string, unknown>> }).nics[1]!.deviceId = 'one';
    assert.throws(() => parsePayload(raw), /Invalid payload: cloudstack\.vm\.details\.nics\[1\]\.deviceId/);
    assert.throws(() => parsePayload({ externaldetails: { host: { url: { nested: true } } } }), /externaldetails\.host\.url/);
  });
});

describe('details', () => {
  it('lets host details win over extension details and skips empty values', () => {
    const payload = parsePayload({ externaldetails: { host: { url: ' ', user: 'h' }, extension: { url: 'e', user: 'x' } } });
    assert.equal(readDetail(payload, 'url', ['host', 'extension']), 'e');
    assert.equal(readDetail(payload, 'user', ['host', 'extension']), 'h');
    assert.equal(readDetail(payload, 'node', ['host', 'extension']), undefined);
  });

  it('reads VM details from the virtualmachine group or the External: prefixed VM details', () => {
    const payload = parsePayload({
      externaldetails: { virtualmachine: { vm_name: 'web01' } },
      'cloudstack.vm.details': { details: { 'External:storage': 'ceph' } },
    });
    assert.equal(readVmDetail(payload, 'vm_name'), 'web01');
    assert.equal(readVmDetail(payload, 'storage'), 'ceph');
    assert.equal(readVmDetail(payload, 'missing'), undefined);
  });

  it('parses VLAN ids from broadcast URIs and ignores untagged ones', () => {
    assert.equal(vlanFromBroadcastUri('vlan://1577'), 1577);
    assert.equal(vlanFromBroadcastUri('VLAN://12'), 12);
    assert.equal(vlanFromBroadcastUri('vlan://untagged'), undefined);
    assert.equal(vlanFromBroadcastUri(''), undefined);
    assert.equal(vlanFromBroadcastUri(undefined), undefined);
    assert.equal(vlanFromBroadcastUri('vlan://5000'), undefined);
  });

  it('parses boolean details with a default for unknown words', () => {
    assert.equal(parseBooleanDetail('TRUE', false), true);
    assert.equal(parseBooleanDetail('0', true), false);
    assert.equal(parseBooleanDetail('maybe', true), true);
    assert.equal(parseBooleanDetail(undefined, false), false);
  });

  it('collects secrets and scrubs them from messages, raw or URL-encoded', () => {
    const payload = parsePayload({
      externaldetails: { host: { secret: 's3cr3t/with+chars', password: 'p@ss word', user: 'root@pam' }, extension: { apikey: 'consumer1:tokenkey123:tokensecret456' } },
    });
    const secrets = collectSecrets(payload);
    const message = redact('bad s3cr3t/with+chars and s3cr3t%2Fwith%2Bchars, p@ss word, tokensecret456 for root@pam', secrets);
    assert.equal(message, 'bad ****** and ******, ******, ****** for root@pam');
  });
});
