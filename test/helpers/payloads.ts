/**
 * Builders for extension payloads shaped as CloudStack writes them (see the contract's payload schema):
 * tests start from these and change what they exercise.
 */
export interface NicSpec {
  readonly mac?: string;
  readonly vlan?: number | 'untagged' | null;
}

export interface CreatePayloadOptions {
  readonly host?: Record<string, string>;
  readonly extension?: Record<string, string>;
  readonly virtualmachine?: Record<string, string>;
  readonly vmDetails?: Record<string, string>;
  readonly nics?: readonly NicSpec[];
  readonly internalName?: string;
  readonly uuid?: string;
  readonly cpus?: number;
  readonly ramBytes?: number;
  readonly extra?: Record<string, unknown>;
}

let counter = 0;

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** A random-looking but valid UUID, unique within the test process. */
export function testUuid(): string {
  counter += 1;
  const r = Math.floor(Math.random() * 0xffffffff);
  return `${hex(r, 8)}-${hex(counter & 0xffff, 4)}-4${hex(process.pid & 0xfff, 3)}-8${hex(counter >> 16, 3)}-${hex(Date.now() % 0xffffffffffff, 12)}`;
}

export function createPayload(options: CreatePayloadOptions = {}): Record<string, unknown> & { 'cloudstack.vm.details': Record<string, unknown> } {
  const uuid = options.uuid ?? '126f4562-1f0f-4313-875e-6150cabeb72f';
  const name = options.internalName ?? 'i-2-45-VM';
  const nicSpecs = options.nics ?? [
    { mac: '02:01:00:cc:00:01', vlan: 1577 },
    { mac: '02:01:00:cc:00:02', vlan: 1578 },
  ];
  const nics = nicSpecs.map((nic, index) => {
    const vlan = nic.vlan;
    const uri = vlan === null || vlan === undefined ? undefined : `vlan://${vlan}`;
    return {
      deviceId: index,
      defaultNic: index === 0,
      nicUuid: testUuid(),
      uuid: testUuid(),
      mac: nic.mac ?? `02:01:00:cc:00:${hex(index + 1, 2)}`,
      ip: `10.1.1.${10 + index}`,
      netmask: '255.255.255.0',
      gateway: '10.1.1.1',
      dns1: '10.1.1.1',
      broadcastType: uri ? 'Vlan' : 'Native',
      type: 'Guest',
      ...(uri ? { broadcastUri: uri, isolationUri: uri } : {}),
    };
  });
  const virtualmachine = options.virtualmachine ?? {};
  const prefixed = Object.fromEntries(Object.entries(virtualmachine).map(([k, v]) => [`External:${k}`, v]));
  return {
    caller: { id: '93567ed9-0000-4000-8000-000000000001', name: 'admin', type: 'ADMIN', roleid: '6b86674b-0000-4000-8000-000000000001', rolename: 'Root Admin', roletype: 'Admin' },
    externaldetails: {
      ...(options.host ? { host: options.host } : {}),
      ...(options.extension ? { extension: options.extension } : {}),
      ...(Object.keys(virtualmachine).length > 0 ? { virtualmachine } : {}),
    },
    virtualmachineid: uuid,
    virtualmachinename: name,
    'cloudstack.vm.details': {
      id: 45,
      name,
      state: 'Starting',
      type: 'User',
      cpus: options.cpus ?? 1,
      minSpeed: 500,
      maxSpeed: 500,
      minRam: options.ramBytes ?? 536870912,
      maxRam: options.ramBytes ?? 536870912,
      arch: 'x86_64',
      bootArgs: '',
      enableHA: false,
      limitCpuUse: false,
      enableDynamicallyScaleVm: false,
      vncPassword: 'uHQHQ4niy8f4ogwCM1k-rw',
      details: { cpuOvercommitRatio: '2.0', deployvm: 'true', ...prefixed, ...(options.vmDetails ?? {}) },
      uuid,
      disks: [],
      nics,
      guestOsDetails: {},
      extraConfig: {},
    },
    ...(options.extra ?? {}),
  };
}
