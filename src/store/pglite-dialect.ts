import type { PGlite } from '@electric-sql/pglite';
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import { SearchPathIntrospector } from './search-path-introspector.ts';

/**
 * A Kysely dialect for PGlite (PostgreSQL compiled to WASM, in-process). PGlite is one session, so the
 * driver hands out its single connection to one user at a time: a transaction holds it until commit or
 * rollback and everyone else queues (the same model as Kysely's SQLite driver).
 * Written here because the published PGlite dialects do not declare support for PGlite 0.5 (ADR 0060).
 */
export class PGliteDialect implements Dialect {
  readonly #database: PGlite;

  constructor(database: PGlite) {
    this.#database = database;
  }

  createAdapter() {
    return new PostgresAdapter();
  }

  createDriver(): Driver {
    return new PGliteDriver(this.#database);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  createIntrospector(db: Kysely<any>) {
    return new SearchPathIntrospector(db);
  }

  createQueryCompiler() {
    return new PostgresQueryCompiler();
  }
}

class PGliteConnection implements DatabaseConnection {
  readonly #database: PGlite;

  constructor(database: PGlite) {
    this.#database = database;
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.#database.query<R>(compiledQuery.sql, [...compiledQuery.parameters], { rowMode: 'object' });
    const command = (result as { command?: string }).command;
    const mutating = command === 'INSERT' || command === 'UPDATE' || command === 'DELETE' || command === 'MERGE';
    return {
      rows: result.rows,
      ...(mutating && result.affectedRows !== undefined ? { numAffectedRows: BigInt(result.affectedRows) } : {}),
    };
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('PGlite dialect does not support streaming');
  }
}

/**
 * The queue for PGlite's one session, per PGlite instance rather than per Kysely instance: several Kysely
 * instances on one PGlite (two orchestrator nodes in one test process) must not interleave a transaction.
 */
const sessionQueues = new WeakMap<PGlite, { tail: Promise<void> }>();

class PGliteDriver implements Driver {
  readonly #connection: PGliteConnection;
  readonly #queue: { tail: Promise<void> };
  #release: (() => void) | undefined;

  constructor(database: PGlite) {
    this.#connection = new PGliteConnection(database);
    let queue = sessionQueues.get(database);
    if (!queue) {
      queue = { tail: Promise.resolve() };
      sessionQueues.set(database, queue);
    }
    this.#queue = queue;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.#queue.tail;
    let release!: () => void;
    this.#queue.tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    this.#release = release;
    return this.#connection;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const level = settings.isolationLevel ? ` isolation level ${settings.isolationLevel}` : '';
    await connection.executeQuery(CompiledQuery.raw(`begin${level}`));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async releaseConnection(): Promise<void> {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }

  async destroy(): Promise<void> {}
}
