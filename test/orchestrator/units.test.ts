import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mergeJsonPatch } from '../../src/orchestrator/extensions/merge.ts';
import { parseParameterDefinitions, renderActionMessage, validateParameterValues } from '../../src/orchestrator/extensions/parameters.ts';
import { confinedPath, directoryName, validatedRelativePath } from '../../src/orchestrator/extensions/paths.ts';
import { parsePowerState } from '../../src/orchestrator/lifecycle/payload.ts';
import { cidrOf, hostAddressesFrom, hostAddressIndex, macFromCounter, maskSecrets, nameBasedUuid } from '../../src/orchestrator/support/addresses.ts';
import { KeyedMutex, mapBounded } from '../../src/orchestrator/support/concurrency.ts';
import { hashPassword, SecretBox, verifyPassword } from '../../src/orchestrator/support/crypto.ts';

describe('prepare answer merge (CloudStack JsonMergeUtil semantics)', () => {
  test('objects merge recursively, primitives and new keys overwrite, nulls overwrite', () => {
    const merged = mergeJsonPatch({ a: 1, d: { x: '1', y: '2' }, keep: true }, { a: 2, d: { y: '3', z: '4' }, n: null });
    assert.deepEqual(merged, { a: 2, d: { x: '1', y: '3', z: '4' }, keep: true, n: null });
  });
  test('arrays of objects with uuid merge element-wise by uuid; others are replaced', () => {
    const original = { nics: [{ uuid: 'n1', nicUuid: 'a', mac: '02:00:00:00:00:01' }, { uuid: 'n2', nicUuid: 'b', mac: '02:00:00:00:00:02' }], list: [1, 2] };
    const merged = mergeJsonPatch(original, { nics: [{ uuid: 'n2', mac: '52:54:00:00:00:02' }], list: [3] }) as Record<string, unknown>;
    assert.deepEqual(merged.nics, [
      { uuid: 'n1', nicUuid: 'a', mac: '02:00:00:00:00:01' },
      { uuid: 'n2', nicUuid: 'b', mac: '52:54:00:00:00:02' },
    ]);
    assert.deepEqual(merged.list, [3]);
    const noUuid = mergeJsonPatch({ nics: [{ uuid: 'n1', mac: 'x' }] }, { nics: [{ mac: 'y' }] }) as Record<string, unknown>;
    assert.deepEqual(noUuid.nics, [{ mac: 'y' }]);
  });
});

describe('custom action parameters', () => {
  test('definitions: type required, formats per type, options validated', () => {
    assert.throws(() => parseParameterDefinitions([{ name: '', type: 'STRING' }]), /Invalid parameter specified with empty name/);
    assert.throws(() => parseParameterDefinitions([{ name: 'a' }]), /No type specified for parameter: a/);
    assert.throws(() => parseParameterDefinitions([{ name: 'a', type: 'BOOLEAN', validationFormat: 'EMAIL' }]), /Invalid validation format: EMAIL specified for type: BOOLEAN/);
    assert.throws(() => parseParameterDefinitions([{ name: 'a', type: 'NUMBER', valueOptions: '1,x' }]), /Invalid value option: x/);
    assert.throws(() => parseParameterDefinitions([{ name: 'a', type: 'BOOLEAN', valueOptions: 'true' }]), /Options not supported/);
    const [parameter] = parseParameterDefinitions([{ name: 'COUNT', type: 'number', required: 'false', valueOptions: '10,100,1000' }]);
    assert.deepEqual(parameter, { name: 'COUNT', type: 'NUMBER', validationFormat: 'NONE', valueOptions: ['10', '100', '1000'], required: false });
  });
  test('values are typed, required checked, unknown ones passed through, all dropped without definitions', () => {
    const definitions = parseParameterDefinitions([
      { name: 'name', type: 'STRING', required: true },
      { name: 'count', type: 'NUMBER', valueOptions: '10,100' },
      { name: 'ratio', type: 'NUMBER', validationFormat: 'DECIMAL' },
      { name: 'flag', type: 'BOOLEAN' },
      { name: 'mail', type: 'STRING', validationFormat: 'EMAIL' },
      { name: 'id', type: 'STRING', validationFormat: 'UUID' },
      { name: 'link', type: 'STRING', validationFormat: 'URL' },
      { name: 'when', type: 'DATE' },
    ]);
    assert.deepEqual(
      validateParameterValues(definitions, { name: 'x', count: '100', ratio: '0.5', flag: 'true', extra: 'e', mail: 'a@b.c', id: '6b86674b-1f0f-4313-875e-6150cabeb72f', link: 'https://x', when: '2025-01-01T00:00:00Z' }),
      { name: 'x', count: 100, ratio: 0.5, flag: true, extra: 'e', mail: 'a@b.c', id: '6b86674b-1f0f-4313-875e-6150cabeb72f', link: 'https://x', when: '2025-01-01T00:00:00Z' },
    );
    assert.throws(() => validateParameterValues(definitions, {}), /Missing or empty required parameter: name/);
    assert.throws(() => validateParameterValues(definitions, { name: 'x', count: '7' }), /Invalid value for parameter 'count': 7/);
    assert.throws(() => validateParameterValues(definitions, { name: 'x', flag: 'TRUE' }), /Invalid value for parameter 'flag'/);
    assert.throws(() => validateParameterValues(definitions, { name: 'x', mail: 'nope' }), /Invalid value for parameter 'mail'/);
    assert.throws(() => validateParameterValues(definitions, { name: 'x', id: 'nope' }), /Invalid value for parameter 'id'/);
    assert.throws(() => validateParameterValues(definitions, { name: 'x', link: 'not a url' }), /Invalid value for parameter 'link'/);
    assert.throws(() => validateParameterValues(definitions, { name: 'x', when: 'someday' }), /Invalid value for parameter 'when'/);
    assert.throws(() => validateParameterValues(definitions, { name: 'x', ratio: ' ' }), /Empty value for parameter 'ratio'/);
    assert.deepEqual(validateParameterValues([], { anything: '1' }), {});
  });
  test('messages render placeholders with CloudStack defaults', () => {
    const values = { actionName: 'Snap', extensionName: 'Proxmox', resourceName: 'i-2-3-VM' };
    assert.equal(renderActionMessage('{{actionName}} on {{resourceName}} in {{extensionName}}', 'success', values), 'Snap on i-2-3-VM in Proxmox');
    assert.equal(renderActionMessage(null, 'success', values), 'Successfully completed Snap');
    assert.equal(renderActionMessage('  ', 'error', values), 'Failed to complete Snap');
  });
});

describe('extension paths', () => {
  test('CloudStack relative path rules, with .. rejected and nesting bounded', () => {
    assert.equal(directoryName('My Ext!'), 'my_ext_');
    assert.equal(validatedRelativePath('My Ext', undefined), 'my_ext/my_ext.sh');
    assert.equal(validatedRelativePath('My Ext', 'run.py'), 'my_ext/run.py');
    assert.equal(validatedRelativePath('My Ext', '/my_ext'), 'my_ext/my_ext');
    assert.equal(validatedRelativePath('x', 'x\\a\\b\\run.sh'), 'x/a/b/run.sh');
    assert.throws(() => validatedRelativePath('x', 'a/b/c/run.sh'), /nested more than two sub-directories/);
    assert.throws(() => validatedRelativePath('x', 'x/../../etc/passwd'), /must not contain/);
    assert.throws(() => confinedPath('/srv/ext', '../etc/passwd'), /must stay under the extensions root/);
    assert.equal(confinedPath('/srv/ext', 'Proxmox/proxmox.sh'), '/srv/ext/Proxmox/proxmox.sh');
  });
});

describe('power state parsing ([EPP] parsePowerStateFromResponse)', () => {
  test('JSON or plain text, case-insensitive poweron/poweroff, anything else unknown', () => {
    assert.equal(parsePowerState(true, '{"status":"success","power_state":"poweron"}'), 'PowerOn');
    assert.equal(parsePowerState(true, 'PowerOff'), 'PowerOff');
    assert.equal(parsePowerState(true, 'POWERON'), 'PowerOn');
    assert.equal(parsePowerState(true, 'running'), 'PowerUnknown');
    assert.equal(parsePowerState(true, '{"power_state":'), 'PowerUnknown');
    assert.equal(parsePowerState(false, 'poweron'), 'PowerUnknown');
    assert.equal(parsePowerState(true, ''), 'PowerUnknown');
  });
});

describe('support', () => {
  test('secret box round-trips, detects tampering and wrong keys', () => {
    const box = new SecretBox('passphrase-of-tests');
    const sealed = box.seal('s3cret');
    assert.doesNotMatch(sealed, /s3cret/);
    assert.equal(box.open(sealed), 's3cret');
    assert.notEqual(box.seal('s3cret'), sealed, 'random IV');
    assert.throws(() => new SecretBox('another-passphrase').open(sealed));
    const parts = sealed.split(':');
    parts[3] = Buffer.from('tampered').toString('base64url');
    assert.throws(() => box.open(parts.join(':')));
    assert.throws(() => new SecretBox('short'), /at least 8/);
    assert.throws(() => new SecretBox(new Uint8Array(16)), /32 bytes/);
  });
  test('passwords hash with scrypt and verify', async () => {
    const hash = await hashPassword('pw');
    assert.match(hash, /^scrypt\$/);
    assert.equal(await verifyPassword('pw', hash), true);
    assert.equal(await verifyPassword('wrong', hash), false);
  });
  test('addresses: CIDR, free host addresses, MACs, name-based UUIDs, masking', () => {
    assert.equal(cidrOf('10.1.1.1', '255.255.255.0'), '10.1.1.0/24');
    assert.equal(cidrOf('10.1.1.1', '255.0.255.0'), null);
    const ips = (cidr: string, gateway: string | null) => [...hostAddressesFrom(cidr, gateway, 0)].map((entry) => entry.ip);
    assert.deepEqual(ips('10.0.0.0/30', '10.0.0.1'), ['10.0.0.2']);
    assert.deepEqual(ips('10.0.0.0/29', '10.0.0.3'), ['10.0.0.1', '10.0.0.2', '10.0.0.4', '10.0.0.5', '10.0.0.6']);
    // Resuming a search: from position 3, wrapping around once, the gateway still skipped.
    assert.deepEqual(
      [...hostAddressesFrom('10.0.0.0/29', '10.0.0.3', 3)],
      [
        { index: 3, ip: '10.0.0.5' },
        { index: 4, ip: '10.0.0.6' },
        { index: 0, ip: '10.0.0.1' },
        { index: 1, ip: '10.0.0.2' },
        { index: 2, ip: '10.0.0.4' },
      ],
    );
    assert.deepEqual([...hostAddressesFrom('10.0.0.0/29', '192.168.0.1', 7)].map((entry) => entry.ip), ['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6', '10.0.0.1']);
    assert.deepEqual([...hostAddressesFrom('10.0.0.0/33', null, 0)], []);
    for (const { index, ip } of hostAddressesFrom('10.0.0.0/29', '10.0.0.3', 0)) assert.equal(hostAddressIndex('10.0.0.0/29', '10.0.0.3', ip), index);
    assert.deepEqual(['10.0.0.0', '10.0.0.3', '10.0.0.7', '10.0.1.1', 'x'].map((ip) => hostAddressIndex('10.0.0.0/29', '10.0.0.3', ip)), [null, null, null, null, null]);
    assert.equal(macFromCounter(1), '02:00:00:00:00:01');
    assert.equal(macFromCounter(0x01020304), '02:00:01:02:03:04');
    // Java: UUID.nameUUIDFromBytes("https://pve1:8006".getBytes()) is version 3 and deterministic.
    assert.match(nameBasedUuid('https://pve1:8006'), /^[0-9a-f]{8}-[0-9a-f]{4}-3[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(nameBasedUuid('a'), nameBasedUuid('a'));
    assert.deepEqual(maskSecrets({ url: 'u', secret: 's', password: 'p', apikey: 'k', user: 'x' }), { url: 'u', secret: '******', password: '******', apikey: '******', user: 'x' });
  });
  test('keyed mutex serialises per key and not across keys; mapBounded bounds concurrency', async () => {
    const mutex = new KeyedMutex();
    const order: string[] = [];
    const slow = (key: string, label: string, ms: number) =>
      mutex.run(key, async () => {
        order.push(`${label}+`);
        await new Promise((resolve) => setTimeout(resolve, ms));
        order.push(`${label}-`);
      });
    await Promise.all([slow('a', 'a1', 30), slow('a', 'a2', 1), slow('b', 'b1', 5)]);
    assert.ok(order.indexOf('a1-') < order.indexOf('a2+'), order.join(','));
    assert.ok(order.indexOf('b1-') < order.indexOf('a1-'), 'another key is not blocked');
    assert.equal(mutex.isLocked('a'), false);
    let active = 0;
    let peak = 0;
    const results = await mapBounded([1, 2, 3, 4, 5, 6], 2, async (n) => {
      active += 1;
      peak = Math.max(peak, active);
      await new Promise((resolve) => setTimeout(resolve, 5));
      active -= 1;
      return n * 2;
    });
    assert.deepEqual(results, [2, 4, 6, 8, 10, 12]);
    assert.equal(peak, 2);
  });
});
