import { randomUUID } from 'node:crypto';
import type { ApiContext } from '../api-types.ts';
import { flag, num, str } from '../api-types.ts';
import { diskVolume, isTemplate, lockProblem } from '../cluster.ts';
import { TaskFailure, handlerError } from '../errors.ts';
import type { VmRecord } from '../state.ts';
import { newSmbiosUuid } from '../state.ts';
import type { TaskContext } from '../tasks.ts';
import { DRIVE_FORMAT, isDriveKey } from '../vm-config.ts';
import { parsePropertyString, printPropertyString } from '../validation.ts';
import { convertDisksToBase, withNewMacs } from '../vm-ops.ts';
import { removeVm, sleepTaskDuration, startTask } from './shared.ts';

// `…/clone` (linked and full, across nodes from shared storage) and `…/template`.

export function cloneVm(context: ApiContext): unknown {
  const { cluster, params } = context;
  const node = str(params, 'node')!;
  const vmid = num(params, 'vmid')!;
  const newid = num(params, 'newid')!;
  const source = cluster.vmOnNode(node, vmid);
  const locked = lockProblem(source);
  if (locked) throw handlerError(locked);
  const snapname = str(params, 'snapname');
  const snapshot = snapname === undefined ? undefined : source.snapshots.find((candidate) => candidate.name === snapname);
  if (snapname !== undefined && !snapshot) throw handlerError(`snapshot '${snapname}' does not exist`);
  const target = str(params, 'target') ?? node;
  if (!cluster.data.nodes.includes(target)) throw handlerError(`no such cluster node '${target}'`);
  if (cluster.findVm(newid)) throw handlerError(`unable to create VM ${newid}: config file already exists`);
  const full = flag(params, 'full') ?? !isTemplate(source);
  const storageParam = str(params, 'storage');
  if (!full && storageParam !== undefined) throw handlerError("parameter 'storage' not allowed for linked clones");
  if (!full && params.format !== undefined) throw handlerError("parameter 'format' not allowed for linked clones");
  if (params.pool !== undefined) throw handlerError(`pool '${str(params, 'pool')}' does not exist`);
  if (storageParam !== undefined) {
    const storage = cluster.storage(storageParam);
    if (!storage.content.includes('images')) throw handlerError(`storage '${storageParam}' does not support vm images`);
  }
  const sourceConfig = { ...(snapshot ? snapshot.config : source.config) };
  const disks = Object.entries(sourceConfig).filter(([key, value]) => isDriveKey(key) && diskVolume(key, value) !== undefined);
  if (target !== node && storageParam !== undefined && !cluster.storage(storageParam).shared) throw handlerError(`can't clone to non-shared storage '${storageParam}'`);
  for (const [key, value] of disks) {
    const storageId = diskVolume(key, value)!.split(':')[0]!;
    if (!full && !isTemplate(source)) throw handlerError(`Linked clone feature is not supported for drive '${key}'`);
    const destination = cluster.storage(full ? (storageParam ?? storageId) : storageId);
    if (target !== node && !destination.shared) throw handlerError(`can't clone VM to node '${target}' (VM uses local storage)`);
  }
  // The new VM's config exists at once, locked, so nobody else can take the id while the disks copy.
  const clone: VmRecord = { vmid: newid, node, config: { lock: 'clone' }, status: 'stopped', paused: false, snapshots: [] };
  cluster.data.vms.push(clone);
  const allocated: Array<{ node: string; volid: string }> = [];
  return startTask(
    context,
    node,
    'qmclone',
    String(vmid),
    async (task) => {
      const newDrives: Record<string, string> = {};
      // qemu-server wraps every failure of the copy in "clone failed: …".
      try {
        await copyDisks(task, newDrives);
        await sleepTaskDuration(task);
      } catch (error) {
        throw new TaskFailure(`clone failed: ${(error as Error).message}`);
      }
      task.failIfInjected();
      if (!cluster.data.vms.includes(clone)) throw new TaskFailure(`clone failed: unable to create VM ${newid}: config file vanished`);
      const config: Record<string, string> = withNewMacs({ ...sourceConfig, ...newDrives });
      for (const key of ['template', 'lock', 'parent', 'snaptime', 'vmstate', 'snapstate', 'runningmachine']) delete config[key];
      for (const key of Object.keys(config)) if (/^unused\d+$/.test(key)) delete config[key];
      config.smbios1 = newSmbiosUuid();
      if (config.vmgenid) config.vmgenid = randomUUID();
      config.name = str(params, 'name') || `Copy-of-VM-${sourceConfig.name ?? vmid}`;
      const description = str(params, 'description');
      if (description) config.description = description;
      clone.config = config;
      if (target !== node) {
        clone.node = target;
        task.log(`moving VM ${newid} to node '${target}'`);
      }
    },
    () => {
      removeVm(cluster, clone);
      for (const { node: volumeNode, volid } of allocated) cluster.removeVolume(volumeNode, volid);
    },
  );

  async function copyDisks(task: TaskContext, newDrives: Record<string, string>): Promise<void> {
    for (const [key, value] of disks) {
      const volid = diskVolume(key, value)!;
      const sourceStorage = volid.split(':')[0]!;
      const parsed = parsePropertyString(value, DRIVE_FORMAT);
      const sizeBytes = cluster.findVolume(node, volid)?.sizeBytes ?? 8 * 1024 ** 3;
      if (full) {
        const storage = storageParam ?? sourceStorage;
        const lockNode = cluster.storage(storage).shared ? node : target;
        task.log(`create full clone of drive ${key} (${volid})`);
        await task.withStorageLock(cluster.storageLockKey(lockNode, storage), storage, async () => {
          await task.sleep(task.timing.fullCloneDurationMs);
          const volume = cluster.allocateDisk(target, storage, newid, sizeBytes);
          allocated.push({ node: target, volid: volume.volid });
          parsed.file = volume.volid;
        });
        task.log(`transferred ${(sizeBytes / 1024 ** 3).toFixed(1)} GiB of ${(sizeBytes / 1024 ** 3).toFixed(1)} GiB (100.00%)`);
      } else {
        task.log(`create linked clone of drive ${key} (${volid})`);
        await task.withStorageLock(cluster.storageLockKey(node, sourceStorage), sourceStorage, async () => {
          const base = volid.split(':')[1]!;
          const volume = cluster.allocateDisk(node, sourceStorage, newid, sizeBytes, 'vm', base);
          allocated.push({ node, volid: volume.volid });
          parsed.file = volume.volid;
        });
      }
      newDrives[key] = printPropertyString(parsed, DRIVE_FORMAT);
    }
  }
}

export function convertToTemplate(context: ApiContext): unknown {
  const { cluster, params } = context;
  const node = str(params, 'node')!;
  const vmid = num(params, 'vmid')!;
  const vm = cluster.vmOnNode(node, vmid);
  const locked = lockProblem(vm);
  if (locked) throw handlerError(locked);
  if (vm.snapshots.length > 0) throw handlerError('unable to create template, because VM contains snapshots');
  if (isTemplate(vm)) throw handlerError("you can't convert a template to a template");
  if (vm.status === 'running') throw handlerError("you can't convert a VM to template if VM is running");
  vm.config.template = '1';
  return startTask(context, node, 'qmtemplate', String(vmid), async (task) => {
    await sleepTaskDuration(task);
    task.failIfInjected();
    const current = cluster.findVm(vmid);
    if (current) convertDisksToBase(cluster, current);
  });
}
