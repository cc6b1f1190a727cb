import type { ApiContext, Route } from './api-types.ts';
import { NODE, OPTIONAL_VMID, num, str } from './api-types.ts';
import { NEXTID_LOWER, NEXTID_UPPER } from './cluster.ts';
import { handlerError, parameterError } from './errors.ts';
import { GiB } from './state.ts';
import type { VmRecord } from './state.ts';
import { storageUsage } from './node-api.ts';
import { bootDiskBytes, cpuCount, memoryMiB, uptimeOf } from './vm-ops.ts';

// Cluster-wide endpoints and node directories: version, nodes, node status, resources, nextid.

const EMULATOR_STARTED = Math.floor(Date.now() / 1000);
const NODE_MAX_MEM = 64 * GiB;
const NODE_MAX_CPU = 16;
const NODE_ROOT_DISK = 100 * GiB;

function nodeUptime(): number {
  return 86_400 + Math.floor(Date.now() / 1000) - EMULATOR_STARTED;
}

function listNodes({ cluster }: ApiContext): unknown {
  return cluster.data.nodes.map((node, index) => ({
    id: `node/${node}`,
    type: 'node',
    node,
    status: 'online',
    cpu: 0.031,
    maxcpu: NODE_MAX_CPU,
    mem: 6 * GiB,
    maxmem: NODE_MAX_MEM,
    disk: 12 * GiB,
    maxdisk: NODE_ROOT_DISK,
    uptime: nodeUptime(),
    level: '',
    ssl_fingerprint: Array.from({ length: 32 }, (_, byte) => ((byte * 37 + index * 11) % 256).toString(16).padStart(2, '0').toUpperCase()).join(':'),
  }));
}

function nodeStatus({ cluster, params }: ApiContext): unknown {
  const node = str(params, 'node')!;
  cluster.requireNode(node);
  return {
    uptime: nodeUptime(),
    cpu: 0.031,
    wait: 0,
    loadavg: ['0.12', '0.10', '0.08'],
    memory: { total: NODE_MAX_MEM, used: 6 * GiB, free: NODE_MAX_MEM - 6 * GiB, available: NODE_MAX_MEM - 6 * GiB },
    swap: { total: 8 * GiB, used: 0, free: 8 * GiB },
    rootfs: { total: NODE_ROOT_DISK, used: 12 * GiB, free: NODE_ROOT_DISK - 12 * GiB, avail: NODE_ROOT_DISK - 12 * GiB },
    cpuinfo: { model: 'Emulated CPU', cpus: NODE_MAX_CPU, cores: NODE_MAX_CPU / 2, sockets: 1, mhz: '2400.000', hvm: '1', flags: 'fpu vme de pse', user_hz: 100 },
    kversion: 'Linux 6.14.11-4-pve #1 SMP PREEMPT_DYNAMIC PMX 6.14.11-4',
    pveversion: 'pve-manager/9.1.3/emulated',
    'boot-info': { mode: 'efi', secureboot: 0 },
    'current-kernel': { sysname: 'Linux', release: '6.14.11-4-pve', version: '#1 SMP PREEMPT_DYNAMIC', machine: 'x86_64' },
    ksm: { shared: 0 },
  };
}

function vmResource(vm: VmRecord): Record<string, unknown> {
  const running = vm.status === 'running';
  return {
    id: `qemu/${vm.vmid}`,
    type: 'qemu',
    node: vm.node,
    vmid: vm.vmid,
    name: vm.config.name ?? `VM ${vm.vmid}`,
    status: vm.status,
    template: vm.config.template === '1' ? 1 : 0,
    maxcpu: cpuCount(vm),
    maxmem: memoryMiB(vm) * 1024 * 1024,
    maxdisk: bootDiskBytes(vm),
    mem: running ? Math.round(memoryMiB(vm) * 1024 * 1024 * 0.35) : 0,
    disk: 0,
    cpu: running ? 0.0123 : 0,
    uptime: uptimeOf(vm),
    netin: 0,
    netout: 0,
    diskread: 0,
    diskwrite: 0,
    ...(vm.config.lock ? { lock: vm.config.lock } : {}),
    ...(vm.config.tags ? { tags: vm.config.tags } : {}),
  };
}

function clusterResources({ cluster, params }: ApiContext): unknown {
  const type = str(params, 'type');
  const rows: unknown[] = [];
  if (type === undefined || type === 'node') rows.push(...(listNodes({ cluster } as ApiContext) as unknown[]).map((row) => ({ ...(row as object), 'cgroup-mode': 2 })));
  if (type === undefined || type === 'vm') rows.push(...[...cluster.data.vms].sort((a, b) => a.vmid - b.vmid).map(vmResource));
  if (type === undefined || type === 'storage') {
    for (const node of cluster.data.nodes) {
      for (const storage of cluster.data.storages) {
        rows.push({
          id: `storage/${node}/${storage.storage}`,
          type: 'storage',
          node,
          storage: storage.storage,
          status: 'available',
          plugintype: storage.type,
          content: storage.content.join(','),
          shared: storage.shared ? 1 : 0,
          disk: storageUsage(cluster, node, storage),
          maxdisk: storage.totalBytes,
        });
      }
    }
  }
  if (type === undefined || type === 'sdn') {
    for (const node of cluster.data.nodes) rows.push({ id: `sdn/${node}/localnetwork`, type: 'sdn', sdn: 'localnetwork', node, status: 'ok' });
  }
  return rows;
}

function nextId({ cluster, params }: ApiContext): unknown {
  const wanted = num(params, 'vmid');
  if (wanted !== undefined) {
    if (cluster.findVm(wanted)) throw parameterError({ vmid: `VM ${wanted} already exists` });
    return String(wanted);
  }
  const free = cluster.nextFreeVmid();
  if (free === undefined) throw handlerError(`unable to get any free VMID in range [${NEXTID_LOWER}, ${NEXTID_UPPER - 1}]`);
  // Real servers answer a string here although the schema says integer; clients depend on it.
  return String(free);
}

function version(): unknown {
  return { version: '9.1.3', release: '9.1', repoid: 'e5010dc1', console: 'html5' };
}

/** Directory indexes, as the API answers for the inner nodes of its tree. */
function subdirs(names: readonly string[], key = 'subdir'): () => unknown {
  return () => names.map((name) => ({ [key]: name }));
}

function nodeDirectory({ cluster, params }: ApiContext): unknown {
  cluster.requireNode(str(params, 'node')!);
  return subdirs(['apt', 'capabilities', 'ceph', 'certificates', 'config', 'disks', 'dns', 'firewall', 'hardware', 'hosts', 'lxc', 'network', 'qemu', 'report', 'rrd', 'rrddata', 'scan', 'services', 'status', 'storage', 'subscription', 'syslog', 'tasks', 'time', 'version', 'vncshell', 'vzdump'], 'name')();
}

export const clusterRoutes: Route[] = [
  { method: 'GET', path: '/', params: {}, handler: subdirs(['version', 'cluster', 'nodes', 'storage', 'access', 'pools']) },
  { method: 'GET', path: '/cluster', params: {}, handler: subdirs(['acme', 'backup', 'ceph', 'config', 'firewall', 'ha', 'log', 'nextid', 'options', 'replication', 'resources', 'sdn', 'status', 'tasks'], 'name') },
  { method: 'GET', path: '/nodes/{node}', params: { node: NODE }, handler: nodeDirectory },
  { method: 'GET', path: '/version', params: {}, handler: version },
  { method: 'GET', path: '/nodes', params: {}, handler: listNodes },
  { method: 'GET', path: '/nodes/{node}/status', params: { node: NODE }, handler: nodeStatus },
  { method: 'GET', path: '/cluster/resources', params: { type: { type: 'string', optional: true, enum: ['vm', 'storage', 'node', 'sdn'] } }, handler: clusterResources },
  { method: 'GET', path: '/cluster/nextid', params: { vmid: OPTIONAL_VMID }, handler: nextId },
];
