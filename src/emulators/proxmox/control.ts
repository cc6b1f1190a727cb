import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { readBody, sendJson } from '../shared/server.ts';
import type { FaultInjector } from '../shared/faults.ts';
import type { Cluster } from './cluster.ts';
import { configDigest } from './cluster.ts';
import { randomMac } from './state.ts';
import type { VmRecord } from './state.ts';
import type { TaskTiming } from './tasks.ts';
import { markRunning } from './vm-ops.ts';

/**
 * The control API under `/_emulator/` (no authentication; real clients never use this path): state dump and
 * reset, fault rules, timing and task-failure knobs, request counters, and direct VM manipulation for tests.
 */
export const CONTROL_PREFIX = '/_emulator/';

const configSchema = z.strictObject({
  taskDurationMs: z.number().int().nonnegative().optional(),
  fullCloneDurationMs: z.number().int().nonnegative().optional(),
  storageLockTimeoutMs: z.number().int().nonnegative().optional(),
  failTasks: z.record(z.string(), z.string()).optional(),
});

const createVmSchema = z.strictObject({
  node: z.string(),
  vmid: z.number().int().min(100).max(999_999_999),
  name: z.string().regex(/^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?$/),
  status: z.enum(['running', 'stopped']).optional(),
  template: z.boolean().optional(),
  tags: z.string().optional(),
  description: z.string().optional(),
});

const migrateSchema = z.strictObject({ target: z.string() });

export interface RequestCounters {
  total: number;
  byRoute: Record<string, number>;
}

export interface ControlDependencies {
  readonly cluster: () => Cluster;
  readonly faults: FaultInjector;
  readonly timing: TaskTiming;
  readonly counters: RequestCounters;
  reset(): Promise<void>;
}

class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function jsonBody(req: IncomingMessage): Promise<unknown> {
  const body = await readBody(req);
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new ControlError(400, 'body is not valid JSON');
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new ControlError(400, result.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; '));
  return result.data;
}

function vmView(vm: VmRecord): Record<string, unknown> {
  return {
    vmid: vm.vmid,
    node: vm.node,
    name: vm.config.name ?? `VM ${vm.vmid}`,
    status: vm.status,
    template: vm.config.template === '1',
    ...(vm.config.lock ? { lock: vm.config.lock } : {}),
    ...(vm.config.tags !== undefined ? { tags: vm.config.tags } : {}),
    ...(vm.config.description !== undefined ? { description: vm.config.description } : {}),
    config: { ...vm.config },
    digest: configDigest(vm),
    snapshots: vm.snapshots.map(({ name, description, snaptime, vmstate, parent }) => ({ name, description, snaptime, vmstate, ...(parent ? { parent } : {}) })),
  };
}

function stateView(cluster: Cluster): unknown {
  const nodes: Record<string, unknown> = {};
  for (const node of cluster.data.nodes) {
    nodes[node] = {
      vms: cluster.data.vms.filter((vm) => vm.node === node).sort((a, b) => a.vmid - b.vmid).map(vmView),
      storages: cluster.data.storages.map((storage) => ({
        storage: storage.storage,
        type: storage.type,
        content: storage.content,
        shared: storage.shared,
        volumes: cluster.volumesOn(node, storage.storage).map((volume) => ({ volid: volume.volid, content: volume.content, size: volume.sizeBytes, ...(volume.vmid !== undefined ? { vmid: volume.vmid } : {}) })),
      })),
    };
  }
  const tasks = cluster.tasks.all().map(({ log, ...task }) => ({ ...task, lines: log.length }));
  return { nodes, tasks, storageLocks: cluster.tasks.lockHolders() };
}

function createVmDirectly(cluster: Cluster, input: z.infer<typeof createVmSchema>): VmRecord {
  if (!cluster.data.nodes.includes(input.node)) throw new ControlError(400, `unknown node '${input.node}'`);
  if (cluster.findVm(input.vmid)) throw new ControlError(409, `VM ${input.vmid} already exists`);
  const disk = cluster.allocateDisk(input.node, 'local-lvm', input.vmid, 8 * 1024 ** 3, input.template ? 'base' : 'vm');
  const vm: VmRecord = {
    vmid: input.vmid,
    node: input.node,
    config: {
      name: input.name,
      memory: '1024',
      sockets: '1',
      cores: '1',
      ostype: 'l26',
      scsihw: 'virtio-scsi-single',
      scsi0: `${disk.volid},size=8G`,
      net0: `virtio=${randomMac()},bridge=vmbr0`,
      boot: 'order=scsi0;net0',
      ...(input.tags !== undefined ? { tags: input.tags } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.template ? { template: '1' } : {}),
    },
    status: 'stopped',
    paused: false,
    snapshots: [],
  };
  if (input.status === 'running' && !input.template) markRunning(vm);
  cluster.data.vms.push(vm);
  return vm;
}

function migrateVm(cluster: Cluster, vmid: number, target: string): VmRecord {
  const vm = cluster.findVm(vmid);
  if (!vm) throw new ControlError(404, `VM ${vmid} does not exist`);
  if (!cluster.data.nodes.includes(target)) throw new ControlError(400, `unknown node '${target}'`);
  // Local disks travel with the VM, as an HA migration copies them.
  for (const volume of cluster.data.volumes) if (volume.vmid === vmid && volume.node === vm.node) volume.node = target;
  vm.node = target;
  return vm;
}

export async function handleControlRequest(req: IncomingMessage, res: ServerResponse, url: URL, deps: ControlDependencies): Promise<void> {
  const path = url.pathname.slice(CONTROL_PREFIX.length).replace(/\/+$/, '');
  const method = req.method ?? 'GET';
  const cluster = deps.cluster();
  try {
    if (path === 'state' && method === 'GET') return sendJson(res, 200, stateView(cluster));
    if (path === 'reset' && method === 'POST') {
      await deps.reset();
      return sendJson(res, 200, { reset: true });
    }
    if (path === 'faults') {
      if (method === 'GET') return sendJson(res, 200, { faults: deps.faults.list() });
      if (method === 'DELETE') {
        deps.faults.clear();
        return sendJson(res, 200, { faults: [] });
      }
      if (method === 'POST') {
        const body = await jsonBody(req);
        try {
          return sendJson(res, 201, { id: deps.faults.add(body) });
        } catch (error) {
          throw new ControlError(400, error instanceof z.ZodError ? error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ') : String(error));
        }
      }
    }
    if (path === 'config') {
      if (method === 'PUT') {
        const update = parse(configSchema, await jsonBody(req));
        if (update.taskDurationMs !== undefined) deps.timing.taskDurationMs = update.taskDurationMs;
        if (update.fullCloneDurationMs !== undefined) deps.timing.fullCloneDurationMs = update.fullCloneDurationMs;
        if (update.storageLockTimeoutMs !== undefined) deps.timing.storageLockTimeoutMs = update.storageLockTimeoutMs;
        if (update.failTasks !== undefined) deps.timing.failTasks = { ...update.failTasks };
      }
      if (method === 'PUT' || method === 'GET') return sendJson(res, 200, { ...deps.timing });
    }
    if (path === 'requests') {
      if (method === 'GET') return sendJson(res, 200, deps.counters);
      if (method === 'DELETE') {
        deps.counters.total = 0;
        deps.counters.byRoute = {};
        return sendJson(res, 200, deps.counters);
      }
    }
    if (path === 'vms' && method === 'POST') return sendJson(res, 201, vmView(createVmDirectly(cluster, parse(createVmSchema, await jsonBody(req)))));
    const migrate = /^vms\/(\d+)\/migrate$/.exec(path);
    if (migrate && method === 'POST') {
      const { target } = parse(migrateSchema, await jsonBody(req));
      return sendJson(res, 200, vmView(migrateVm(cluster, Number(migrate[1]), target)));
    }
    throw new ControlError(404, `no control endpoint ${method} ${url.pathname}`);
  } catch (error) {
    const status = error instanceof ControlError ? error.status : 500;
    sendJson(res, status, { error: error instanceof Error ? error.message : String(error) });
  }
}
