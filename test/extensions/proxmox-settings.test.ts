import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePayload, type Payload } from '../../src/contract/payload.ts';
import { nicConfiguration, netProperty } from '../../src/extensions/proxmox/create.ts';
import { consoleAddress, powerStateOf } from '../../src/extensions/proxmox/lifecycle.ts';
import {
  ownershipDescription,
  ownershipFromConfig,
  ownershipFromTags,
  ownershipTag,
  parseTags,
  tagsForInstance,
} from '../../src/extensions/proxmox/ownership.ts';
import { apiUrlOf, readConnection, readCreateSpec, readIdentity, readSnapshotRequest, vlanOfNic } from '../../src/extensions/proxmox/settings.ts';
import { formatSnapshotTime, snapshotRow } from '../../src/extensions/proxmox/snapshots.ts';
import { createPayload, type CreatePayloadOptions } from '../helpers/payloads.ts';

const HOST = { url: 'pve.example.test', user: 'root@pam', token: 'extorch', secret: 'not-a-real-secret-1', node: 'pve1', network_bridge: 'vmbr1' };
const UUID = '126f4562-1f0f-4313-875e-6150cabeb72f';

function payload(options: CreatePayloadOptions = {}): Payload {
  return parsePayload(createPayload({ host: HOST, ...options }));
}

describe('Proxmox settings', () => {
  it('accepts url as bare host, host:port or full URL, with https and 8006 by default', () => {
    const cases: Array<[string, string]> = [
      ['pve1', 'https://pve1:8006/api2/json'],
      ['pve1:8443', 'https://pve1:8443/api2/json'],
      ['https://pve1:8006', 'https://pve1:8006/api2/json'],
      ['https://pve1:8006/api2/json', 'https://pve1:8006/api2/json'],
      ['https://pve1:8006/api2/json/', 'https://pve1:8006/api2/json'],
      ['http://10.0.0.5', 'http://10.0.0.5:8006/api2/json'],
      ['https://proxy.example/pve/', 'https://proxy.example:8006/pve/api2/json'],
      ['[fd00::5]', 'https://[fd00::5]:8006/api2/json'],
    ];
    for (const [raw, expected] of cases) assert.equal(apiUrlOf(raw).href, expected, raw);
    assert.throws(() => apiUrlOf('ftp://x'), /Invalid url/);
  });

  it('reads connection details host-over-extension and names every missing field in order', () => {
    const mixed = payload({ host: { url: 'h1', node: 'pve1' }, extension: { url: 'ignored', user: 'u@pve', token: 't', secret: 'sssss' } });
    const connection = readConnection(mixed, { requireNode: true });
    assert.equal(connection.apiUrl.hostname, 'h1');
    assert.deepEqual(connection.token, { user: 'u@pve', tokenId: 't', secret: 'sssss' });
    assert.equal(connection.verifyTls, true);
    assert.throws(() => readConnection(payload({ host: {} }), { requireNode: true }), { message: 'Missing required fields: url user token secret node' });
    assert.throws(() => readConnection(payload({ host: { url: 'x', node: 'n' } })), { message: 'Missing required fields: user token secret' });
    // Actions that do not work on a node (prepare) do not need one.
    assert.doesNotThrow(() => readConnection(payload({ host: { ...HOST, node: '' } })));
  });

  it('accepts a PEM CA to trust and refuses anything else', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    assert.equal(readConnection(payload({ extension: { tls_ca_certificate: pem } })).caCertificate, pem.trim());
    assert.equal(readConnection(payload()).caCertificate, undefined);
    assert.throws(() => readConnection(payload({ host: { ...HOST, tls_ca_certificate: 'abc' } })), /Invalid tls_ca_certificate/);
  });

  it('verifies TLS unless verify_tls_certificate says false explicitly', () => {
    const verify = (value: string | undefined) => readConnection(payload({ host: { ...HOST, ...(value === undefined ? {} : { verify_tls_certificate: value }) } })).verifyTls;
    assert.equal(verify(undefined), true);
    assert.equal(verify(''), true);
    assert.equal(verify('maybe'), true);
    assert.equal(verify('false'), false);
    assert.equal(verify('FALSE'), false);
    assert.equal(verify('0'), false);
  });

  it('names the VM after vm_name, else the internal name, and validates it', () => {
    assert.equal(readIdentity(payload()).name, 'i-2-45-VM');
    const named = readIdentity(payload({ virtualmachine: { vm_name: 'web01' }, vmDetails: { proxmox_vmid: '103' } }));
    assert.deepEqual(named, { uuid: UUID, internalName: 'i-2-45-VM', name: 'web01', vmidHint: 103 });
    assert.throws(() => readIdentity(payload({ virtualmachine: { vm_name: 'web_01' } })), {
      message: "Invalid VM name 'web_01'. Only alphanumeric characters and dashes (-) are allowed.",
    });
    assert.equal(readIdentity(payload({ vmDetails: { proxmox_vmid: 'abc' } })).vmidHint, undefined);
    assert.throws(() => readIdentity(parsePayload({ externaldetails: { host: HOST } })), { message: 'Missing required fields: vm_internal_name' });
  });

  it('applies the reference defaults for template and ISO deploys', () => {
    const template = readCreateSpec(payload({ virtualmachine: { template_type: 'template', template_id: '9000' } }));
    assert.deepEqual(template.source, { kind: 'template', templateVmid: 9000, fullClone: false, storage: 'local-lvm' });
    assert.equal(template.cpus, 1);
    assert.equal(template.memoryMiB, 512);
    const full = readCreateSpec(payload({ virtualmachine: { template_id: '9000', is_full_clone: 'true', storage: 'ceph-vm' } }));
    assert.deepEqual(full.source, { kind: 'template', templateVmid: 9000, fullClone: true, storage: 'ceph-vm' });
    const iso = readCreateSpec(payload({ virtualmachine: { template_type: ' ISO ', iso_path: 'local:iso/u.iso' } }));
    assert.deepEqual(iso.source, { kind: 'iso', isoPath: 'local:iso/u.iso', osType: 'l26', diskSizeGb: 64, storage: 'local-lvm' });
  });

  it('rejects create input with the reference messages, and values that would inject into property strings', () => {
    const fails = (options: CreatePayloadOptions, message: string | RegExp) =>
      assert.throws(() => readCreateSpec(payload(options)), typeof message === 'string' ? { message } : message);
    fails({ virtualmachine: { template_type: 'iso' } }, 'Missing required fields: iso_path');
    fails({ virtualmachine: { template_type: 'template' } }, 'Missing required fields: template_id');
    fails({ host: { ...HOST, network_bridge: '' }, cpus: 0, ramBytes: 0, virtualmachine: { template_id: '9000' } }, 'Missing required fields: network_bridge vmcpus vmmemory');
    fails({ virtualmachine: { template_id: '9000', storage: 'local-lvm,iothread=off' } }, /Invalid storage/);
    fails({ virtualmachine: { template_type: 'iso', iso_path: 'local:iso/a.iso,media=disk' } }, /Invalid iso_path/);
    fails({ virtualmachine: { template_type: 'iso', iso_path: 'local:iso/a.iso', iso_os_type: 'l26,x=1' } }, /Invalid iso_os_type/);
    fails({ virtualmachine: { template_type: 'iso', iso_path: 'local:iso/a.iso', disk_size_gb: '8G' } }, /Invalid disk_size_gb/);
    fails({ virtualmachine: { template_id: 'abc' } }, /Invalid template_id/);
    fails({ virtualmachine: { template_id: '9000' }, nics: [{ mac: '02:00:00:00:00:0g', vlan: 5 }] }, /Invalid MAC address/);
    fails({ host: { ...HOST, network_bridge: 'vmbr0,tag=5' }, virtualmachine: { template_id: '9000' } }, /Invalid network_bridge/);
    // Without NICs no bridge is needed.
    assert.doesNotThrow(() => readCreateSpec(payload({ host: { ...HOST, network_bridge: '' }, nics: [], virtualmachine: { template_id: '9000' } })));
  });

  it('maps broadcast URIs to VLAN tags, leaving untagged networks without a tag', () => {
    assert.equal(vlanOfNic(0, 'vlan://1577'), 1577);
    for (const untagged of [undefined, '', 'vlan://untagged', 'VLAN://UNTAGGED', 'vlan://']) assert.equal(vlanOfNic(0, untagged), undefined);
    assert.throws(() => vlanOfNic(2, 'vxlan://5000'), /Unsupported broadcast URI 'vxlan:\/\/5000' on NIC 2/);
    assert.throws(() => vlanOfNic(0, 'vlan://4095'), /Unsupported broadcast URI/);
  });

  it('validates snapshot parameters', () => {
    const request = (parameters: Record<string, unknown>) => readSnapshotRequest(payload({ extra: { parameters } }));
    assert.deepEqual(request({ snap_name: 'before-upgrade', snap_description: 'pre', snap_save_memory: true }), {
      name: 'before-upgrade',
      description: 'pre',
      saveMemory: true,
    });
    assert.deepEqual(request({ snap_name: 's1', snap_save_memory: 'false' }), { name: 's1', saveMemory: false });
    assert.throws(() => request({}), { message: 'Missing required fields: snap_name' });
    assert.throws(() => request({ snap_name: 'a b' }), { message: "Invalid Snapshot name 'a b'. Only alphanumeric characters and dashes (-) are allowed." });
  });
});

describe('Proxmox ownership and VM configuration', () => {
  it('tags VMs with the lower-cased CloudStack UUID and recognises only that tag as ours', () => {
    const tag = ownershipTag(UUID.toUpperCase());
    assert.equal(tag, `cloudstack-${UUID}`);
    assert.deepEqual(parseTags('a;B, c d'), ['a', 'b', 'c', 'd']);
    assert.equal(tagsForInstance('prod;cloudstack-other', UUID), `prod;${tag}`);
    assert.equal(ownershipFromTags(`x;${tag}`, UUID), 'ours');
    assert.equal(ownershipFromTags('cloudstack-0000', UUID), 'foreign');
    assert.equal(ownershipFromTags(undefined, UUID), 'unmarked');
  });

  it('falls back to the description marker before the tag is set (right after a clone)', () => {
    const identity = { uuid: UUID, internalName: 'i-2-45-VM', name: 'web01' };
    const description = ownershipDescription(identity);
    assert.equal(ownershipFromConfig({ description }, UUID), 'ours');
    assert.equal(ownershipFromConfig({ description }, 'another-uuid'), 'foreign');
    assert.equal(ownershipFromConfig({ description: 'hand made' }, UUID), 'unmarked');
  });

  it('numbers NICs without gaps, sets MAC and bridge always and a tag only for VLANs, and deletes extra NICs', () => {
    const nics = [
      { index: 0, mac: '02:01:00:cc:00:01', vlan: 1577 },
      { index: 1, mac: '02:01:00:cc:00:02' },
      { index: 2, mac: '02:01:00:cc:00:03', vlan: 7 },
    ];
    assert.equal(netProperty(nics[1]!, 'vmbr1'), 'virtio=02:01:00:CC:00:02,bridge=vmbr1,firewall=0');
    assert.deepEqual(nicConfiguration(nics, 'vmbr1', ['net0', 'net10', 'net4']), {
      net0: 'virtio=02:01:00:CC:00:01,bridge=vmbr1,tag=1577,firewall=0',
      net1: 'virtio=02:01:00:CC:00:02,bridge=vmbr1,firewall=0',
      net2: 'virtio=02:01:00:CC:00:03,bridge=vmbr1,tag=7,firewall=0',
      delete: 'net4,net10',
    });
    assert.deepEqual(nicConfiguration([], undefined, ['net0']), { delete: 'net0' });
    assert.deepEqual(nicConfiguration([], undefined, []), {});
  });

  it('maps power states and picks the console address like the reference', () => {
    assert.equal(powerStateOf('running'), 'poweron');
    assert.equal(powerStateOf('stopped'), 'poweroff');
    assert.equal(powerStateOf('paused'), 'unknown');
    assert.equal(
      consoleAddress([
        { iface: 'vmbr0', type: 'bridge', method: 'static', cidr: '10.0.0.5/24' },
        { iface: 'eno2', type: 'eth', method: 'static', address: '10.0.1.5' },
      ]),
      '10.0.1.5',
    );
    assert.equal(consoleAddress([{ iface: 'vmbr0', type: 'bridge', method: 'static', cidr: '10.0.0.5/24' }]), '10.0.0.5');
    assert.equal(consoleAddress([{ iface: 'eno1', type: 'eth', method: 'manual' }]), undefined);
  });

  it('formats snapshot rows in UTC with "-" for missing values', () => {
    assert.equal(formatSnapshotTime(0), '1970-01-01 00:00:00');
    assert.equal(formatSnapshotTime(undefined), '-');
    assert.deepEqual(snapshotRow({ name: 'current', description: 'You are here!', running: 1 }), {
      name: 'current',
      snaptime: '-',
      description: 'You are here!',
      parent: '-',
      vmstate: '-',
    });
  });
});
