import type { ApiContext, Route } from './api-types.ts';
import { BOOL, NODE, OPTIONAL_INT, OPTIONAL_STRING, OPTIONAL_VMID, ResultWithAttributes, flag, num, str } from './api-types.ts';
import { parameterError } from './errors.ts';
import type { TaskRecord } from './tasks.ts';
import { decodeUpid } from './tasks.ts';

// Task endpoints: the node's and the cluster's task lists, one task's status, log and index.

function taskRow(task: TaskRecord): Record<string, unknown> {
  return {
    upid: task.upid,
    node: task.node,
    pid: task.pid,
    pstart: task.pstart,
    starttime: task.starttime,
    type: task.type,
    id: task.id,
    user: task.user,
    ...(task.status === 'stopped' ? { endtime: task.endtime, status: task.exitstatus } : {}),
  };
}

function clusterTasks({ cluster }: ApiContext): unknown {
  return cluster.tasks
    .all()
    .slice(0, 200)
    .map((task) => ({ ...taskRow(task), saved: task.status === 'stopped' ? '1' : '0' }));
}

function nodeTasks({ cluster, params }: ApiContext): unknown {
  const node = str(params, 'node')!;
  cluster.requireNode(node);
  const source = str(params, 'source') ?? 'archive';
  const vmid = num(params, 'vmid');
  const typefilter = str(params, 'typefilter');
  const userfilter = str(params, 'userfilter');
  const errorsOnly = flag(params, 'errors') === true;
  const since = num(params, 'since');
  const until = num(params, 'until');
  const statusFilter = str(params, 'statusfilter')?.split(/[,;\s]+/).filter(Boolean);
  const matching = cluster.tasks.all().filter((task) => {
    if (task.node !== node) return false;
    if (source === 'archive' && task.status !== 'stopped') return false;
    if (source === 'active' && task.status !== 'running') return false;
    if (vmid !== undefined && task.id !== String(vmid)) return false;
    if (typefilter && task.type !== typefilter) return false;
    if (userfilter && !task.user.includes(userfilter)) return false;
    if (errorsOnly && (task.status !== 'stopped' || task.exitstatus === 'OK')) return false;
    if (since !== undefined && task.starttime < since) return false;
    if (until !== undefined && task.starttime > until) return false;
    if (statusFilter && statusFilter.length > 0) {
      const kind = task.status === 'running' ? 'active' : task.exitstatus === 'OK' ? 'ok' : task.exitstatus?.startsWith('WARNINGS') ? 'warning' : 'error';
      if (!statusFilter.includes(kind)) return false;
    }
    return true;
  });
  const start = num(params, 'start') ?? 0;
  const limit = num(params, 'limit') ?? 50;
  return new ResultWithAttributes(matching.slice(start, start + limit).map(taskRow), { total: matching.length });
}

function findTask({ cluster, params }: ApiContext): TaskRecord {
  const node = str(params, 'node')!;
  cluster.requireNode(node);
  const upid = str(params, 'upid')!;
  const decoded = decodeUpid(upid);
  if (!decoded) throw parameterError({ upid: 'unable to parse worker upid' });
  const task = cluster.tasks.find(upid);
  if (!task || task.node !== node) throw parameterError({ upid: 'no such task' });
  return task;
}

function taskStatus(context: ApiContext): unknown {
  const task = findTask(context);
  const [user, tokenid] = task.user.split('!');
  return {
    upid: task.upid,
    node: task.node,
    pid: task.pid,
    pstart: task.pstart,
    starttime: task.starttime,
    type: task.type,
    id: task.id,
    user,
    ...(tokenid ? { tokenid } : {}),
    status: task.status,
    ...(task.status === 'stopped' ? { exitstatus: task.exitstatus } : {}),
  };
}

function taskLog(context: ApiContext): unknown {
  const task = findTask(context);
  const start = num(context.params, 'start') ?? 0;
  const limit = num(context.params, 'limit') ?? 50;
  const lines = task.log.length > 0 ? task.log : ['no content'];
  const page = lines.slice(start, start + limit).map((text, index) => ({ n: start + index + 1, t: text }));
  return new ResultWithAttributes(page, { total: lines.length });
}

/** Stopping a task kills its worker: it ends with `interrupted by signal` and undoes what it started. */
function stopTask(context: ApiContext): unknown {
  const task = findTask(context);
  context.cluster.tasks.stop(task.upid);
  return null;
}

function taskIndex(context: ApiContext): unknown {
  findTask(context);
  return [{ name: 'log' }, { name: 'status' }];
}
const TASK_PATH = { node: NODE, upid: { type: 'string' as const } };

export const taskRoutes: Route[] = [
  { method: 'GET', path: '/cluster/tasks', params: {}, handler: clusterTasks },
  {
    method: 'GET',
    path: '/nodes/{node}/tasks',
    params: {
      node: NODE,
      errors: BOOL,
      limit: OPTIONAL_INT(0),
      start: OPTIONAL_INT(0),
      since: OPTIONAL_INT(),
      until: OPTIONAL_INT(),
      source: { type: 'string', optional: true, enum: ['archive', 'active', 'all'] },
      statusfilter: OPTIONAL_STRING,
      typefilter: OPTIONAL_STRING,
      userfilter: OPTIONAL_STRING,
      vmid: OPTIONAL_VMID,
    },
    handler: nodeTasks,
  },
  { method: 'GET', path: '/nodes/{node}/tasks/{upid}', params: TASK_PATH, handler: taskIndex },
  { method: 'DELETE', path: '/nodes/{node}/tasks/{upid}', params: TASK_PATH, handler: stopTask },
  { method: 'GET', path: '/nodes/{node}/tasks/{upid}/status', params: TASK_PATH, handler: taskStatus },
  { method: 'GET', path: '/nodes/{node}/tasks/{upid}/log', params: { ...TASK_PATH, start: OPTIONAL_INT(0), limit: OPTIONAL_INT(0), download: BOOL }, handler: taskLog },
];
