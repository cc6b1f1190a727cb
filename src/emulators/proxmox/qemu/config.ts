import type { ApiContext } from '../api-types.ts';
import { flag, num, str } from '../api-types.ts';
import type { Cluster } from '../cluster.ts';
import { configDigest, diskVolume, lockProblem, missingConfigMessage } from '../cluster.ts';
import { TaskFailure, handlerError, parameterError } from '../errors.ts';
import type { VmRecord } from '../state.ts';
import { isDriveKey } from '../vm-config.ts';
import { configForApi, configSettings, normaliseSetting, parseDeleteList, withAllocatedVolume } from '../vm-ops.ts';
import type { NormalisedSetting } from '../vm-ops.ts';
import { requireRootForSkiplock, sleepTaskDuration, startTask } from './shared.ts';

// `…/config`: read, and the synchronous (PUT) and asynchronous (POST) updates of update_vm_api.

export function readConfig({ cluster, params }: ApiContext): unknown {
  const snapname = str(params, 'snapshot');
  if (snapname && flag(params, 'current')) {
    throw parameterError({ snapshot: "cannot use 'snapshot' parameter with 'current'", current: "cannot use 'snapshot' parameter with 'current'" });
  }
  const vm = cluster.vmOnNode(str(params, 'node')!, num(params, 'vmid')!);
  if (snapname !== undefined) {
    const snapshot = vm.snapshots.find((candidate) => candidate.name === snapname);
    if (!snapshot) throw handlerError(`snapshot '${snapname}' does not exist`);
    return { ...configForApi(snapshot.config), digest: configDigest(vm) };
  }
  return { ...configForApi(vm.config), ...(vm.parent ? { parent: vm.parent } : {}), digest: configDigest(vm) };
}

const DIGEST_MISMATCH = 'checksum missmatch (file change by other user?)';

/** update_vm_api's `$updatefn`: checked under the config lock before any worker is forked (digest first). */
function checkConfigUpdatable(vm: VmRecord, digest: string | undefined, skiplock: boolean): void {
  if (digest && digest !== configDigest(vm)) throw handlerError(DIGEST_MISMATCH);
  const locked = lockProblem(vm);
  if (locked && !skiplock) throw handlerError(locked);
}

/** update_vm_api's worker: deletions (disks become `unusedN`), then additions and changes. */
function applyConfigUpdate(cluster: Cluster, vm: VmRecord, settings: NormalisedSetting[], deletions: string[], log: (line: string) => void): void {
  for (const key of deletions) {
    const value = vm.config[key];
    if (value === undefined) {
      log(`cannot delete '${key}' - not set in current configuration!`);
      continue;
    }
    const volid = diskVolume(key, value);
    delete vm.config[key];
    if (volid && isDriveKey(key)) vm.config[freeUnusedKey(vm)] = volid;
    else if (volid && /^unused\d+$/.test(key) && !vm.snapshots.some((snapshot) => Object.values(snapshot.config).some((item) => item.split(',')[0] === volid))) {
      cluster.removeVolume(vm.node, volid);
    }
  }
  for (const setting of settings) {
    let value = setting.value;
    if (setting.newDisk) {
      const volume = cluster.allocateDisk(vm.node, setting.newDisk.storage, vm.vmid, setting.newDisk.sizeBytes);
      value = withAllocatedVolume(value, volume.volid, setting.newDisk.sizeBytes);
    }
    const previous = vm.config[setting.key];
    const previousVolume = previous === undefined ? undefined : diskVolume(setting.key, previous);
    if (previousVolume && previousVolume !== diskVolume(setting.key, value)) vm.config[freeUnusedKey(vm)] = previousVolume;
    vm.config[setting.key] = value;
  }
}

function freeUnusedKey(vm: VmRecord): string {
  let index = 0;
  while (vm.config[`unused${index}`] !== undefined) index += 1;
  return `unused${index}`;
}

export function updateConfig(context: ApiContext, synchronous: boolean): unknown {
  const { cluster, params } = context;
  const node = str(params, 'node')!;
  const vmid = num(params, 'vmid')!;
  const skiplock = requireRootForSkiplock(context);
  const deletions = parseDeleteList(params);
  const settings = configSettings(params).map(([key, value]) => normaliseSetting(cluster, key, value));
  if (deletions.length === 0 && settings.length === 0 && params.revert === undefined) throw handlerError('no options specified');
  const vm = cluster.vmOnNode(node, vmid);
  checkConfigUpdatable(vm, str(params, 'digest'), skiplock);
  if (synchronous) {
    applyConfigUpdate(cluster, vm, settings, deletions, () => undefined);
    return null;
  }
  const upid = startTask(context, node, 'qmconfig', String(vmid), async (task) => {
    task.log(`update VM ${vmid}: ${settings.map((setting) => `-${setting.key} ${setting.value}`).join(' ')}`);
    await sleepTaskDuration(task);
    task.failIfInjected();
    const current = cluster.findVm(vmid);
    if (!current || current.node !== node) throw new TaskFailure(missingConfigMessage(node, vmid));
    applyConfigUpdate(cluster, current, settings, deletions, (line) => task.warn(line));
  });
  const backgroundDelay = num(params, 'background_delay');
  if (backgroundDelay === undefined) return upid;
  // With background_delay the API waits that long: null when the task finished well, its error when it failed.
  return cluster.tasks.waitFor(upid, backgroundDelay * 1000).then((task) => {
    if (!task) return upid;
    if (task.exitstatus === 'OK' || task.exitstatus?.startsWith('WARNINGS')) return null;
    throw handlerError(`failed to update VM ${vmid}: ${task.exitstatus}`);
  });
}
