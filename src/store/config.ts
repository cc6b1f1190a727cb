import type { PGlite } from '@electric-sql/pglite';

/**
 * Where the orchestrator keeps its state. `databaseConfigFromEnv` gives the default: PostgreSQL when
 * `EXTORCH_DATABASE_URL=postgres://…` is set, otherwise SQLite in `.extorch/extorch.db`.
 */
export type DatabaseConfig =
  | { readonly kind: 'sqlite'; readonly file: string }
  | { readonly kind: 'postgres'; readonly url: string; readonly schema?: string; readonly poolSize?: number }
  /**
   * In-process PostgreSQL (WASM); `dataDir` absent = in memory. An existing `instance` may be shared (tests
   * reopen the same in-memory database); it is then not closed by `close()`.
   */
  | { readonly kind: 'pglite'; readonly dataDir?: string; readonly instance?: PGlite; readonly schema?: string };

export const DEFAULT_SQLITE_FILE = '.extorch/extorch.db';

export function databaseConfigFromEnv(env: NodeJS.ProcessEnv = process.env): DatabaseConfig {
  const url = env.EXTORCH_DATABASE_URL?.trim();
  if (url && /^postgres(ql)?:\/\//i.test(url)) return { kind: 'postgres', url };
  return { kind: 'sqlite', file: env.EXTORCH_SQLITE_FILE?.trim() || DEFAULT_SQLITE_FILE };
}
