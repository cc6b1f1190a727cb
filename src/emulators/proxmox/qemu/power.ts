import type { ApiContext } from '../api-types.ts';
import { flag, num, str } from '../api-types.ts';
import type { Cluster } from '../cluster.ts';
import { isTemplate, lockProblem, missingConfigMessage } from '../cluster.ts';
import { TaskFailure, handlerError } from '../errors.ts';
import type { VmRecord } from '../state.ts';
import { nowSeconds } from '../state.ts';
import { DRIVE_FORMAT, isDriveKey } from '../vm-config.ts';
import { parsePropertyString } from '../validation.ts';
import { markRunning, markStopped } from '../vm-ops.ts';
import {
  NODE_BRIDGES,
  loadForTask,
  vmSummary,
  qmpStatus,
  refuseRootOnlyOptions,
  requireRootForSkiplock,
  requireRunning,
  sleepTaskDuration,
  startTask,
} from './shared.ts';

// `…/status/*`: current status and the power actions, with the real sync-vs-task state rules.

export function currentStatus({ cluster, params }: ApiContext): unknown {
  const vm = cluster.vmOnNode(str(params, 'node')!, num(params, 'vmid')!);
  return {
    ...vmSummary(vm),
    qmpstatus: qmpStatus(vm),
    ha: { managed: 0 },
    ...(vm.config.agent && /^(?:enabled=)?1/.test(vm.config.agent) ? { agent: 1 } : {}),
    ...(vm.status === 'running' ? { 'running-machine': 'pc-i440fx-9.2+pve1', 'running-qemu': '9.2.0' } : {}),
  };
}

export function statusIndex({ cluster, params }: ApiContext): unknown {
  cluster.vmOnNode(str(params, 'node')!, num(params, 'vmid')!);
  return ['current', 'reboot', 'reset', 'resume', 'shutdown', 'start', 'stop', 'suspend'].map((subdir) => ({ subdir }));
}

export function startVm(context: ApiContext): unknown {
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

export function stopVm(context: ApiContext, type: 'qmstop' | 'qmshutdown'): unknown {
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

export function resetVm(context: ApiContext): unknown {
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

export function rebootVm(context: ApiContext): unknown {
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

export function suspendVm(context: ApiContext): unknown {
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

export function resumeVm(context: ApiContext): unknown {
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
