import type { ApiContext } from '../api-types.ts';
import { NODE, VMID, flag } from '../api-types.ts';
import type { Cluster } from '../cluster.ts';
import { isTemplate, lockProblem, missingConfigMessage } from '../cluster.ts';
import { TaskFailure, handlerError, parameterError } from '../errors.ts';
import type { VmRecord } from '../state.ts';
import type { TaskContext } from '../tasks.ts';
import { bootDiskBytes, cpuCount, memoryMiB, uptimeOf } from '../vm-ops.ts';

// Helpers shared by the `/nodes/{node}/qemu` handlers.

/** Path parameters of every `/nodes/{node}/qemu/{vmid}/…` endpoint. */
export const VM_PATH = { node: NODE, vmid: VMID } as const;

/** A row of `GET /nodes/{node}/qemu` (qemu-server `vmstatus`). */
export function vmSummary(vm: VmRecord): Record<string, unknown> {
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

export function qmpStatus(vm: VmRecord): string {
  if (vm.status !== 'running') return 'stopped';
  return vm.paused ? 'paused' : 'running';
}

export function sleepTaskDuration(task: TaskContext): Promise<void> {
  return task.sleep(task.timing.taskDurationMs);
}

/** Loads the VM inside a task (it may have vanished since the API call) and applies `check_lock`. */
export function loadForTask(cluster: Cluster, node: string, vmid: number, skiplock = false): VmRecord {
  const vm = cluster.findVm(vmid);
  if (!vm || vm.node !== node) throw new TaskFailure(missingConfigMessage(node, vmid));
  const locked = lockProblem(vm);
  if (locked && !skiplock) throw new TaskFailure(locked);
  return vm;
}

export function startTask(context: ApiContext, node: string, type: string, id: string, work: (task: TaskContext) => Promise<void>, onFailure?: () => void): string {
  return context.cluster.tasks.start({ node, type, id, user: context.authId, work, onFailure });
}

export function removeVm(cluster: Cluster, vm: VmRecord): void {
  const index = cluster.data.vms.indexOf(vm);
  if (index >= 0) cluster.data.vms.splice(index, 1);
}

/** Options only root@pam may use (an API token such as `root@pam!id` is not root); refused with 400 like the real API. */
const ROOT_ONLY_OPTIONS = ['skiplock', 'keepActive', 'migratedfrom', 'nocheck', 'force-cpu'] as const;

export function refuseRootOnlyOptions(context: ApiContext): void {
  if (context.authId === 'root@pam') return;
  for (const option of ROOT_ONLY_OPTIONS) {
    const value = context.params[option];
    if (value !== undefined && value !== 0 && value !== '') throw parameterError({ [option]: 'Only root may use this option.' });
  }
}

/** The `skiplock` flag, after refusing it (and the other root-only options) for non-root callers. */
export function requireRootForSkiplock(context: ApiContext): boolean {
  refuseRootOnlyOptions(context);
  return flag(context.params, 'skiplock') === true;
}

export function requireRunning(vm: VmRecord): void {
  if (vm.status !== 'running') throw handlerError(`VM ${vm.vmid} not running`);
}

/** Bridges every emulated node has; `vm_start` refuses a NIC on any other. */
export const NODE_BRIDGES = ['vmbr0', 'vmbr1'];
