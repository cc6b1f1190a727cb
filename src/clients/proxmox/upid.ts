/**
 * UPIDs identify Proxmox tasks: `UPID:<node>:<pid>:<pstart>:<starttime>:<type>:<id>:<user>:`. The node is
 * where the task runs (and where its status must be read), which for a clone is the template's node.
 */
export interface TaskId {
  readonly upid: string;
  readonly node: string;
  readonly type: string;
  /** The object the task works on, e.g. the source VMID of a clone; may be empty. */
  readonly id: string;
}

const UPID_PATTERN = /^UPID:([a-zA-Z0-9][a-zA-Z0-9.-]*):[0-9A-Fa-f]{8}:[0-9A-Fa-f]{8,9}:[0-9A-Fa-f]{8}:([^:\s]+):([^:\s]*):([^:\s]+):$/;

export function parseUpid(upid: string): TaskId | undefined {
  const match = UPID_PATTERN.exec(upid);
  if (!match) return undefined;
  return { upid, node: match[1]!, type: match[2]!, id: match[3]! };
}

/** `qmclone of VM 9000` — how a task is named in messages. */
export function describeTask(task: TaskId): string {
  return task.id === '' ? task.type : `${task.type} of VM ${task.id}`;
}
