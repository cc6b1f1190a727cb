import type { ApiContext } from '../api-types.ts';
import { flag, num, str } from '../api-types.ts';
import type { Cluster } from '../cluster.ts';
import { configDigest, formatSize, isTemplate, referencedVolumes } from '../cluster.ts';
import { TaskFailure, handlerError } from '../errors.ts';
import type { SnapshotRecord, VmRecord } from '../state.ts';
import { nowSeconds } from '../state.ts';
import { markRunning, markStopped, memoryMiB } from '../vm-ops.ts';
import { loadForTask, sleepTaskDuration, startTask } from './shared.ts';

// `…/snapshot`: list, create, delete and rollback, each holding its snapshot lock while it runs.

export function listSnapshots({ cluster, params }: ApiContext): unknown {
  const vm = cluster.vmOnNode(str(params, 'node')!, num(params, 'vmid')!);
  const entries: Array<Record<string, unknown>> = vm.snapshots.map((snapshot) => ({
    name: snapshot.name,
    description: snapshot.description,
    snaptime: snapshot.snaptime,
    vmstate: snapshot.vmstate ? 1 : 0,
    ...(snapshot.parent ? { parent: snapshot.parent } : {}),
  }));
  entries.push({ name: 'current', description: 'You are here!', digest: configDigest(vm), running: vm.status === 'running' ? 1 : 0, ...(vm.parent ? { parent: vm.parent } : {}) });
  return entries;
}

export function snapshotIndex({ cluster, params }: ApiContext): unknown {
  const vm = cluster.vmOnNode(str(params, 'node')!, num(params, 'vmid')!);
  const snapname = str(params, 'snapname')!;
  if (!vm.snapshots.some((snapshot) => snapshot.name === snapname)) throw handlerError(`snapshot '${snapname}' does not exist`);
  return [{ cmd: 'rollback' }, { cmd: 'config' }];
}

/** `vmstatestorage`, else the storage of the first disk that holds images, else `local-lvm`. */
function vmStateStorage(cluster: Cluster, vm: VmRecord): string {
  if (vm.config.vmstatestorage) return vm.config.vmstatestorage;
  for (const volid of referencedVolumes({ ...vm, snapshots: [] })) {
    const storage = cluster.data.storages.find((candidate) => candidate.storage === volid.split(':')[0]);
    if (storage?.content.includes('images')) return storage.storage;
  }
  return 'local-lvm';
}

export function createSnapshot(context: ApiContext): unknown {
  const { cluster, params } = context;
  const node = str(params, 'node')!;
  const vmid = num(params, 'vmid')!;
  const snapname = str(params, 'snapname')!;
  if (snapname === 'current') throw handlerError("unable to use snapshot name 'current' (reserved name)");
  if (snapname.toLowerCase() === 'pending') throw handlerError("unable to use snapshot name 'pending' (reserved name)");
  // The snapshot endpoints fork at once; a missing VM fails inside the task.
  cluster.requireNode(node);
  const wantsVmstate = flag(params, 'vmstate') === true;
  const description = str(params, 'description') ?? '';
  let lockedVm: VmRecord | undefined;
  return startTask(
    context,
    node,
    'qmsnapshot',
    String(vmid),
    async (task) => {
      const vm = loadForTask(cluster, node, vmid);
      if (isTemplate(vm)) throw new TaskFailure("you can't take a snapshot if it's a template");
      if (vm.snapshots.some((snapshot) => snapshot.name === snapname)) throw new TaskFailure(`snapshot name '${snapname}' already used`);
      vm.config.lock = 'snapshot';
      lockedVm = vm;
      const vmstate = wantsVmstate && vm.status === 'running';
      await sleepTaskDuration(task);
      task.failIfInjected();
      const config = { ...vm.config };
      delete config.lock;
      if (vmstate) {
        // The RAM goes to a state volume the snapshot config points at (`vmstate: <volid>`).
        const storage = vmStateStorage(cluster, vm);
        task.log(`saving VM state and RAM using storage '${storage}'`);
        const volume = cluster.allocateNamedVolume(vm.node, storage, vmid, `vm-${vmid}-state-${snapname}`, memoryMiB(vm) * 2 * 1024 * 1024);
        config.vmstate = volume.volid;
        config.runningmachine = 'pc-i440fx-9.2+pve1';
        task.log(`completed saving the VM state, saved ${formatSize(volume.sizeBytes)}`);
      }
      const snapshot: SnapshotRecord = { name: snapname, description, snaptime: nowSeconds(), vmstate, config, running: vm.status === 'running' };
      if (vm.parent) snapshot.parent = vm.parent;
      vm.snapshots.push(snapshot);
      vm.parent = snapname;
      delete vm.config.lock;
    },
    () => {
      if (lockedVm?.config.lock === 'snapshot') delete lockedVm.config.lock;
    },
  );
}

export function deleteSnapshot(context: ApiContext): unknown {
  const { cluster, params } = context;
  const node = str(params, 'node')!;
  const vmid = num(params, 'vmid')!;
  const snapname = str(params, 'snapname')!;
  // The snapshot endpoints fork at once; a missing VM fails inside the task.
  cluster.requireNode(node);
  const force = flag(params, 'force') === true;
  let lockedVm: VmRecord | undefined;
  return startTask(
    context,
    node,
    'qmdelsnapshot',
    String(vmid),
    async (task) => {
      const vm = loadForTask(cluster, node, vmid, force);
      const snapshot = vm.snapshots.find((candidate) => candidate.name === snapname);
      if (!snapshot) throw new TaskFailure(`snapshot '${snapname}' does not exist`);
      vm.config.lock = 'snapshot-delete';
      lockedVm = vm;
      await sleepTaskDuration(task);
      task.failIfInjected();
      // Children of the deleted snapshot now descend from its parent (or from nothing).
      for (const child of vm.snapshots) {
        if (child.parent !== snapname) continue;
        if (snapshot.parent) child.parent = snapshot.parent;
        else delete child.parent;
      }
      if (vm.parent === snapname) {
        if (snapshot.parent) vm.parent = snapshot.parent;
        else delete vm.parent;
      }
      if (snapshot.config.vmstate) cluster.removeVolume(vm.node, snapshot.config.vmstate);
      vm.snapshots.splice(vm.snapshots.indexOf(snapshot), 1);
      delete vm.config.lock;
    },
    () => {
      if (lockedVm?.config.lock === 'snapshot-delete') delete lockedVm.config.lock;
    },
  );
}

export function rollbackSnapshot(context: ApiContext): unknown {
  const { cluster, params } = context;
  const node = str(params, 'node')!;
  const vmid = num(params, 'vmid')!;
  const snapname = str(params, 'snapname')!;
  // The snapshot endpoints fork at once; a missing VM fails inside the task.
  cluster.requireNode(node);
  const startAfter = flag(params, 'start') === true;
  let lockedVm: VmRecord | undefined;
  return startTask(
    context,
    node,
    'qmrollback',
    String(vmid),
    async (task) => {
      const vm = loadForTask(cluster, node, vmid);
      const snapshot = vm.snapshots.find((candidate) => candidate.name === snapname);
      if (!snapshot) throw new TaskFailure(`snapshot '${snapname}' does not exist`);
      if (isTemplate(vm)) throw new TaskFailure("you can't rollback if vm is a template");
      vm.config.lock = 'rollback';
      lockedVm = vm;
      if (vm.status === 'running') {
        task.log(`stopping VM ${vmid}`);
        markStopped(vm);
      }
      await sleepTaskDuration(task);
      task.failIfInjected();
      // The snapshot's own keys (its RAM state volume, the machine it ran) do not become VM config.
      const { vmstate: _stateVolume, runningmachine: _machine, ...config } = snapshot.config;
      vm.config = config;
      vm.parent = snapname;
      if ((snapshot.vmstate && snapshot.running) || startAfter) markRunning(vm);
    },
    () => {
      if (lockedVm?.config.lock === 'rollback') delete lockedVm.config.lock;
    },
  );
}
