import { DOMAIN_NAME, type EmulatedInterface, type EmulatedMachine } from './model.ts';
import { statusName } from './status.ts';

/**
 * Renders machines as MAAS 3.x's API does (the `DISPLAYED_MACHINE_FIELDS` of MAAS's machine handler), so that
 * third-party clients find every field they expect. Values are synthetic but consistent with the state.
 */
const API = '/MAAS/api/2.0';
const POOL_IDS: Record<string, number> = { default: 0 };
const ZONE_IDS: Record<string, number> = { default: 1 };

function idOf(table: Record<string, number>, name: string): number {
  table[name] ??= Object.keys(table).length + 1;
  return table[name];
}

function vlanView(nic: EmulatedInterface) {
  const id = 5000 + Number(nic.fabric.replace(/\D/g, '') || 0);
  return {
    vid: nic.vid,
    mtu: 1500,
    dhcp_on: true,
    external_dhcp: null,
    relay_vlan: null,
    fabric: nic.fabric,
    primary_rack: 'rack01',
    secondary_rack: null,
    name: 'untagged',
    id,
    fabric_id: Number(nic.fabric.replace(/\D/g, '') || 0),
    space: 'undefined',
    resource_uri: `${API}/vlans/${id}/`,
  };
}

function interfaceView(machine: EmulatedMachine, nic: EmulatedInterface, deployed: boolean) {
  const vlan = vlanView(nic);
  const subnetId = nic.id % 1000;
  return {
    id: nic.id,
    name: nic.name,
    type: 'physical',
    enabled: true,
    mac_address: nic.mac,
    vlan,
    links: [
      {
        id: nic.id * 10,
        mode: 'auto',
        ...(deployed ? { ip_address: nic.ip } : {}),
        subnet: {
          id: subnetId,
          name: nic.cidr,
          cidr: nic.cidr,
          vlan,
          gateway_ip: nic.cidr.replace(/0\/16$/, '1'),
          dns_servers: [],
          managed: true,
          resource_uri: `${API}/subnets/${subnetId}/`,
        },
      },
    ],
    parents: [],
    children: [],
    tags: [],
    params: '',
    effective_mtu: 1500,
    link_connected: true,
    interface_speed: 1000,
    link_speed: 1000,
    vendor: null,
    product: null,
    firmware_version: null,
    discovered: null,
    system_id: machine.systemId,
    resource_uri: `${API}/nodes/${machine.systemId}/interfaces/${nic.id}/`,
  };
}

function blockDeviceView(machine: EmulatedMachine) {
  return {
    id: machine.id * 10,
    name: 'sda',
    type: 'physical',
    path: '/dev/disk/by-dname/sda',
    size: Math.round(machine.storageMb * 1_000_000),
    block_size: 512,
    model: 'QEMU HARDDISK',
    serial: `QM000${machine.id}`,
    tags: ['ssd'],
    id_path: null,
    uuid: null,
    filesystem: null,
    partitions: [],
    partition_table_type: null,
    available_size: Math.round(machine.storageMb * 1_000_000),
    used_size: 0,
    used_for: 'Unused',
    storage_pool: null,
    firmware_version: null,
    system_id: machine.systemId,
    resource_uri: `${API}/nodes/${machine.systemId}/blockdevices/${machine.id * 10}/`,
  };
}

export function machineView(machine: EmulatedMachine): Record<string, unknown> {
  const deployedLike = machine.status === 6 || machine.status === 9;
  const interfaces = machine.interfaces.map((nic) => interfaceView(machine, nic, deployedLike));
  const disk = blockDeviceView(machine);
  return {
    system_id: machine.systemId,
    hostname: machine.hostname,
    description: machine.description,
    fqdn: `${machine.hostname}.${DOMAIN_NAME}`,
    domain: { authoritative: true, ttl: null, is_default: true, resource_record_count: 0, id: 0, name: DOMAIN_NAME, resource_uri: `${API}/domains/0/` },
    node_type: 0,
    node_type_name: 'Machine',
    architecture: machine.architecture,
    min_hwe_kernel: '',
    hwe_kernel: machine.hweKernel,
    cpu_count: machine.cpuCount,
    cpu_speed: 2400,
    memory: machine.memory,
    swap_size: null,
    storage: machine.storageMb,
    status: machine.status,
    status_name: statusName(machine.status),
    status_message: machine.statusMessage,
    status_action: '',
    osystem: machine.osystem,
    distro_series: machine.distroSeries,
    netboot: machine.status !== 6,
    ephemeral_deploy: false,
    power_type: machine.powerType,
    power_state: machine.powerState,
    owner: machine.owner,
    owner_data: {},
    locked: machine.locked,
    tag_names: [...machine.tagNames],
    pool: { name: machine.pool, description: machine.pool === 'default' ? 'Default pool' : '', id: idOf(POOL_IDS, machine.pool), resource_uri: `${API}/resourcepool/${idOf(POOL_IDS, machine.pool)}/` },
    zone: { name: machine.zone, description: '', id: idOf(ZONE_IDS, machine.zone), resource_uri: `${API}/zones/${machine.zone}/` },
    ip_addresses: deployedLike ? machine.interfaces.map((nic) => nic.ip) : [],
    address_ttl: null,
    disable_ipv4: false,
    boot_interface: interfaces[0] ?? null,
    interface_set: interfaces,
    interface_test_status: -1,
    interface_test_status_name: 'Unknown',
    default_gateways: { ipv4: { gateway_ip: null, link_id: null }, ipv6: { gateway_ip: null, link_id: null } },
    bios_boot_method: 'uefi',
    boot_disk: disk,
    blockdevice_set: [disk],
    physicalblockdevice_set: [disk],
    virtualblockdevice_set: [],
    special_filesystems: [],
    volume_groups: [],
    raids: [],
    bcaches: [],
    cache_sets: [],
    hardware_info: {
      system_vendor: 'QEMU',
      system_product: 'Standard PC (Q35 + ICH9, 2009)',
      system_family: 'Unknown',
      system_version: 'pc-q35-8.2',
      system_sku: 'Unknown',
      system_serial: 'Unknown',
      cpu_model: 'Intel Xeon Processor (Icelake)',
      mainboard_vendor: 'Unknown',
      mainboard_product: 'Unknown',
      mainboard_serial: 'Unknown',
      mainboard_version: 'Unknown',
      mainboard_firmware_vendor: 'EFI Development Kit II / OVMF',
      mainboard_firmware_date: '02/02/2022',
      mainboard_firmware_version: '0.0.0',
      chassis_vendor: 'QEMU',
      chassis_type: 'Other',
      chassis_serial: 'Unknown',
      chassis_version: 'pc-q35-8.2',
    },
    commissioning_status: 2,
    commissioning_status_name: 'Passed',
    testing_status: 2,
    testing_status_name: 'Passed',
    cpu_test_status: -1,
    cpu_test_status_name: 'Unknown',
    memory_test_status: -1,
    memory_test_status_name: 'Unknown',
    storage_test_status: 2,
    storage_test_status_name: 'Passed',
    other_test_status: -1,
    other_test_status_name: 'Unknown',
    current_commissioning_result_id: machine.id * 3,
    current_testing_result_id: machine.id * 3 + 1,
    current_installation_result_id: machine.status === 6 || machine.status === 9 || machine.status === 11 ? machine.id * 3 + 2 : null,
    workload_annotations: {},
    resource_uri: `${API}/machines/${machine.systemId}/`,
  };
}
