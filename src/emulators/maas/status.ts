/** MAAS node statuses (`NODE_STATUS` and `NODE_STATUS_CHOICES` in MAAS's enum module). */
export const NodeStatus = {
  NEW: 0,
  COMMISSIONING: 1,
  FAILED_COMMISSIONING: 2,
  MISSING: 3,
  READY: 4,
  RESERVED: 5,
  DEPLOYED: 6,
  RETIRED: 7,
  BROKEN: 8,
  DEPLOYING: 9,
  ALLOCATED: 10,
  FAILED_DEPLOYMENT: 11,
  RELEASING: 12,
  FAILED_RELEASING: 13,
  DISK_ERASING: 14,
  FAILED_DISK_ERASING: 15,
  RESCUE_MODE: 16,
  ENTERING_RESCUE_MODE: 17,
  FAILED_ENTERING_RESCUE_MODE: 18,
  EXITING_RESCUE_MODE: 19,
  FAILED_EXITING_RESCUE_MODE: 20,
  TESTING: 21,
  FAILED_TESTING: 22,
} as const;

export type NodeStatusCode = (typeof NodeStatus)[keyof typeof NodeStatus];

const STATUS_NAMES: Readonly<Record<number, string>> = {
  0: 'New',
  1: 'Commissioning',
  2: 'Failed commissioning',
  3: 'Missing',
  4: 'Ready',
  5: 'Reserved',
  6: 'Deployed',
  7: 'Retired',
  8: 'Broken',
  9: 'Deploying',
  10: 'Allocated',
  11: 'Failed deployment',
  12: 'Releasing',
  13: 'Releasing failed',
  14: 'Disk erasing',
  15: 'Failed disk erasing',
  16: 'Rescue mode',
  17: 'Entering rescue mode',
  18: 'Failed to enter rescue mode',
  19: 'Exiting rescue mode',
  20: 'Failed to exit rescue mode',
  21: 'Testing',
  22: 'Failed testing',
};

export function statusName(status: number): string {
  return STATUS_NAMES[status] ?? 'Unknown';
}

/**
 * Resolves a `status` filter of `GET machines/`: the status name in any case with spaces or underscores
 * (`ready`, `failed_deployment`, `Failed deployment`) or its numeric code.
 */
export function parseStatusFilter(value: string): number | undefined {
  if (/^\d+$/.test(value)) return STATUS_NAMES[Number(value)] === undefined ? undefined : Number(value);
  const wanted = value.trim().toLowerCase().replace(/[_-]+/g, ' ');
  const match = Object.entries(STATUS_NAMES).find(([, name]) => name.toLowerCase() === wanted);
  return match ? Number(match[0]) : undefined;
}

/** The subset of MAAS's `NODE_TRANSITIONS` the emulator drives; a move outside it is an emulator bug. */
const TRANSITIONS: Readonly<Record<number, readonly number[]>> = {
  [NodeStatus.READY]: [NodeStatus.ALLOCATED, NodeStatus.RESERVED, NodeStatus.COMMISSIONING, NodeStatus.TESTING, NodeStatus.BROKEN, NodeStatus.MISSING, NodeStatus.RETIRED],
  [NodeStatus.ALLOCATED]: [NodeStatus.DEPLOYING, NodeStatus.READY, NodeStatus.RELEASING, NodeStatus.DISK_ERASING, NodeStatus.BROKEN, NodeStatus.MISSING],
  [NodeStatus.DEPLOYING]: [NodeStatus.DEPLOYED, NodeStatus.FAILED_DEPLOYMENT, NodeStatus.ALLOCATED, NodeStatus.READY, NodeStatus.RELEASING, NodeStatus.DISK_ERASING, NodeStatus.BROKEN, NodeStatus.MISSING],
  [NodeStatus.DEPLOYED]: [NodeStatus.RELEASING, NodeStatus.DISK_ERASING, NodeStatus.READY, NodeStatus.BROKEN, NodeStatus.MISSING, NodeStatus.ENTERING_RESCUE_MODE],
  [NodeStatus.FAILED_DEPLOYMENT]: [NodeStatus.ALLOCATED, NodeStatus.READY, NodeStatus.RELEASING, NodeStatus.DISK_ERASING, NodeStatus.TESTING, NodeStatus.BROKEN, NodeStatus.MISSING],
  [NodeStatus.RELEASING]: [NodeStatus.READY, NodeStatus.FAILED_RELEASING, NodeStatus.DISK_ERASING, NodeStatus.BROKEN, NodeStatus.MISSING],
  [NodeStatus.DISK_ERASING]: [NodeStatus.READY, NodeStatus.FAILED_DISK_ERASING, NodeStatus.ALLOCATED, NodeStatus.BROKEN, NodeStatus.MISSING],
  [NodeStatus.FAILED_DISK_ERASING]: [NodeStatus.DISK_ERASING, NodeStatus.READY, NodeStatus.RELEASING, NodeStatus.BROKEN],
  [NodeStatus.FAILED_RELEASING]: [NodeStatus.RELEASING, NodeStatus.READY, NodeStatus.BROKEN],
  [NodeStatus.BROKEN]: [NodeStatus.READY, NodeStatus.COMMISSIONING],
};

export function canTransition(from: number, to: number): boolean {
  return TRANSITIONS[from]?.includes(to) ?? false;
}
