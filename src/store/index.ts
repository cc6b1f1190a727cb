export { openDatabase, toCount } from './database.ts';
export type { OpenedDatabase } from './database.ts';
export { databaseConfigFromEnv, DEFAULT_SQLITE_FILE } from './config.ts';
export type { DatabaseConfig } from './config.ts';
export type { Database } from './schema.ts';
export type { StoreMigration, StoreDialect } from './migrations/types.ts';
