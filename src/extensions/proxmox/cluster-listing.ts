import type { ProxmoxClient } from '../../clients/proxmox/client.ts';
import type { ClusterVmResource } from '../../clients/proxmox/types.ts';

/**
 * `create` reads the cluster's VM list (`/cluster/resources`) to find the template's node and to remove what
 * an earlier, interrupted `create` of the same instance left behind. That list grows with the cluster, so
 * fetching it for every deploy made deploy cost grow with the number of VMs. In-process invocations share a
 * recent list instead; it is only trusted where staleness is safe:
 * - a template missing from it is looked up again in a fresh list;
 * - leftovers of a previous process are in any list fetched after this process started, and leftovers of a
 *   `create` in this process can only exist after it failed, which drops the shared list.
 * Undo paths and every other action keep reading a fresh list.
 */
export const CLUSTER_LISTING_REUSE = { maxAgeMs: 500 } as const;

interface Entry {
  readonly sentAt: number;
  readonly rows: Promise<ClusterVmResource[]>;
}

export class ClusterListings {
  readonly #entries = new Map<string, Entry>();

  constructor(
    private readonly maxAgeMs: number = CLUSTER_LISTING_REUSE.maxAgeMs,
    private readonly now: () => number = Date.now,
  ) {}

  /** A list requested at most `maxAgeMs` ago with the same endpoint and credentials, or a new one. */
  recent(client: ProxmoxClient): Promise<ClusterVmResource[]> {
    const scope = client.scope;
    const entry = this.#entries.get(scope);
    // A shared read may fail for its own invocation's reasons (its deadline): then this one reads for itself.
    if (entry && this.now() - entry.sentAt <= this.maxAgeMs) return entry.rows.catch(() => client.clusterVms());
    const rows = client.clusterVms();
    const fresh: Entry = { sentAt: this.now(), rows };
    this.#entries.set(scope, fresh);
    // A failed request is not kept for others. (The map holds one entry per endpoint and credentials in use.)
    rows.catch(() => {
      if (this.#entries.get(scope) === fresh) this.#entries.delete(scope);
    });
    return rows;
  }

  /** Forgets the shared list of this endpoint and credentials. */
  invalidate(client: ProxmoxClient): void {
    this.#entries.delete(client.scope);
  }
}
