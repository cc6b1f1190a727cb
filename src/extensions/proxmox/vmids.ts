import type { ProxmoxClient } from '../../clients/proxmox/client.ts';

/**
 * VMID allocation. Proxmox reserves nothing: `/cluster/nextid` answers the lowest unused id until a VM with it
 * exists, so concurrent creators are all handed the same id and all but one of their clones fail. Invocations
 * that share a process (the orchestrator running the extension in-process) therefore hold the ids they hand
 * out, and the next allocation skips them; creators in other processes are still caught by the structural
 * collision check in `create` and re-allocate.
 */

/** How long a handed-out id stays held when nothing releases it (a `prepare` whose `create` never came). */
export const VMID_HOLD = { ms: 10 * 60_000 } as const;

/**
 * The ids handed out by this process and not yet known to exist in Proxmox. One set for every endpoint on
 * purpose: the nodes of one cluster may be reached through different URLs, and skipping an id on an unrelated
 * cluster costs nothing but a gap.
 */
export class VmidReservations {
  readonly #expiries = new Map<number, number>();

  constructor(
    private readonly holdMs: number = VMID_HOLD.ms,
    private readonly now: () => number = Date.now,
  ) {}

  isHeld(vmid: number): boolean {
    const expiry = this.#expiries.get(vmid);
    if (expiry === undefined) return false;
    if (expiry > this.now()) return true;
    this.#expiries.delete(vmid);
    return false;
  }

  hold(vmid: number): void {
    this.#expiries.set(vmid, this.now() + this.holdMs);
  }

  release(vmid: number): void {
    this.#expiries.delete(vmid);
  }

  get size(): number {
    return this.#expiries.size;
  }
}

/**
 * An id for a new VM, held for this invocation: the lowest unused one unless this process already handed it
 * out (or it is in `taken`); then the next ids are asked one by one with `nextid?vmid=`, which Proxmox answers
 * structurally, so an id above the lowest unused one is only handed out when Proxmox confirms it is free too.
 */
export async function allocateVmid(client: ProxmoxClient, reservations: VmidReservations, taken: ReadonlySet<number> = new Set()): Promise<number> {
  const lowest = await client.nextId();
  for (let candidate = lowest; ; candidate += 1) {
    if (reservations.isHeld(candidate) || taken.has(candidate)) continue;
    // Held before the probe's await, so that allocations running meanwhile skip it.
    reservations.hold(candidate);
    let free = candidate === lowest;
    try {
      free ||= await client.isVmidFree(candidate);
    } finally {
      if (!free) reservations.release(candidate);
    }
    if (free) return candidate;
  }
}
