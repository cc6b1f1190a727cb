import { randomBytes, randomUUID } from 'node:crypto';
import type { ApiContext, Route } from './api-types.ts';
import { BOOL, NODE, OPTIONAL_INT, OPTIONAL_STRING, SNAPNAME, STORAGE_ID, VMID, flag, num, str } from './api-types.ts';
import type { Cluster } from './cluster.ts';
import { configDigest, diskVolume, isTemplate, lockProblem, missingConfigMessage, referencedVolumes } from './cluster.ts';
import { TaskFailure, handlerError, parameterError } from './errors.ts';
import { configIdListFormat, dnsNameFormat, nodeFormat, poolIdFormat } from './formats.ts';
import type { SnapshotRecord, VmRecord } from './state.ts';
import { newSmbiosUuid, nowSeconds } from './state.ts';
import type { TaskContext } from './tasks.ts';
import { DRIVE_FORMAT, VM_CONFIG_KEYS, isDriveKey } from './vm-config.ts';
import type { ParamSchema } from './validation.ts';
import { parsePropertyString, printPropertyString } from './validation.ts';
import {
  bootDiskBytes,
  configForApi,
  configSettings,
  convertDisksToBase,
  cpuCount,
  defaultBootOrder,
  freshIdentity,
  markRunning,
  markStopped,
  memoryMiB,
  normaliseSetting,
  parseDeleteList,
  uptimeOf,
  withAllocatedVolume,
  withNewMacs,
} from './vm-ops.ts';
import type { NormalisedSetting } from './vm-ops.ts';

/** The `/nodes/{node}/qemu` subtree: VM life cycle, configuration, clones, templates and snapshots. */
const VM_PATH = { node: NODE, vmid: VMID } as const;

function vmSummary(vm: VmRecord): Record<string, unknown> {
  const running = vm.status === 'running';
  return {
    vmid: vm.vmid,
    name: vm.config.name ?? `VM ${vm.vmid}`,
    status: vm.status,
    cpus: cpuCount(vm),
    maxmem: memoryMiB(vm) * 1024 * 1024,
    mem: running ? Math.round(memoryMiB(vm) * 1024 * 1024 * 0.35) : 0,
    maxdisk: bootDiskBytes(vm),
    disk: 0,
    cpu: running ? 0.0123 : 0,
    uptime: uptimeOf(vm),
    netin: running ? 1024 * uptimeOf(vm) : 0,
    netout: running ? 512 * uptimeOf(vm) : 0,
    diskread: 0,
    diskwrite: 0,
    ...(running && vm.pid ? { pid: vm.pid } : {}),
    ...(isTemplate(vm) ? { template: 1 } : {}),
    ...(vm.config.lock ? { lock: vm.config.lock } : {}),
    ...(vm.config.tags ? { tags: vm.config.tags } : {}),
  };
}

function qmpStatus(vm: VmRecord): string {
  if (vm.status !== 'running') return 'stopped';
  return vm.paused ? 'paused' : 'running';
}

function sleepTaskDuration(task: TaskContext): Promise<void> {
  return task.sleep(task.timing.taskDurationMs);
}

/** Loads the VM inside a task (it may have vanished since the API call) and applies `check_lock`. */
function loadForTask(cluster: Cluster, node: string, vmid: number, skiplock = false): VmRecord {
  const vm = cluster.findVm(vmid);
  if (!vm || vm.node !== node) throw new TaskFailure(missingConfigMessage(node, vmid));
  const locked = lockProblem(vm);
  if (locked && !skiplock) throw new TaskFailure(locked);
  return vm;
}

function startTask(context: ApiContext, node: string, type: string, id: string, work: (task: TaskContext) => Promise<void>, onFailure?: () => void): string {
  return context.cluster.tasks.start({ node, type, id, user: context.authId, work, onFailure });
}

// ---------------------------------------------------------------- list, create, index, destroy

function listVms({ cluster, params }: ApiContext): unknown {
  const node = str(params, 'node')!;
  cluster.requireNode(node);
  const full = flag(params, 'full') === true;
  return cluster.data.vms
    .filter((vm) => vm.node === node)
    .map((vm) => ({ ...vmSummary(vm), ...(full ? { qmpstatus: qmpStatus(vm) } : {}) }));
}

function createVm(context: ApiContext): unknown {
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
      } catch (error) {
        throw new TaskFailure(`unable to create VM ${vmid} - ${(error as Error).message}`);
      }
      await sleepTaskDuration(task);
      task.failIfInjected();
      Object.assign(config, freshIdentity(), { ...config });
      const boot = config.boot ?? defaultBootOrder(config);
      vm.config = { ...config, ...(boot ? { boot } : {}) };
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

function removeVm(cluster: Cluster, vm: VmRecord): void {
  const index = cluster.data.vms.indexOf(vm);
  if (index >= 0) cluster.data.vms.splice(index, 1);
}

function vmIndex({ cluster, params }: ApiContext): unknown {
  cluster.vmOnNode(str(params, 'node')!, num(params, 'vmid')!);
  return ['agent', 'clone', 'cloudinit', 'config', 'feature', 'firewall', 'migrate', 'monitor', 'pending', 'remote_migrate', 'resize', 'rrd', 'rrddata', 'sendkey', 'snapshot', 'spiceproxy', 'status', 'template', 'termproxy', 'unlink', 'vncproxy', 'vncwebsocket'].map(
    (subdir) => ({ subdir }),
  );
}

function destroyVm(context: ApiContext): unknown {
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

// ---------------------------------------------------------------- config

function readConfig({ cluster, params }: ApiContext): unknown {
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

function updateConfig(context: ApiContext, synchronous: boolean): unknown {
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

/** Options only root@pam may use (an API token such as `root@pam!id` is not root); refused with 400 like the real API. */
const ROOT_ONLY_OPTIONS = ['skiplock', 'keepActive', 'migratedfrom', 'nocheck', 'force-cpu'] as const;

function refuseRootOnlyOptions(context: ApiContext): void {
  if (context.authId === 'root@pam') return;
  for (const option of ROOT_ONLY_OPTIONS) {
    const value = context.params[option];
    if (value !== undefined && value !== 0 && value !== '') throw parameterError({ [option]: 'Only root may use this option.' });
  }
}

/** The `skiplock` flag, after refusing it (and the other root-only options) for non-root callers. */
function requireRootForSkiplock(context: ApiContext): boolean {
  refuseRootOnlyOptions(context);
  return flag(context.params, 'skiplock') === true;
}

// ---------------------------------------------------------------- status

function currentStatus({ cluster, params }: ApiContext): unknown {
  const vm = cluster.vmOnNode(str(params, 'node')!, num(params, 'vmid')!);
  return {
    ...vmSummary(vm),
    qmpstatus: qmpStatus(vm),
    ha: { managed: 0 },
    ...(vm.config.agent && /^(?:enabled=)?1/.test(vm.config.agent) ? { agent: 1 } : {}),
    ...(vm.status === 'running' ? { 'running-machine': 'pc-i440fx-9.2+pve1', 'running-qemu': '9.2.0' } : {}),
  };
}

function statusIndex({ cluster, params }: ApiContext): unknown {
  cluster.vmOnNode(str(params, 'node')!, num(params, 'vmid')!);
  return ['current', 'reboot', 'reset', 'resume', 'shutdown', 'start', 'stop', 'suspend'].map((subdir) => ({ subdir }));
}

function startVm(context: ApiContext): unknown {
  const { cluster, params } = context;
  const node = str(params, 'node')!;
  cluster.requireNode(node);
  const vmid = num(params, 'vmid')!;
  const skiplock = requireRootForSkiplock(context);
  // The API forks before looking at the VM: a missing, running or template VM fails inside the task.
  const startable = (): VmRecord => {
    const vm = cluster.findVm(vmid);
    if (!vm || vm.node !== node) throw new TaskFailure(missingConfigMessage(node, vmid));
    if (isTemplate(vm)) throw new TaskFailure("you can't start a vm if it's a template");
    // A VM hibernated with suspend todisk=1 keeps `lock: suspended`; starting it resumes it.
    const locked = vm.config.lock === 'suspended' ? undefined : lockProblem(vm);
    if (locked && !skiplock) throw new TaskFailure(locked);
    if (vm.status === 'running') throw new TaskFailure(`VM ${vmid} already running`);
    checkStartable(cluster, vm);
    return vm;
  };
  return startTask(context, node, 'qmstart', String(vmid), async (task) => {
    // Checked when the worker starts and again when it is done (another task may have raced it).
    startable();
    await sleepTaskDuration(task);
    const vm = startable();
    task.failIfInjected();
    if (vm.config.lock === 'suspended') {
      task.log(`resuming VM ${vmid} from its saved state`);
      delete vm.config.lock;
    }
    markRunning(vm);
  });
}

/** What `vm_start` trips over: missing CD-ROM images and unknown bridges. */
function checkStartable(cluster: Cluster, vm: VmRecord): void {
  for (const [key, value] of Object.entries(vm.config)) {
    if (isDriveKey(key)) {
      const parsed = parsePropertyString(value, DRIVE_FORMAT);
      const file = parsed.file ?? '';
      if (parsed.media === 'cdrom' && file.includes(':') && !cluster.findVolume(vm.node, file)) throw new TaskFailure(`volume '${file}' does not exist`);
    }
    const bridge = /^net\d+$/.test(key) ? /(?:^|,)bridge=([^,]+)/.exec(value)?.[1] : undefined;
    if (bridge && !NODE_BRIDGES.includes(bridge)) throw new TaskFailure(`bridge '${bridge}' does not exist`);
  }
}

export const NODE_BRIDGES = ['vmbr0', 'vmbr1'];

function stopVm(context: ApiContext, type: 'qmstop' | 'qmshutdown'): unknown {
  const { cluster, params } = context;
  const node = str(params, 'node')!;
  cluster.requireNode(node);
  const vmid = num(params, 'vmid')!;
  const skiplock = requireRootForSkiplock(context);
  let warning: string | undefined;
  // A paused VM cannot take an ACPI shutdown; `forceStop` turns it into a stop with a warning.
  const vm = cluster.findVm(vmid);
  if (type === 'qmshutdown' && vm?.node === node && vm.status === 'running' && vm.paused) {
    if (flag(params, 'forceStop') !== true) throw handlerError('VM is paused - cannot shutdown');
    warning = 'VM is paused - stop instead of shutdown';
  }
  // Like the real API, nothing is checked before forking: a missing VM fails inside the task.
  return startTask(context, node, type, String(vmid), async (task) => {
    if (warning) task.warn(warning);
    loadForTask(cluster, node, vmid, skiplock);
    await sleepTaskDuration(task);
    const current = loadForTask(cluster, node, vmid, skiplock);
    task.failIfInjected();
    // Stopping a stopped VM is fine (`_do_vm_stop` returns early without a pid).
    if (current.status === 'running') markStopped(current);
  });
}

function resetVm(context: ApiContext): unknown {
  const { cluster, params } = context;
  const node = str(params, 'node')!;
  const vmid = num(params, 'vmid')!;
  const skiplock = requireRootForSkiplock(context);
  requireRunning(cluster.vmOnNode(node, vmid));
  return startTask(context, node, 'qmreset', String(vmid), async (task) => {
    loadForTask(cluster, node, vmid, skiplock);
    await sleepTaskDuration(task);
    const vm = loadForTask(cluster, node, vmid, skiplock);
    task.failIfInjected();
    if (vm.status === 'running') vm.startedAt = nowSeconds();
  });
}

function requireRunning(vm: VmRecord): void {
  if (vm.status !== 'running') throw handlerError(`VM ${vm.vmid} not running`);
}

function rebootVm(context: ApiContext): unknown {
  const { cluster, params } = context;
  const node = str(params, 'node')!;
  const vmid = num(params, 'vmid')!;
  const vm = cluster.vmOnNode(node, vmid);
  if (vm.status === 'running' && vm.paused) throw handlerError('VM is paused - cannot shutdown');
  requireRunning(vm);
  return startTask(context, node, 'qmreboot', String(vmid), async (task) => {
    loadForTask(cluster, node, vmid);
    await sleepTaskDuration(task);
    const vm = loadForTask(cluster, node, vmid);
    if (vm.status !== 'running') throw new TaskFailure(`VM ${vmid} not running`);
    task.failIfInjected();
    markRunning(vm);
  });
}

function suspendVm(context: ApiContext): unknown {
  const { cluster, params } = context;
  const node = str(params, 'node')!;
  const vmid = num(params, 'vmid')!;
  requireRunning(cluster.vmOnNode(node, vmid));
  const toDisk = flag(params, 'todisk') === true;
  const skiplock = requireRootForSkiplock(context);
  return startTask(context, node, toDisk ? 'qmsuspend' : 'qmpause', String(vmid), async (task) => {
    loadForTask(cluster, node, vmid, skiplock);
    await sleepTaskDuration(task);
    const vm = loadForTask(cluster, node, vmid, skiplock);
    task.failIfInjected();
    if (toDisk) {
      markStopped(vm);
      vm.config.lock = 'suspended';
    } else {
      vm.paused = true;
    }
  });
}

function resumeVm(context: ApiContext): unknown {
  const { cluster, params } = context;
  const node = str(params, 'node')!;
  const vmid = num(params, 'vmid')!;
  refuseRootOnlyOptions(context);
  const vm = cluster.vmOnNode(node, vmid);
  const suspendedToDisk = vm.config.lock === 'suspended';
  if (!suspendedToDisk) requireRunning(vm);
  return startTask(context, node, 'qmresume', String(vmid), async (task) => {
    await sleepTaskDuration(task);
    const current = loadForTask(cluster, node, vmid, true);
    task.failIfInjected();
    if (current.config.lock === 'suspended') {
      delete current.config.lock;
      markRunning(current);
    } else if (current.status === 'running') {
      current.paused = false;
    } else {
      throw new TaskFailure(`VM ${vmid} not running`);
    }
  });
}

// ---------------------------------------------------------------- clone and template

function cloneVm(context: ApiContext): unknown {
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
      } catch (error) {
        throw new TaskFailure(`clone failed: ${(error as Error).message}`);
      }
      await sleepTaskDuration(task);
      task.failIfInjected();
      if (!cluster.data.vms.includes(clone)) throw new TaskFailure(`clone failed: unable to create VM ${newid}: config file vanished`);
      const config: Record<string, string> = withNewMacs({ ...sourceConfig, ...newDrives });
      for (const key of ['template', 'lock', 'parent', 'snaptime', 'vmstate', 'snapstate']) delete config[key];
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

function convertToTemplate(context: ApiContext): unknown {
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

// ---------------------------------------------------------------- snapshots

function listSnapshots({ cluster, params }: ApiContext): unknown {
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

function snapshotIndex({ cluster, params }: ApiContext): unknown {
  const vm = cluster.vmOnNode(str(params, 'node')!, num(params, 'vmid')!);
  const snapname = str(params, 'snapname')!;
  if (!vm.snapshots.some((snapshot) => snapshot.name === snapname)) throw handlerError(`snapshot '${snapname}' does not exist`);
  return [{ cmd: 'rollback' }, { cmd: 'config' }];
}

function createSnapshot(context: ApiContext): unknown {
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
      if (vmstate) task.log('saving VM state and RAM using storage \'local-lvm\'');
      await sleepTaskDuration(task);
      task.failIfInjected();
      const config = { ...vm.config };
      delete config.lock;
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

function deleteSnapshot(context: ApiContext): unknown {
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
      for (const child of vm.snapshots) if (child.parent === snapname) child.parent = snapshot.parent;
      if (!snapshot.parent) for (const child of vm.snapshots) if (child.parent === undefined) delete child.parent;
      if (vm.parent === snapname) {
        if (snapshot.parent) vm.parent = snapshot.parent;
        else delete vm.parent;
      }
      vm.snapshots.splice(vm.snapshots.indexOf(snapshot), 1);
      delete vm.config.lock;
    },
    () => {
      if (lockedVm?.config.lock === 'snapshot-delete') delete lockedVm.config.lock;
    },
  );
}

function rollbackSnapshot(context: ApiContext): unknown {
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
      vm.config = { ...snapshot.config };
      vm.parent = snapname;
      if ((snapshot.vmstate && snapshot.running) || startAfter) markRunning(vm);
    },
    () => {
      if (lockedVm?.config.lock === 'rollback') delete lockedVm.config.lock;
    },
  );
}

// ---------------------------------------------------------------- console

/** VNC proxy ports cycle through 5900–5999 like `next_vnc_port`; nothing actually listens on them. */
let nextVncPort = 5900;

/** Printable characters ('!'..'`') as qemu-server's generated VNC passwords use. */
function vncPassword(): string {
  return [...randomBytes(8)].map((byte) => String.fromCharCode((byte & 0x3f) + 33)).join('');
}

function vncProxy(context: ApiContext): unknown {
  const { cluster, params } = context;
  const node = str(params, 'node')!;
  const vmid = num(params, 'vmid')!;
  cluster.vmOnNode(node, vmid);
  const port = nextVncPort;
  nextVncPort = nextVncPort >= 5999 ? 5900 : nextVncPort + 1;
  const ticket = `PVEVNC:${nowSeconds().toString(16).toUpperCase().padStart(8, '0')}::${randomBytes(96).toString('base64')}`;
  // The real worker waits 10 s for a viewer to connect; no viewer ever connects to the emulator.
  const upid = startTask(context, node, 'vncproxy', String(vmid), async (task) => {
    await sleepTaskDuration(task);
    task.failIfInjected();
    throw new TaskFailure('connection timed out');
  });
  const password = flag(params, 'generate-password') ? vncPassword() : undefined;
  return { user: context.authId, ticket, port, upid, cert: context.certificatePem, ...(password ? { password } : {}) };
}

// ---------------------------------------------------------------- routes

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
