// The console's pure logic, without a browser: where an API error is shown, how map parameters are written,
// and how a custom action's result is presented.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { interpretResult } from '../../ui/src/api/action-result.ts';
import { fieldForError } from '../../ui/src/api/field-errors.ts';
import { keyValueLines, listParam, mapParam, parseKeyValueLines } from '../../ui/src/api/params.ts';
import { optionsOf } from '../../ui/src/components/fields.ts';
import { detailFieldsFor, detailsSummary, externalDetailsOf, HOST_DETAIL_FIELDS, keyValuesOf, SECRET_DETAIL_KEYS } from '../../ui/src/pages/extension-forms.ts';

describe('fieldForError', () => {
  const fields = { zoneid: 'zoneid', templateid: 'templateid', path: 'path', iso_path: 'externaldetails[0].iso_path', url: 'externaldetails[0].url' };

  test('finds the parameter a CloudStack error text names, as a whole word', () => {
    assert.equal(fieldForError('Unable to find zone with id 42 (parameter zoneid)', fields), 'zoneid');
    assert.equal(fieldForError('Unable to execute API command deployvirtualmachine due to missing parameter templateid', fields), 'templateid');
  });

  test('prefers the longer name and matches map entries by their key', () => {
    assert.equal(fieldForError('Invalid iso_path: must be storage:iso/<file>', fields), 'iso_path');
    assert.equal(fieldForError('Missing required fields: url', fields), 'url');
  });

  test('gives no field when the text names none of them (the form shows it at the top)', () => {
    assert.equal(fieldForError('Internal error running action', fields), undefined);
    assert.equal(fieldForError('the zoneids are wrong', fields), undefined, 'zoneids is not zoneid');
  });
});

describe('map parameters', () => {
  test('details go in one index, CloudStack-UI style; lists of objects one index each', () => {
    assert.deepEqual(mapParam('externaldetails', { url: 'https://pve', verify_tls_certificate: 'false' }), {
      'externaldetails[0].url': 'https://pve',
      'externaldetails[0].verify_tls_certificate': 'false',
    });
    assert.deepEqual(listParam('parameters', [{ name: 'snap_name', type: 'STRING', required: true, valueoptions: undefined }, { name: 'n', type: 'NUMBER', valueoptions: '1,2' }]), {
      'parameters[0].name': 'snap_name',
      'parameters[0].type': 'STRING',
      'parameters[0].required': true,
      'parameters[1].name': 'n',
      'parameters[1].type': 'NUMBER',
      'parameters[1].valueoptions': '1,2',
    });
  });

  test('key=value lines round-trip, and a line without "=" is refused in plain words', () => {
    const parsed = parseKeyValueLines(' region = lab \n\nurl=https://x/?a=b\n');
    assert.deepEqual(parsed, { region: 'lab', url: 'https://x/?a=b' });
    assert.deepEqual(parseKeyValueLines(keyValueLines(parsed)), parsed);
    assert.throws(() => parseKeyValueLines('just-a-word'), /key=value.*just-a-word/);
  });
});

describe('interpretResult', () => {
  test('printmessage with an array message becomes a table', () => {
    const details = JSON.stringify({ status: 'success', printmessage: 'true', message: [{ name: 'snap1', snaptime: '2026-01-01' }, { name: 'current' }] });
    const outcome = interpretResult({ customactionresult: { success: true, result: { message: 'Snapshots fetched', details } } });
    assert.equal(outcome.success, true);
    assert.equal(outcome.message, 'Snapshots fetched');
    assert.deepEqual(outcome.table, [{ name: 'snap1', snaptime: '2026-01-01' }, { name: 'current' }]);
  });

  test('an object message is one row; printmessage as a boolean counts too', () => {
    const outcome = interpretResult({ success: true, result: { message: 'ok', details: JSON.stringify({ printmessage: true, message: { vm: 'i-2-3-VM' } }) } });
    assert.deepEqual(outcome.table, [{ vm: 'i-2-3-VM' }]);
  });

  test('without printmessage, or with plain text output, only the message is shown', () => {
    assert.equal(interpretResult({ success: true, result: { message: 'Done it', details: JSON.stringify({ message: [{ a: 1 }] }) } }).table, undefined);
    const failed = interpretResult({ success: false, result: { message: 'Failed to complete CreateSnapshot', details: 'Traceback: boom' } });
    assert.deepEqual(failed, { success: false, message: 'Failed to complete CreateSnapshot' });
  });
});

describe('select options', () => {
  test('API objects become id/name options, with an aside in brackets only when it says something', () => {
    const items = [{ id: 'z1', name: 'zone1', zonename: 'north' }, { id: 2, name: 'pod2', zonename: '' }, { id: 'p3', name: 'pod3' }];
    assert.deepEqual(optionsOf(items), [{ value: 'z1', label: 'zone1' }, { value: '2', label: 'pod2' }, { value: 'p3', label: 'pod3' }]);
    assert.deepEqual(optionsOf(items, (item) => item.zonename).map((option) => option.label), ['zone1 (north)', 'pod2', 'pod3']);
    assert.deepEqual(optionsOf(undefined), []);
  });
});

describe('host and template details', () => {
  test('an in-built extension gets its own fields, any other a key=value editor, and the details follow', () => {
    const proxmox = detailFieldsFor('proxmox', HOST_DETAIL_FIELDS, 'Details (key=value per line)');
    assert.equal(proxmox, HOST_DETAIL_FIELDS.proxmox);
    assert.deepEqual(externalDetailsOf('proxmox', proxmox, { url: 'https://pve:8006', verify_tls_certificate: false, node: '', rack: 'r1' }), { url: 'https://pve:8006', verify_tls_certificate: 'false' });
    const free = detailFieldsFor(undefined, HOST_DETAIL_FIELDS, 'External details (key=value per line)');
    assert.deepEqual(free, [{ name: 'externaldetails', label: 'External details (key=value per line)', kind: 'textarea' }]);
    assert.deepEqual(externalDetailsOf(undefined, free, { externaldetails: 'rack = r1\n\nrow=7' }), { rack: 'r1', row: '7' });
    assert.deepEqual(keyValuesOf({}, 'details'), {});
    assert.throws(() => keyValuesOf({ details: 'no-equals-sign' }, 'details'), /key=value/);
  });

  test('a table cell lists the details without the secret ones, or a dash', () => {
    assert.equal(detailsSummary({ url: 'https://pve:8006', secret: '******', node: 'pve1' }, SECRET_DETAIL_KEYS), 'url=https://pve:8006, node=pve1');
    assert.equal(detailsSummary({ secret: '******' }, SECRET_DETAIL_KEYS), '—');
    assert.equal(detailsSummary({ secret: 'shown' }), 'secret=shown');
    assert.equal(detailsSummary(undefined), '—');
  });
});
