import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { Database } from '../../store/schema.ts';

/** A node as other nodes see it. */
export interface NodeInfo {
  readonly id: string;
  readonly name: string;
  readonly started: string;
  readonly heartbeat: string;
  readonly state: 'Up' | 'Down';
}

export interface NodeRegistryOptions {
  readonly name: string;
  /** How long a heartbeat keeps a node alive. */
  readonly leaseMs: number;
  /**
   * True on SQLite: one process by design, so every other node row is a previous process and dead at once
   * (a restart resumes its jobs without waiting for a lease to run out).
   */
  readonly exclusive: boolean;
}

/** Rows of nodes long gone are pruned at start; their jobs then count as unowned (= a dead node's). */
const PRUNE_AFTER_MS = 7 * 24 * 3600_000;

/**
 * This process's row in the node table (ADR 0064). A node is live while its heartbeat is younger than the lease
 * and it has not stopped. Rows with this node's name and another id are its own previous processes: a name is
 * one process at a time, so they are dead whatever their heartbeat says (a crash and a quick restart).
 */
export class NodeRegistry {
  readonly uuid = randomUUID();
  readonly name: string;
  readonly #db: Kysely<Database>;
  readonly #clock: () => number;
  readonly #options: NodeRegistryOptions;

  constructor(db: Kysely<Database>, clock: () => number, options: NodeRegistryOptions) {
    this.#db = db;
    this.#clock = clock;
    this.#options = options;
    this.name = options.name;
  }

  get exclusive(): boolean {
    return this.#options.exclusive;
  }

  #iso(offsetMs = 0): string {
    return new Date(this.#clock() + offsetMs).toISOString();
  }

  async register(): Promise<void> {
    const now = this.#iso();
    await this.#db.deleteFrom('nodes').where('heartbeat', '<', this.#iso(-PRUNE_AFTER_MS)).execute();
    await this.#db.insertInto('nodes').values({ uuid: this.uuid, name: this.name, started: now, heartbeat: now, stopped: null }).execute();
  }

  /** Refreshes the lease; a node declared dead meanwhile comes back (its jobs are gone to others already). */
  async heartbeat(): Promise<void> {
    await this.#db.updateTable('nodes').set({ heartbeat: this.#iso(), stopped: null }).where('uuid', '=', this.uuid).execute();
  }

  /** A clean stop: other nodes take over this node's hosts at once instead of after the lease. */
  async stop(): Promise<void> {
    await this.#db.updateTable('nodes').set({ stopped: this.#iso() }).where('uuid', '=', this.uuid).execute();
  }

  /** Marks nodes whose lease ran out as stopped; returns their ids (what was theirs needs a new owner). */
  async markDead(): Promise<string[]> {
    let query = this.#db.updateTable('nodes').set({ stopped: this.#iso() }).where('stopped', 'is', null).where('uuid', '<>', this.uuid);
    if (!this.#options.exclusive) {
      const cutoff = this.#iso(-this.#options.leaseMs);
      query = query.where((eb) => eb.or([eb('heartbeat', '<', cutoff), eb('name', '=', this.name)]));
    }
    const rows = await query.returning('uuid').execute();
    return rows.map((row) => row.uuid);
  }

  /**
   * The ids of the live nodes other than this one, as a subquery, so that "owned by a dead node" is decided by
   * the database in the same statement that takes the job or the lock over (never from a stale list).
   */
  liveOthers(): SelectQueryBuilder<Database, 'nodes', { uuid: string }> {
    const query = this.#db.selectFrom('nodes').select('uuid').where('uuid', '<>', this.uuid);
    if (this.#options.exclusive) return query.where(sql<boolean>`1 = 0`);
    return query.where('stopped', 'is', null).where('heartbeat', '>=', this.#iso(-this.#options.leaseMs)).where('name', '<>', this.name);
  }

  /** Live nodes in start order, this one included (when its own lease holds). */
  async liveNodes(): Promise<string[]> {
    if (this.#options.exclusive) return [this.uuid];
    const rows = await this.#db
      .selectFrom('nodes')
      .select('uuid')
      .where('stopped', 'is', null)
      .where('heartbeat', '>=', this.#iso(-this.#options.leaseMs))
      .where((eb) => eb.or([eb('name', '<>', this.name), eb('uuid', '=', this.uuid)]))
      .orderBy('id')
      .execute();
    return rows.map((row) => row.uuid);
  }

  async list(): Promise<NodeInfo[]> {
    const cutoff = this.#iso(-this.#options.leaseMs);
    const rows = await this.#db.selectFrom('nodes').selectAll().orderBy('id').execute();
    return rows.map((row) => ({
      id: row.uuid,
      name: row.name,
      started: row.started,
      heartbeat: row.heartbeat,
      state: row.stopped === null && (row.uuid === this.uuid || (!this.#options.exclusive && row.heartbeat >= cutoff)) ? 'Up' : 'Down',
    }));
  }

  /**
   * Which hosts this node sweeps (power sync, health checks): host ids are dealt round-robin over the live
   * nodes in start order, so each host has exactly one sweeper while membership is stable, and a dead node's
   * hosts go to the survivors at their next sweep.
   */
  async hostShare(): Promise<(hostId: number) => boolean> {
    const live = await this.liveNodes();
    const index = live.indexOf(this.uuid);
    if (index < 0) return () => false;
    return (hostId) => hostId % live.length === index;
  }
}
