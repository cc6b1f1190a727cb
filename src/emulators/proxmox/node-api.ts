import type { ApiContext, Route } from './api-types.ts';
import { BOOL, NODE, OPTIONAL_VMID, STORAGE_ID, num, str } from './api-types.ts';
import { nodeFormat, storageContentFormat, storageContentListFormat } from './formats.ts';
import { NODE_BRIDGES } from './qemu/shared.ts';
import type { StorageDefinition } from './state.ts';

// Per-node network and storage listings (what the console address and ISO pickers read).

function nodePosition(cluster: ApiContext['cluster'], node: string): number {
  return cluster.data.nodes.indexOf(node);
}

/** Bytes of the volumes a node sees on a storage. */
export function storageUsage(cluster: ApiContext['cluster'], node: string, storage: StorageDefinition): number {
  return cluster.volumesOn(node, storage.storage).reduce((sum, volume) => sum + volume.sizeBytes, 0);
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


export const nodeRoutes: Route[] = [
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
