import type { ApiContext } from '../api-types.ts';
import { flag, num, str } from '../api-types.ts';
import type { Cluster } from '../cluster.ts';
import { isTemplate, referencedVolumes } from '../cluster.ts';
import { TaskFailure, handlerError } from '../errors.ts';
import type { VmRecord } from '../state.ts';
import type { TaskContext } from '../tasks.ts';
import { configSettings, convertDisksToBase, defaultBootOrder, markRunning, normaliseSetting, withAllocatedVolume, withCreationIdentity } from '../vm-ops.ts';
import type { NormalisedSetting } from '../vm-ops.ts';
import { loadForTask, qmpStatus, removeVm, requireRootForSkiplock, sleepTaskDuration, startTask, vmSummary } from './shared.ts';

// VM list, create, directory index and destroy.

export function listVms({ cluster, params }: ApiContext): unknown {
  const node = str(params, 'node')!;
  cluster.requireNode(node);
  const full = flag(params, 'full') === true;
  return cluster.data.vms
    .filter((vm) => vm.node === node)
    .map((vm) => ({ ...vmSummary(vm), ...(full ? { qmpstatus: qmpStatus(vm) } : {}) }));
}

export function createVm(context: ApiContext): unknown {
  const { cluster, params } = context;
  const node = str(params, 'node')!;
  cluster.requireNode(node);
  const vmid = num(params, 'vmid')!;
  const existing = cluster.findVm(vmid);
  if (existing) throw handlerError(`unable to create VM ${vmid} - VM ${vmid} already exists on node '${existing.node}'`);
  if (params.pool !== undefined) throw handlerError(`pool '${str(params, 'pool')}' does not exist`);
  const settings = configSettings(params).map(([key, value]) => normaliseSetting(cluster, key, value));
  const startAfter = flag(params, 'start') === true;
  const vm: VmRecord = { vmid, node, config: { lock: 'create' }, status: 'stopped', paused: false, snapshots: [] };
  cluster.data.vms.push(vm);
  const allocated: string[] = [];
  return startTask(
    context,
    node,
    'qmcreate',
    String(vmid),
    async (task) => {
      let config: Record<string, string>;
      try {
        config = await materialise(cluster, task, node, vmid, settings, allocated);
        await sleepTaskDuration(task);
      } catch (error) {
        throw new TaskFailure(`unable to create VM ${vmid} - ${(error as Error).message}`);
      }
      task.failIfInjected();
      const boot = config.boot ?? defaultBootOrder(config);
      vm.config = withCreationIdentity({ ...config, ...(boot ? { boot } : {}) });
      delete vm.config.lock;
      if (vm.config.template === '1') convertDisksToBase(cluster, vm);
      if (startAfter && !isTemplate(vm)) {
        task.log(`start VM ${vmid}`);
        markRunning(vm);
      }
    },
    () => {
      removeVm(cluster, vm);
      for (const volid of allocated) cluster.removeVolume(node, volid);
    },
  );
}

/** Allocates requested disks (each under its storage's lock) and returns the final config values. */
async function materialise(cluster: Cluster, task: TaskContext, node: string, vmid: number, settings: NormalisedSetting[], allocated: string[]): Promise<Record<string, string>> {
  const config: Record<string, string> = {};
  for (const setting of settings) {
    if (!setting.newDisk) {
      config[setting.key] = setting.value;
      continue;
    }
    const { storage, sizeBytes } = setting.newDisk;
    await task.withStorageLock(cluster.storageLockKey(node, storage), storage, async () => {
      await task.sleep(task.timing.fullCloneDurationMs);
      const volume = cluster.allocateDisk(node, storage, vmid, sizeBytes);
      allocated.push(volume.volid);
      task.log(`  Logical volume "${volume.volid.split(':')[1]}" created.`);
      config[setting.key] = withAllocatedVolume(setting.value, volume.volid, sizeBytes);
    });
  }
  return config;
}

export function vmIndex({ cluster, params }: ApiContext): unknown {
  cluster.vmOnNode(str(params, 'node')!, num(params, 'vmid')!);
  return ['agent', 'clone', 'cloudinit', 'config', 'feature', 'firewall', 'migrate', 'monitor', 'pending', 'remote_migrate', 'resize', 'rrd', 'rrddata', 'sendkey', 'snapshot', 'spiceproxy', 'status', 'template', 'termproxy', 'unlink', 'vncproxy', 'vncwebsocket'].map(
    (subdir) => ({ subdir }),
  );
}

export function destroyVm(context: ApiContext): unknown {
  const { cluster, params } = context;
  const node = str(params, 'node')!;
  const vmid = num(params, 'vmid')!;
  const vm = cluster.vmOnNode(node, vmid);
  if (vm.config.protection === '1') throw handlerError(`can't remove VM ${vmid} - protection mode enabled`);
  if (vm.status === 'running') throw handlerError(`VM ${vmid} is running - destroy failed`);
  const skiplock = requireRootForSkiplock(context);
  const unreferenced = flag(params, 'destroy-unreferenced-disks') === true;
  return startTask(context, node, 'qmdestroy', String(vmid), async (task) => {
    loadForTask(cluster, node, vmid, skiplock);
    await sleepTaskDuration(task);
    const current = loadForTask(cluster, node, vmid, skiplock);
    if (current.status === 'running') throw new TaskFailure(`VM ${vmid} is running - destroy failed`);
    task.failIfInjected();
    for (const volid of referencedVolumes(current)) {
      if (volid.includes('/') && !volid.split('/')[1]!.includes(`-${vmid}-`)) continue;
      // A template's base disk stays while linked clones use it; destroy_vm only warns about it.
      const volname = volid.split(':')[1]!;
      const inUse = cluster.data.vms.some((other) => other !== current && referencedVolumes(other).some((used) => used.startsWith(`${volid}/`)));
      if (inUse) {
        task.warn(`Could not remove disk '${volid}', check manually: base volume '${volname}' is still in use by linked cloned`);
        continue;
      }
      if (cluster.removeVolume(node, volid)) task.log(`  Logical volume "${volname}" successfully removed.`);
    }
    if (unreferenced) {
      const leftovers = cluster.data.volumes.filter((volume) => volume.vmid === vmid && volume.content === 'images' && (volume.node === undefined || volume.node === node));
      for (const volume of leftovers) {
        cluster.removeVolume(node, volume.volid);
        task.log(`  Removed unreferenced volume ${volume.volid}`);
      }
    }
    removeVm(cluster, current);
  });
}
