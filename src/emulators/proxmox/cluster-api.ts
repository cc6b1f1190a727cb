import type { ApiContext, Route } from './api-types.ts';
import { BOOL, NODE, OPTIONAL_INT, OPTIONAL_STRING, OPTIONAL_VMID, ResultWithAttributes, STORAGE_ID, flag, num, str } from './api-types.ts';
import { NEXTID_LOWER, NEXTID_UPPER } from './cluster.ts';
import { handlerError, parameterError } from './errors.ts';
import { nodeFormat, storageContentFormat, storageContentListFormat } from './formats.ts';
import { NODE_BRIDGES } from './qemu/shared.ts';
import { GiB } from './state.ts';
import type { StorageDefinition, VmRecord } from './state.ts';
import type { TaskRecord } from './tasks.ts';
import { decodeUpid } from './tasks.ts';
import { bootDiskBytes, cpuCount, memoryMiB, uptimeOf } from './vm-ops.ts';

/** Cluster-wide and per-node endpoints that are not about one VM: version, nodes, resources, tasks, storage. */
const EMULATOR_STARTED = Math.floor(Date.now() / 1000);
const NODE_MAX_MEM = 64 * GiB;
const NODE_MAX_CPU = 16;
const NODE_ROOT_DISK = 100 * GiB;

function nodeUptime(): number {
  return 86_400 + Math.floor(Date.now() / 1000) - EMULATOR_STARTED;
}

function nodePosition(cluster: ApiContext['cluster'], node: string): number {
  return cluster.data.nodes.indexOf(node);
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

function storageUsage(cluster: ApiContext['cluster'], node: string, storage: StorageDefinition): number {
  return cluster.volumesOn(node, storage.storage).reduce((sum, volume) => sum + volume.sizeBytes, 0);
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

function taskRow(task: TaskRecord): Record<string, unknown> {
  return {
    upid: task.upid,
    node: task.node,
    pid: task.pid,
    pstart: task.pstart,
    starttime: task.starttime,
    type: task.type,
    id: task.id,
    user: task.user,
    ...(task.status === 'stopped' ? { endtime: task.endtime, status: task.exitstatus } : {}),
  };
}

function clusterTasks({ cluster }: ApiContext): unknown {
  return cluster.tasks
    .all()
    .slice(0, 200)
    .map((task) => ({ ...taskRow(task), saved: task.status === 'stopped' ? '1' : '0' }));
}

function nodeTasks({ cluster, params }: ApiContext): unknown {
  const node = str(params, 'node')!;
  cluster.requireNode(node);
  const source = str(params, 'source') ?? 'archive';
  const vmid = num(params, 'vmid');
  const typefilter = str(params, 'typefilter');
  const userfilter = str(params, 'userfilter');
  const errorsOnly = flag(params, 'errors') === true;
  const since = num(params, 'since');
  const until = num(params, 'until');
  const statusFilter = str(params, 'statusfilter')?.split(/[,;\s]+/).filter(Boolean);
  const matching = cluster.tasks.all().filter((task) => {
    if (task.node !== node) return false;
    if (source === 'archive' && task.status !== 'stopped') return false;
    if (source === 'active' && task.status !== 'running') return false;
    if (vmid !== undefined && task.id !== String(vmid)) return false;
    if (typefilter && task.type !== typefilter) return false;
    if (userfilter && !task.user.includes(userfilter)) return false;
    if (errorsOnly && (task.status !== 'stopped' || task.exitstatus === 'OK')) return false;
    if (since !== undefined && task.starttime < since) return false;
    if (until !== undefined && task.starttime > until) return false;
    if (statusFilter && statusFilter.length > 0) {
      const kind = task.status === 'running' ? 'active' : task.exitstatus === 'OK' ? 'ok' : task.exitstatus?.startsWith('WARNINGS') ? 'warning' : 'error';
      if (!statusFilter.includes(kind)) return false;
    }
    return true;
  });
  const start = num(params, 'start') ?? 0;
  const limit = num(params, 'limit') ?? 50;
  return new ResultWithAttributes(matching.slice(start, start + limit).map(taskRow), { total: matching.length });
}

function findTask({ cluster, params }: ApiContext): TaskRecord {
  const node = str(params, 'node')!;
  cluster.requireNode(node);
  const upid = str(params, 'upid')!;
  const decoded = decodeUpid(upid);
  if (!decoded) throw parameterError({ upid: 'unable to parse worker upid' });
  const task = cluster.tasks.find(upid);
  if (!task || task.node !== node) throw parameterError({ upid: 'no such task' });
  return task;
}

function taskStatus(context: ApiContext): unknown {
  const task = findTask(context);
  const [user, tokenid] = task.user.split('!');
  return {
    upid: task.upid,
    node: task.node,
    pid: task.pid,
    pstart: task.pstart,
    starttime: task.starttime,
    type: task.type,
    id: task.id,
    user,
    ...(tokenid ? { tokenid } : {}),
    status: task.status,
    ...(task.status === 'stopped' ? { exitstatus: task.exitstatus } : {}),
  };
}

function taskLog(context: ApiContext): unknown {
  const task = findTask(context);
  const start = num(context.params, 'start') ?? 0;
  const limit = num(context.params, 'limit') ?? 50;
  const lines = task.log.length > 0 ? task.log : ['no content'];
  const page = lines.slice(start, start + limit).map((text, index) => ({ n: start + index + 1, t: text }));
  return new ResultWithAttributes(page, { total: lines.length });
}

function taskIndex(context: ApiContext): unknown {
  findTask(context);
  return [{ name: 'log' }, { name: 'status' }];
}

function networkInterfaces(node: string, index: number): Array<Record<string, unknown>> {
  const address = `10.10.0.${11 + index}`;
  return [
    { iface: 'lo', type: 'loopback', method: 'loopback', method6: 'manual', families: ['inet'], active: 1, autostart: 1, priority: 1 },
    { iface: 'eno1', type: 'eth', method: 'manual', method6: 'manual', families: ['inet'], active: 1, exists: 1, priority: 2 },
    {
      iface: NODE_BRIDGES[0],
      type: 'bridge',
      method: 'static',
      method6: 'manual',
      families: ['inet'],
      address,
      netmask: '24',
      cidr: `${address}/24`,
      gateway: '10.10.0.1',
      bridge_ports: 'eno1',
      bridge_stp: 'off',
      bridge_fd: '0',
      bridge_vlan_aware: 1,
      bridge_vids: '2-4094',
      active: 1,
      autostart: 1,
      priority: 3,
      comments: `${node} management and guest bridge\n`,
    },
    { iface: NODE_BRIDGES[1], type: 'bridge', method: 'manual', method6: 'manual', families: ['inet'], bridge_ports: '', bridge_stp: 'off', bridge_fd: '0', active: 1, autostart: 1, priority: 4 },
  ];
}

function listNetwork({ cluster, params }: ApiContext): unknown {
  const node = str(params, 'node')!;
  cluster.requireNode(node);
  const type = str(params, 'type');
  return networkInterfaces(node, nodePosition(cluster, node)).filter((entry) => {
    if (type === undefined) return true;
    if (type === 'any_bridge' || type === 'any_local_bridge') return entry.type === 'bridge' || entry.type === 'OVSBridge';
    return entry.type === type;
  });
}

function listStorage({ cluster, params }: ApiContext): unknown {
  const node = str(params, 'node')!;
  cluster.requireNode(node);
  const contentFilter = str(params, 'content')?.split(/[,;\s]+/).filter(Boolean);
  const only = str(params, 'storage');
  return cluster.data.storages
    .filter((storage) => only === undefined || storage.storage === only)
    .filter((storage) => !contentFilter || contentFilter.some((content) => storage.content.includes(content)))
    .map((storage) => {
      const used = storageUsage(cluster, node, storage);
      return {
        storage: storage.storage,
        type: storage.type,
        content: storage.content.join(','),
        shared: storage.shared ? 1 : 0,
        active: 1,
        enabled: 1,
        total: storage.totalBytes,
        used,
        avail: storage.totalBytes - used,
        used_fraction: used / storage.totalBytes,
      };
    });
}

function storageContent({ cluster, params }: ApiContext): unknown {
  const node = str(params, 'node')!;
  cluster.requireNode(node);
  const storageId = str(params, 'storage')!;
  const content = str(params, 'content');
  const vmid = num(params, 'vmid');
  return cluster
    .volumesOn(node, storageId)
    .filter((volume) => content === undefined || volume.content === content)
    .filter((volume) => vmid === undefined || volume.vmid === vmid)
    .map((volume) => ({
      volid: volume.volid,
      content: volume.content,
      format: volume.format,
      size: volume.sizeBytes,
      ctime: volume.ctime,
      ...(volume.vmid !== undefined ? { vmid: volume.vmid } : {}),
      ...(volume.content === 'images' ? { used: volume.sizeBytes } : {}),
    }));
}

function version(): unknown {
  return { version: '9.1.3', release: '9.1', repoid: 'e5010dc1', console: 'html5' };
}

const TASK_PATH = { node: NODE, upid: { type: 'string' as const } };

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
  { method: 'GET', path: '/cluster/tasks', params: {}, handler: clusterTasks },
  {
    method: 'GET',
    path: '/nodes/{node}/tasks',
    params: {
      node: NODE,
      errors: BOOL,
      limit: OPTIONAL_INT(0),
      start: OPTIONAL_INT(0),
      since: OPTIONAL_INT(),
      until: OPTIONAL_INT(),
      source: { type: 'string', optional: true, enum: ['archive', 'active', 'all'] },
      statusfilter: OPTIONAL_STRING,
      typefilter: OPTIONAL_STRING,
      userfilter: OPTIONAL_STRING,
      vmid: OPTIONAL_VMID,
    },
    handler: nodeTasks,
  },
  { method: 'GET', path: '/nodes/{node}/tasks/{upid}', params: TASK_PATH, handler: taskIndex },
  { method: 'GET', path: '/nodes/{node}/tasks/{upid}/status', params: TASK_PATH, handler: taskStatus },
  { method: 'GET', path: '/nodes/{node}/tasks/{upid}/log', params: { ...TASK_PATH, start: OPTIONAL_INT(0), limit: OPTIONAL_INT(0), download: BOOL }, handler: taskLog },
  {
    method: 'GET',
    path: '/nodes/{node}/network',
    params: { node: NODE, type: { type: 'string', optional: true, enum: ['bridge', 'bond', 'eth', 'alias', 'vlan', 'fabric', 'OVSBridge', 'OVSBond', 'OVSPort', 'OVSIntPort', 'vnet', 'any_bridge', 'any_local_bridge', 'include_sdn'] } },
    handler: listNetwork,
  },
  {
    method: 'GET',
    path: '/nodes/{node}/storage',
    params: { node: NODE, content: { type: 'string', optional: true, format: storageContentListFormat }, enabled: BOOL, format: BOOL, storage: { ...STORAGE_ID, optional: true }, target: { type: 'string', optional: true, format: nodeFormat } },
    handler: listStorage,
  },
  {
    method: 'GET',
    path: '/nodes/{node}/storage/{storage}/content',
    params: { node: NODE, storage: STORAGE_ID, content: { type: 'string', optional: true, format: storageContentFormat }, vmid: OPTIONAL_VMID },
    handler: storageContent,
  },
];
