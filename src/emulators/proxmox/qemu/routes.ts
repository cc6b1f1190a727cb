import type { Route } from '../api-types.ts';
import { BOOL, NODE, OPTIONAL_INT, OPTIONAL_STRING, SNAPNAME, STORAGE_ID, VMID } from '../api-types.ts';
import { VM_CONFIG_KEYS } from '../vm-config.ts';
import { configIdListFormat, dnsNameFormat, nodeFormat, poolIdFormat } from '../formats.ts';
import type { ParamSchema } from '../validation.ts';
import { VM_PATH } from './shared.ts';
import { cloneVm, convertToTemplate } from './clone.ts';
import { readConfig, updateConfig } from './config.ts';
import { vncProxy } from './console.ts';
import { currentStatus, rebootVm, resetVm, resumeVm, startVm, statusIndex, stopVm, suspendVm } from './power.ts';
import { createSnapshot, deleteSnapshot, listSnapshots, rollbackSnapshot, snapshotIndex } from './snapshots.ts';
import { createVm, destroyVm, listVms, vmIndex } from './vms.ts';

// The `/nodes/{node}/qemu` route table with each endpoint's parameter spec.

const CONFIG_EXTRAS: ParamSchema = {
  delete: { type: 'string', optional: true, format: configIdListFormat },
  revert: { type: 'string', optional: true, format: configIdListFormat },
  digest: { type: 'string', optional: true, maxLength: 40 },
  skiplock: BOOL,
};

const TIMEOUT = OPTIONAL_INT(0);

export const qemuRoutes: Route[] = [
  { method: 'GET', path: '/nodes/{node}/qemu', params: { node: NODE, full: BOOL }, handler: listVms },
  {
    method: 'POST',
    path: '/nodes/{node}/qemu',
    params: { ...VM_CONFIG_KEYS, node: NODE, vmid: VMID, start: BOOL, storage: { ...STORAGE_ID, optional: true }, pool: { type: 'string', optional: true, format: poolIdFormat } },
    handler: createVm,
  },
  { method: 'GET', path: '/nodes/{node}/qemu/{vmid}', params: VM_PATH, handler: vmIndex },
  { method: 'DELETE', path: '/nodes/{node}/qemu/{vmid}', params: { ...VM_PATH, purge: BOOL, 'destroy-unreferenced-disks': BOOL, skiplock: BOOL }, handler: destroyVm },
  { method: 'GET', path: '/nodes/{node}/qemu/{vmid}/config', params: { ...VM_PATH, current: BOOL, snapshot: { ...SNAPNAME, optional: true } }, handler: readConfig },
  {
    method: 'POST',
    path: '/nodes/{node}/qemu/{vmid}/config',
    params: { ...VM_CONFIG_KEYS, ...CONFIG_EXTRAS, ...VM_PATH, background_delay: OPTIONAL_INT(1, 30) },
    handler: (context) => updateConfig(context, false),
  },
  { method: 'PUT', path: '/nodes/{node}/qemu/{vmid}/config', params: { ...VM_CONFIG_KEYS, ...CONFIG_EXTRAS, ...VM_PATH }, handler: (context) => updateConfig(context, true) },
  { method: 'GET', path: '/nodes/{node}/qemu/{vmid}/status', params: VM_PATH, handler: statusIndex },
  { method: 'GET', path: '/nodes/{node}/qemu/{vmid}/status/current', params: VM_PATH, handler: currentStatus },
  {
    method: 'POST',
    path: '/nodes/{node}/qemu/{vmid}/status/start',
    params: { ...VM_PATH, skiplock: BOOL, timeout: TIMEOUT, machine: OPTIONAL_STRING, 'force-cpu': OPTIONAL_STRING, migratedfrom: { type: 'string', optional: true, format: nodeFormat } },
    handler: startVm,
  },
  {
    method: 'POST',
    path: '/nodes/{node}/qemu/{vmid}/status/stop',
    params: { ...VM_PATH, skiplock: BOOL, timeout: TIMEOUT, keepActive: BOOL, 'overrule-shutdown': BOOL, migratedfrom: { type: 'string', optional: true, format: nodeFormat } },
    handler: (context) => stopVm(context, 'qmstop'),
  },
  { method: 'POST', path: '/nodes/{node}/qemu/{vmid}/status/shutdown', params: { ...VM_PATH, skiplock: BOOL, timeout: TIMEOUT, forceStop: BOOL, keepActive: BOOL }, handler: (context) => stopVm(context, 'qmshutdown') },
  { method: 'POST', path: '/nodes/{node}/qemu/{vmid}/status/reset', params: { ...VM_PATH, skiplock: BOOL }, handler: resetVm },
  { method: 'POST', path: '/nodes/{node}/qemu/{vmid}/status/reboot', params: { ...VM_PATH, timeout: TIMEOUT }, handler: rebootVm },
  { method: 'POST', path: '/nodes/{node}/qemu/{vmid}/status/suspend', params: { ...VM_PATH, skiplock: BOOL, todisk: BOOL, statestorage: { ...STORAGE_ID, optional: true } }, handler: suspendVm },
  { method: 'POST', path: '/nodes/{node}/qemu/{vmid}/status/resume', params: { ...VM_PATH, skiplock: BOOL, nocheck: BOOL }, handler: resumeVm },
  {
    method: 'POST',
    path: '/nodes/{node}/qemu/{vmid}/clone',
    params: {
      ...VM_PATH,
      newid: VMID,
      name: { type: 'string', optional: true, format: dnsNameFormat },
      description: OPTIONAL_STRING,
      full: BOOL,
      storage: { ...STORAGE_ID, optional: true },
      format: { type: 'string', optional: true, enum: ['raw', 'qcow2', 'vmdk'] },
      target: { type: 'string', optional: true, format: nodeFormat },
      pool: { type: 'string', optional: true, format: poolIdFormat },
      snapname: { ...SNAPNAME, optional: true },
      bwlimit: OPTIONAL_INT(0),
    },
    handler: cloneVm,
  },
  { method: 'POST', path: '/nodes/{node}/qemu/{vmid}/template', params: { ...VM_PATH, disk: { type: 'string', optional: true, pattern: /(ide|sata|scsi|virtio|efidisk|tpmstate)\d+/ } }, handler: convertToTemplate },
  { method: 'GET', path: '/nodes/{node}/qemu/{vmid}/snapshot', params: VM_PATH, handler: listSnapshots },
  { method: 'POST', path: '/nodes/{node}/qemu/{vmid}/snapshot', params: { ...VM_PATH, snapname: SNAPNAME, vmstate: BOOL, description: OPTIONAL_STRING }, handler: createSnapshot },
  { method: 'GET', path: '/nodes/{node}/qemu/{vmid}/snapshot/{snapname}', params: { ...VM_PATH, snapname: SNAPNAME }, handler: snapshotIndex },
  { method: 'DELETE', path: '/nodes/{node}/qemu/{vmid}/snapshot/{snapname}', params: { ...VM_PATH, snapname: SNAPNAME, force: BOOL }, handler: deleteSnapshot },
  { method: 'POST', path: '/nodes/{node}/qemu/{vmid}/snapshot/{snapname}/rollback', params: { ...VM_PATH, snapname: SNAPNAME, start: BOOL }, handler: rollbackSnapshot },
  { method: 'POST', path: '/nodes/{node}/qemu/{vmid}/vncproxy', params: { ...VM_PATH, websocket: BOOL, 'generate-password': BOOL }, handler: vncProxy },
];
