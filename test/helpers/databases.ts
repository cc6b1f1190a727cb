import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { DatabaseConfig } from '../../src/store/config.ts';

/**
 * The databases every store/orchestrator test runs on: SQLite (a real file), PGlite (in-process
 * PostgreSQL) and, when `EXTORCH_TEST_DATABASE_URL` is set, a real PostgreSQL server. Each test gets its
 * own file / instance / schema, so parallel test files never collide.
 */
export interface TestDatabase {
  readonly name: 'sqlite' | 'pglite' | 'postgres';
  /** A fresh, empty database. `config` can be opened several times (restart tests); `dispose` removes it. */
  create(): Promise<{ config: DatabaseConfig; dispose(): Promise<void> }>;
}

const sqlite: TestDatabase = {
  name: 'sqlite',
  async create() {
    const dir = await mkdtemp(join(tmpdir(), 'extorch-db-'));
    return { config: { kind: 'sqlite', file: join(dir, 'extorch.db') }, dispose: () => rm(dir, { recursive: true, force: true }) };
  },
};

// Starting PGlite costs seconds (WASM): one instance per test process, one schema per test.
let sharedPGlite: Promise<PGlite> | undefined;

const pglite: TestDatabase = {
  name: 'pglite',
  async create() {
    sharedPGlite ??= PGlite.create();
    const instance = await sharedPGlite;
    const schema = `t_${randomUUID().replaceAll('-', '').slice(0, 20)}`;
    return {
      config: { kind: 'pglite', instance, schema },
      async dispose() {
        await instance.exec(`drop schema if exists "${schema}" cascade; set search_path to public`);
      },
    };
  },
};

function postgres(url: string): TestDatabase {
  return {
    name: 'postgres',
    async create() {
      const schema = `t_${randomUUID().replaceAll('-', '').slice(0, 20)}`;
      return {
        config: { kind: 'postgres', url, schema, poolSize: 4 },
        async dispose() {
          const client = new pg.Client({ connectionString: url });
          await client.connect();
          try {
            await client.query(`drop schema if exists "${schema}" cascade`);
          } finally {
            await client.end();
          }
        },
      };
    },
  };
}

export function testDatabases(): TestDatabase[] {
  const url = process.env.EXTORCH_TEST_DATABASE_URL?.trim();
  return [sqlite, pglite, ...(url ? [postgres(url)] : [])];
}
