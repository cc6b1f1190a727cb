import { randomInt } from 'node:crypto';
import { TaskFailure } from './errors.ts';
import { nowSeconds } from './state.ts';

/**
 * UPID tasks: each asynchronous API call forks a "worker" that runs for a configurable time, writes log
 * lines and ends with `OK`, `WARNINGS: n` or an error text, like pve-manager's task machinery.
 */
export interface TaskRecord {
  upid: string;
  node: string;
  pid: number;
  pstart: number;
  starttime: number;
  type: string;
  id: string;
  user: string;
  status: 'running' | 'stopped';
  exitstatus?: string;
  endtime?: number;
  log: string[];
}

export interface TaskTiming {
  taskDurationMs: number;
  fullCloneDurationMs: number;
  storageLockTimeoutMs: number;
  /** Task type → error text every task of that type ends with. */
  failTasks: Record<string, string>;
}

export interface TaskContext {
  readonly timing: TaskTiming;
  log(line: string): void;
  /** Logs a warning; the task then ends with `WARNINGS: n` instead of `OK`. */
  warn(line: string): void;
  sleep(ms: number): Promise<void>;
  /** Holds a storage lock for the duration of `work`, waiting at most `storageLockTimeoutMs` for it. */
  withStorageLock<T>(lockKey: string, storage: string, work: () => Promise<T>): Promise<T>;
  /** Throws the injected failure text when `failTasks` names this task's type. */
  failIfInjected(): void;
}

export interface TaskSpec {
  node: string;
  type: string;
  id: string;
  user: string;
  /** The worker: throw `TaskFailure` (or anything) to end the task with that text. */
  work(context: TaskContext): Promise<void>;
  /** Undo after a failed worker (e.g. remove the half-created VM). */
  onFailure?(): void;
}

const MAX_KEPT_TASKS = 2000;

/** FIFO locks with a wait timeout, one per storage (per node for local storage, cluster-wide for shared). */
class StorageLocks {
  readonly #held = new Set<string>();
  readonly #waiters = new Map<string, Array<() => void>>();

  async acquire(key: string, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
    if (!this.#held.has(key)) {
      this.#held.add(key);
      return true;
    }
    return new Promise<boolean>((resolve) => {
      const queue = this.#waiters.get(key) ?? [];
      this.#waiters.set(key, queue);
      const grant = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      };
      const giveUp = () => {
        const index = queue.indexOf(grant);
        if (index >= 0) queue.splice(index, 1);
        signal.removeEventListener('abort', onAbort);
        resolve(false);
      };
      const onAbort = () => {
        clearTimeout(timer);
        giveUp();
      };
      const timer = setTimeout(giveUp, timeoutMs);
      signal.addEventListener('abort', onAbort, { once: true });
      queue.push(grant);
    });
  }

  release(key: string): void {
    const next = this.#waiters.get(key)?.shift();
    if (next) next();
    else this.#held.delete(key);
  }

  holders(): string[] {
    return [...this.#held];
  }
}

export class TaskEngine {
  readonly #tasks: TaskRecord[] = [];
  readonly #running = new Set<Promise<void>>();
  readonly #locks = new StorageLocks();
  #abort = new AbortController();
  /** One controller per running task, so a single task can be stopped (`DELETE …/tasks/{upid}`). */
  readonly #taskAborts = new Map<string, AbortController>();
  #nextPid = 0x1000 + randomInt(0x10000);
  readonly #pstart = 0x1000000 + randomInt(0xffffff);

  constructor(private readonly timing: () => TaskTiming) {}

  start(spec: TaskSpec): string {
    const pid = this.#nextPid++;
    const starttime = nowSeconds();
    const hex = (value: number, width: number) => value.toString(16).toUpperCase().padStart(width, '0');
    const upid = `UPID:${spec.node}:${hex(pid, 8)}:${hex(this.#pstart, 8)}:${hex(starttime, 8)}:${spec.type}:${spec.id}:${spec.user}:`;
    const task: TaskRecord = { upid, node: spec.node, pid, pstart: this.#pstart, starttime, type: spec.type, id: spec.id, user: spec.user, status: 'running', log: [] };
    this.#tasks.push(task);
    if (this.#tasks.length > MAX_KEPT_TASKS) {
      const removable = this.#tasks.findIndex((candidate) => candidate.status === 'stopped');
      if (removable >= 0) this.#tasks.splice(removable, 1);
    }
    const running = this.#run(task, spec).finally(() => this.#running.delete(running));
    this.#running.add(running);
    return upid;
  }

  async #run(task: TaskRecord, spec: TaskSpec): Promise<void> {
    let warnings = 0;
    const own = new AbortController();
    this.#taskAborts.set(task.upid, own);
    const signal = AbortSignal.any([this.#abort.signal, own.signal]);
    const timing = this.timing();
    const context: TaskContext = {
      timing,
      log: (line) => task.log.push(line),
      warn: (line) => {
        warnings += 1;
        task.log.push(`WARN: ${line}`);
      },
      sleep: (ms) => abortableSleep(ms, signal),
      withStorageLock: async (lockKey, storage, work) => {
        const granted = await this.#locks.acquire(lockKey, timing.storageLockTimeoutMs, signal);
        if (signal.aborted) throw new TaskFailure('interrupted by signal');
        if (!granted) throw new TaskFailure(`can't lock file '/var/lock/pve-manager/pve-storage-${storage}' - got timeout`);
        try {
          return await work();
        } finally {
          this.#locks.release(lockKey);
        }
      },
      failIfInjected: () => {
        const text = this.timing().failTasks[task.type];
        if (text !== undefined) throw new TaskFailure(text);
      },
    };
    let failure: string | undefined;
    try {
      await spec.work(context);
    } catch (error) {
      failure = (error instanceof Error ? error.message : String(error)).replace(/\n+$/, '') || 'unexpected status';
    }
    if (failure !== undefined) {
      try {
        spec.onFailure?.();
      } catch (undoError) {
        task.log.push(`cleanup failed: ${(undoError as Error).message}`);
      }
      task.log.push(`TASK ERROR: ${failure}`);
      task.exitstatus = failure;
    } else if (warnings > 0) {
      task.log.push(`TASK WARNINGS: ${warnings}`);
      task.exitstatus = `WARNINGS: ${warnings}`;
    } else {
      task.log.push('TASK OK');
      task.exitstatus = 'OK';
    }
    task.endtime = nowSeconds();
    task.status = 'stopped';
    this.#taskAborts.delete(task.upid);
  }

  /** Interrupts one running task (its undo step runs); false when it is not running. */
  stop(upid: string): boolean {
    const controller = this.#taskAborts.get(upid);
    if (!controller) return false;
    controller.abort();
    return true;
  }

  /** Waits until the task stops or `timeoutMs` passes; returns the task when it stopped. */
  async waitFor(upid: string, timeoutMs: number): Promise<TaskRecord | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const task = this.find(upid);
      if (!task || task.status === 'stopped') return task;
      if (Date.now() >= deadline) return undefined;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  find(upid: string): TaskRecord | undefined {
    return this.#tasks.find((task) => task.upid === upid);
  }

  /** Newest first. */
  all(): TaskRecord[] {
    return [...this.#tasks].reverse();
  }

  lockHolders(): string[] {
    return this.#locks.holders();
  }

  /** Interrupts every running task (their undo steps run) and waits for them to settle. */
  async stopAll(): Promise<void> {
    this.#abort.abort();
    await Promise.allSettled([...this.#running]);
    this.#abort = new AbortController();
  }

  clear(): void {
    this.#tasks.length = 0;
  }
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(new TaskFailure('interrupted by signal'));
  if (ms <= 0) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new TaskFailure('interrupted by signal'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Splits a UPID into its fields (Proxmox's `upid_decode`), or undefined when it does not parse. */
export function decodeUpid(upid: string): { node: string; type: string; id: string; user: string } | undefined {
  const match = /^UPID:([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8,9}):([0-9A-Fa-f]{8}):([^:\s]+):([^:\s]*):([^:\s]+):$/.exec(upid);
  if (!match) return undefined;
  return { node: match[1]!, type: match[6]!, id: match[7]!, user: match[8]! };
}
