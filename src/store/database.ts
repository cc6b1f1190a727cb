import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql, type Migration, type MigrationProvider, type SqliteDatabase, type Logger } from 'kysely';
import pg from 'pg';
import type { DatabaseConfig } from './config.ts';
import { MIGRATIONS } from './migrations/index.ts';
import type { StoreDialect, StoreMigration } from './migrations/types.ts';
import { PGliteDialect } from './pglite-dialect.ts';
import { SearchPathPostgresDialect } from './search-path-introspector.ts';
import type { Database } from './schema.ts';

export interface OpenedDatabase {
  readonly db: Kysely<Database>;
  readonly dialect: StoreDialect;
  close(): Promise<void>;
}

/** Tuning of the SQLite connection: WAL for concurrent readers, a busy timeout instead of instant errors. */
const SQLITE_PRAGMAS = ['journal_mode = WAL', 'synchronous = NORMAL', 'busy_timeout = 5000', 'foreign_keys = ON'] as const;
const DEFAULT_POSTGRES_POOL_SIZE = 10;

/** Schema names become SQL identifiers: allow only plain ones. */
function checkedSchemaName(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`Invalid database schema name: ${schema}`);
  return schema;
}

class CodeMigrationProvider implements MigrationProvider {
  readonly #migrations: readonly StoreMigration[];
  readonly #dialect: StoreDialect;

  constructor(migrations: readonly StoreMigration[], dialect: StoreDialect) {
    this.#migrations = migrations;
    this.#dialect = dialect;
  }

  async getMigrations(): Promise<Record<string, Migration>> {
    const dialect = this.#dialect;
    return Object.fromEntries(this.#migrations.map((migration) => [migration.name, { up: (db) => migration.up(db, dialect) }]));
  }
}

async function migrate(db: Kysely<Database>, dialect: StoreDialect, schema: string | undefined): Promise<void> {
  // With a schema, Kysely's bookkeeping tables are qualified; the dialects' introspector only sees the search path.
  const migrator = new Migrator({
    db,
    provider: new CodeMigrationProvider(MIGRATIONS, dialect),
    ...(schema ? { migrationTableSchema: checkedSchemaName(schema) } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((result) => result.status === 'Error');
    const cause = error instanceof Error ? error.message : String(error);
    throw new Error(`Database migration ${failed?.migrationName ?? ''} failed: ${cause}`);
  }
}

async function openSqlite(file: string): Promise<OpenedDatabase> {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const connection = new BetterSqlite3(file);
  for (const pragma of SQLITE_PRAGMAS) connection.pragma(pragma);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(connection) }), log: slowQueryLog() });
  return { db, dialect: 'sqlite', close: () => db.destroy() };
}

/** `EXTORCH_SLOW_QUERY_MS=<n>` prints queries slower than n ms to stderr (diagnostics for benchmarks). */
function slowQueryLog(): Logger | undefined {
  const threshold = Number(process.env.EXTORCH_SLOW_QUERY_MS);
  if (!Number.isFinite(threshold) || threshold <= 0) return undefined;
  return (event) => {
    if (event.queryDurationMillis >= threshold) process.stderr.write(`slow query ${event.queryDurationMillis.toFixed(1)} ms: ${event.query.sql}\n`);
  };
}

/** Prepared statements kept per SQL text; Kysely prepares every query anew, which dominated CPU time. */
const STATEMENT_CACHE_SIZE = 500;

function withStatementCache(connection: BetterSqlite3.Database): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => connection.close(),
    prepare(sql: string) {
      let statement = cache.get(sql);
      if (statement) {
        // Refresh recency (Map keeps insertion order).
        cache.delete(sql);
      } else {
        statement = connection.prepare(sql);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
      }
      cache.set(sql, statement);
      return statement as unknown as ReturnType<SqliteDatabase['prepare']>;
    },
  };
}

async function openPostgres(url: string, schema: string | undefined, poolSize: number | undefined): Promise<OpenedDatabase> {
  if (schema) {
    const setup = new pg.Client({ connectionString: url });
    await setup.connect();
    try {
      await setup.query(`create schema if not exists "${checkedSchemaName(schema)}"`);
    } finally {
      await setup.end();
    }
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize ?? DEFAULT_POSTGRES_POOL_SIZE,
    ...(schema ? { options: `-c search_path=${checkedSchemaName(schema)}` } : {}),
  });
  const db = new Kysely<Database>({ dialect: new SearchPathPostgresDialect({ pool }), log: slowQueryLog() });
  return { db, dialect: 'postgres', close: () => db.destroy() };
}

async function openPGlite(config: Extract<DatabaseConfig, { kind: 'pglite' }>): Promise<OpenedDatabase> {
  const owned = config.instance === undefined;
  if (config.dataDir) mkdirSync(config.dataDir, { recursive: true });
  const instance = config.instance ?? (await PGlite.create(config.dataDir ? { dataDir: config.dataDir } : {}));
  if (config.schema) {
    const schema = checkedSchemaName(config.schema);
    await instance.exec(`create schema if not exists "${schema}"; set search_path to "${schema}"`);
  }
  const db = new Kysely<Database>({ dialect: new PGliteDialect(instance) });
  return {
    db,
    dialect: 'postgres',
    async close() {
      await db.destroy();
      if (owned) await instance.close();
    },
  };
}

/** Opens the configured database and brings its schema up to date. */
export async function openDatabase(config: DatabaseConfig): Promise<OpenedDatabase> {
  const opened =
    config.kind === 'sqlite'
      ? await openSqlite(config.file)
      : config.kind === 'postgres'
        ? await openPostgres(config.url, config.schema, config.poolSize)
        : await openPGlite(config);
  try {
    await migrate(opened.db, opened.dialect, config.kind === 'sqlite' ? undefined : config.schema);
  } catch (error) {
    await opened.close();
    throw error;
  }
  return opened;
}

/** `count(*)` comes back as a number (SQLite) or a string (PostgreSQL bigint). */
export function toCount(value: unknown): number {
  return typeof value === 'bigint' ? Number(value) : Number(value ?? 0);
}

export { sql };
