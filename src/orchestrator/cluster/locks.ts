import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.ts';
import { KeyedMutex } from '../support/concurrency.ts';
import type { NodeRegistry } from './nodes.ts';

/**
 * Serialises work per key (an instance, a network). `run` waits its turn (lifecycle jobs queue, as they always
 * did); `runIfIdle` gives up when anyone holds the key (power sync leaves busy instances to their operation).
 */
export interface KeyedLocks {
  run<T>(key: string, work: () => Promise<T>): Promise<T>;
  runIfIdle<T>(key: string, work: () => Promise<T>): Promise<T | undefined>;
  /** Held by this node (other nodes' holds are not known without a query). */
  isLocked(key: string): boolean;
}

/** One process (SQLite): an in-memory mutex is all it takes. */
export class LocalLocks implements KeyedLocks {
  readonly #mutex = new KeyedMutex();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    return this.#mutex.run(key, work);
  }

  async runIfIdle<T>(key: string, work: () => Promise<T>): Promise<T | undefined> {
    if (this.#mutex.isLocked(key)) return undefined;
    return this.#mutex.run(key, work);
  }

  isLocked(key: string): boolean {
    return this.#mutex.isLocked(key);
  }
}

export interface SharedLockTimings {
  /** First wait between attempts on a lock held by another node; doubles up to `maxPollMs`. */
  readonly pollMs: number;
  readonly maxPollMs: number;
}

/**
 * Several nodes on one database: the in-memory mutex orders this node's callers, and a row in `locks`
 * (`<scope>:<key>`) excludes the other nodes. The row is taken with one conditional upsert that succeeds only when nobody holds the lock,
 * this node holds it, or its holder is dead (no live heartbeat), so a crashed node never blocks an instance
 * for longer than its lease.
 */
export class SharedLocks implements KeyedLocks {
  readonly #mutex = new KeyedMutex();
  readonly #db: Kysely<Database>;
  readonly #node: NodeRegistry;
  readonly #nowIso: () => string;
  readonly #timings: SharedLockTimings;
  readonly #scope: string;

  constructor(scope: 'instance' | 'network', db: Kysely<Database>, node: NodeRegistry, nowIso: () => string, timings: SharedLockTimings) {
    this.#scope = scope;
    this.#db = db;
    this.#node = node;
    this.#nowIso = nowIso;
    this.#timings = timings;
  }

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    return this.#mutex.run(key, async () => {
      let pause = this.#timings.pollMs;
      while (!(await this.#tryAcquire(key))) {
        await new Promise((resolve) => setTimeout(resolve, pause));
        pause = Math.min(pause * 2, this.#timings.maxPollMs);
      }
      return this.#holding(key, work);
    });
  }

  async runIfIdle<T>(key: string, work: () => Promise<T>): Promise<T | undefined> {
    if (this.#mutex.isLocked(key)) return undefined;
    return this.#mutex.run(key, async () => ((await this.#tryAcquire(key)) ? this.#holding(key, work) : undefined));
  }

  isLocked(key: string): boolean {
    return this.#mutex.isLocked(key);
  }

  async #holding<T>(key: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } finally {
      // A failed release must not fail the operation: this node takes its own lock again next time, and other
      // nodes get it when this node's lease runs out.
      await this.#db
        .deleteFrom('locks')
        .where('name', '=', this.#lockName(key))
        .where('node_uuid', '=', this.#node.uuid)
        .execute()
        .catch(() => undefined);
    }
  }

  #lockName(key: string): string {
    return `${this.#scope}:${key}`;
  }

  async #tryAcquire(key: string): Promise<boolean> {
    const taken = await this.#db
      .insertInto('locks')
      .values({ name: this.#lockName(key), node_uuid: this.#node.uuid, acquired: this.#nowIso() })
      .onConflict((conflict) =>
        conflict
          .column('name')
          .doUpdateSet((eb) => ({ node_uuid: eb.ref('excluded.node_uuid'), acquired: eb.ref('excluded.acquired') }))
          .where((eb) => eb.or([eb('locks.node_uuid', '=', this.#node.uuid), eb('locks.node_uuid', 'not in', this.#node.liveOthers())])),
      )
      .returning('name')
      .executeTakeFirst();
    return taken !== undefined;
  }
}
