import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExtensionError } from '../../../src/contract/extension.ts';
import { parsePayload } from '../../../src/contract/payload.ts';
import { alignMemory, internalNameOf, readConnection, readCreateConfig, validateSwitchName, validateWindowsPath } from '../../../src/extensions/hyperv/config.ts';
import { createPayload } from '../../helpers/payloads.ts';

const MiB = 1024 * 1024;
const host = { url: 'hv1.example.test', username: 'Administrator', password: 'p4ss-Word', network_switch: 'External', vhd_path: 'D:\\Disks\\', vm_path: 'D:/VMs' };

describe('Hyper-V extension configuration', () => {
  it('builds the WinRM URL from a bare host, host:port or a full URL, and verifies TLS unless told not to', () => {
    const url = (value: string, extra: Record<string, string> = {}) => readConnection(parsePayload(createPayload({ host: { ...host, url: value, ...extra } })));
    assert.equal(url('hv1.example.test').url.toString(), 'https://hv1.example.test:5986/wsman');
    assert.equal(url('hv1.example.test:6000').url.toString(), 'https://hv1.example.test:6000/wsman');
    assert.equal(url('https://10.0.0.5:5986/wsman').url.toString(), 'https://10.0.0.5:5986/wsman');
    assert.throws(() => url('http://hv1'), /https/);
    assert.equal(url('hv1').verifyTls, true);
    assert.equal(url('hv1', { verify_tls_certificate: 'False' }).verifyTls, false);
    assert.equal(url('hv1', { verify_tls_certificate: 'flase' }).verifyTls, true, 'a typo keeps verification on');
  });

  it('rounds memory up to a multiple of 2 MiB, at least 32 MiB', () => {
    assert.equal(alignMemory(512 * MiB), 512 * MiB);
    assert.equal(alignMemory(513 * MiB), 514 * MiB);
    assert.equal(alignMemory(1_000_000_000), 954 * MiB);
    assert.equal(alignMemory(1), 32 * MiB);
  });

  it('normalises paths and reads NICs, VLANs and the template', () => {
    const payload = parsePayload(createPayload({ host, virtualmachine: { template_type: 'template', template_path: 'D:\\T\\u.vhdx' }, nics: [{ mac: '02:01:00:CC:00:01', vlan: 10 }, { mac: '02-01-00-cc-00-02', vlan: null }] }));
    const config = readCreateConfig(payload, 'vm-x');
    assert.equal(config.vhdPath, 'D:\\Disks\\vm-x.vhdx');
    assert.equal(config.vmDirectory, 'D:\\VMs');
    assert.equal(config.switchName, 'External');
    assert.equal(config.generation, 1);
    assert.deepEqual(config.nics, [{ name: 'NIC1', mac: '020100CC0001', vlan: 10 }, { name: 'NIC2', mac: '020100CC0002', vlan: undefined }]);
  });

  it('refuses paths, switch names and VLANs that are not plain values', () => {
    for (const bad of ['relative\\path', 'C:\\a\\*.vhdx', 'C:\\a\\$(x)', 'C:\\a\\..\\..\\Windows', 'C:\\a\nb', 'C:\\a`b', 'C:\\a[1]']) assert.throws(() => validateWindowsPath(bad, 'vhd_path'), ExtensionError, bad);
    assert.equal(validateWindowsPath('\\\\nas\\share\\disks', 'vhd_path'), '\\\\nas\\share\\disks');
    for (const bad of ['', 'a*', 'x\ny', 'x'.repeat(101)]) assert.throws(() => validateSwitchName(bad), ExtensionError);
    const payload = (uri: string) => parsePayload({ ...createPayload({ host, virtualmachine: { template_path: 'D:\\t.vhdx' } }), 'cloudstack.vm.details': { ...createPayload()['cloudstack.vm.details'], nics: [{ mac: '02:00:00:00:00:01', broadcastUri: uri }] } });
    assert.throws(() => readCreateConfig(payload('vlan://5000'), 'v'), /Unsupported broadcast URI/);
    assert.throws(() => readCreateConfig(payload('vxlan://5'), 'v'), /Unsupported broadcast URI/);
    assert.equal(readCreateConfig(payload('vlan://untagged'), 'v').nics[0]?.vlan, undefined);
  });

  it('maps Hyper-V names back to internal names', () => {
    assert.equal(internalNameOf('i-2-45-VM-126f4562-1f0f-4313-875e-6150cabeb72f'), 'i-2-45-VM');
    assert.equal(internalNameOf('not-ours'), 'not-ours');
  });
});
