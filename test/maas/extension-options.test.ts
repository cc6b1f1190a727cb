import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePayload } from '../../src/contract/payload.ts';
import { readConnection, readReleaseOptions, readUserData } from '../../src/extensions/maas/config.ts';
import { deployParams } from '../../src/extensions/maas/create.ts';
import { instanceNameOf } from '../../src/extensions/maas/power.ts';
import { allocationConstraints, machineNics } from '../../src/extensions/maas/prepare.ts';
import type { MaasMachine } from '../../src/clients/maas/index.ts';
import { createPayload } from '../helpers/payloads.ts';

const host = { endpoint: 'maas.example.test', apikey: 'ck:tk:ts' };

describe('MAAS extension options', () => {
  it('asks MAAS for a machine of the instance size, or exactly the pinned one, with placement details', () => {
    const sized = parsePayload(createPayload({ host, cpus: 4, ramBytes: 8 * 1024 ** 3, extension: { maas_pool: 'cloudstack', maas_tags: 'gpu, ssd' } }));
    const constraints = allocationConstraints(sized);
    assert.equal(constraints.cpu_count, 4);
    assert.equal(constraints.mem, 8192);
    assert.equal(constraints.pool, 'cloudstack');
    assert.deepEqual(constraints.tags, ['gpu', 'ssd']);
    assert.equal(constraints.system_id, undefined);
    const pinned = allocationConstraints(parsePayload(createPayload({ host, virtualmachine: { maas_system_id: 'abc123', architecture: 'arm64' } })));
    assert.equal(pinned.system_id, 'abc123');
    assert.equal(pinned.arch, 'arm64');
    assert.equal(pinned.cpu_count, undefined, 'a pinned machine ignores the offering size');
  });

  it('folds os into distro_series and leaves the release to MAAS when none is given', () => {
    assert.deepEqual(deployParams(parsePayload(createPayload({ host }))).distro_series, undefined);
    const both = deployParams(parsePayload(createPayload({ host, virtualmachine: { os: 'centos', distro_series: 'centos8-stream' } })));
    assert.deepEqual([both.distro_series, both.osystem], ['centos/centos8-stream', undefined]);
    const qualified = deployParams(parsePayload(createPayload({ host, virtualmachine: { os: 'ubuntu', distro_series: 'ubuntu/jammy' } })));
    assert.equal(qualified.distro_series, 'ubuntu/jammy');
    const osOnly = deployParams(parsePayload(createPayload({ host, virtualmachine: { os: 'rhel' } })));
    assert.deepEqual([osOnly.distro_series, osOnly.osystem], [undefined, 'rhel']);
  });

  it('reads user data as base64 from a detail or the TO vmData, encoding plain text', () => {
    const plain = parsePayload(createPayload({ host, virtualmachine: { user_data: '#cloud-config\nruncmd: [true]' } }));
    assert.equal(Buffer.from(readUserData(plain)!, 'base64').toString(), '#cloud-config\nruncmd: [true]');
    const encoded = Buffer.from('#!/bin/sh\necho hi\n').toString('base64');
    assert.equal(readUserData(parsePayload(createPayload({ host, virtualmachine: { user_data: encoded } }))), encoded);
    const vmData = createPayload({ host });
    (vmData['cloudstack.vm.details'] as Record<string, unknown>).vmData = [['userdata', 'user_data', encoded]];
    assert.equal(readUserData(parsePayload(vmData)), encoded);
    assert.equal(readUserData(parsePayload(createPayload({ host }))), undefined);
  });

  it('erases on release unless told otherwise', () => {
    assert.deepEqual(readReleaseOptions(parsePayload(createPayload({ host }))), { erase: true, quickErase: false, secureErase: false });
    assert.equal(readReleaseOptions(parsePayload(createPayload({ host: { ...host, erase: 'false' } }))).erase, false);
    assert.equal(readReleaseOptions(parsePayload(createPayload({ host, virtualmachine: { erase: 'no', quick_erase: 'true' } }))).quickErase, true);
  });

  it('takes the host connection over the extension one and keeps TLS verification on by default', () => {
    const connection = readConnection(parsePayload(createPayload({ host, extension: { endpoint: 'other', apikey: 'a:b:c' } })));
    assert.equal(connection.site.href, 'http://maas.example.test:5240/');
    assert.equal(connection.apiKey.consumerKey, 'ck');
    assert.equal(connection.verifyTls, true);
    assert.equal(readConnection(parsePayload(createPayload({ host: { ...host, verify_tls_certificate: 'false' } }))).verifyTls, false);
  });

  it('maps NICs boot interface first, then the other enabled physical interfaces', () => {
    const nic = (mac: string, extra: Record<string, unknown> = {}) => ({ mac_address: mac, type: 'physical', enabled: true, ...extra });
    const machine = {
      system_id: 'x',
      hostname: 'h',
      status: 10,
      status_name: 'Allocated',
      boot_interface: nic('00:00:00:00:00:02'),
      interface_set: [nic('00:00:00:00:00:01'), nic('00:00:00:00:00:02'), nic('00:00:00:00:00:03', { enabled: false }), nic('00:00:00:00:00:04', { type: 'bond' })],
    } as MaasMachine;
    assert.deepEqual(machineNics(machine).map((n) => n.mac_address), ['00:00:00:00:00:02', '00:00:00:00:00:01']);
  });

  it('keys statuses by the instance name CloudStack knows', () => {
    assert.equal(instanceNameOf('i-2-45-vm'), 'i-2-45-VM');
    assert.equal(instanceNameOf('i-2-45-VM'), 'i-2-45-VM');
    assert.equal(instanceNameOf('web01'), 'web01');
  });
});
