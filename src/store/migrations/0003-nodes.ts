import type { Kysely } from 'kysely';
import type { StoreDialect, StoreMigration } from './types.ts';

/**
 * Several orchestrator nodes on one database (ADR 0064): the node registry with its heartbeats, the node that
 * owns each job, and the named locks that serialise work on one instance across nodes.
 */
export const nodesMigration: StoreMigration = {
  name: '0003-nodes',
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>, dialect: StoreDialect) {
    await db.schema
      .createTable('nodes')
      .addColumn('id', dialect === 'sqlite' ? 'integer' : 'serial', (c) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
      .addColumn('uuid', 'varchar(40)', (c) => c.notNull().unique())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('started', 'varchar(40)', (c) => c.notNull())
      .addColumn('heartbeat', 'varchar(40)', (c) => c.notNull())
      .addColumn('stopped', 'varchar(40)')
      .execute();
    // Jobs from before this migration have no owner: they count as a dead node's.
    await db.schema.alterTable('jobs').addColumn('node_uuid', 'varchar(40)').execute();
    await db.schema
      .createTable('locks')
      .addColumn('name', 'varchar(80)', (c) => c.primaryKey())
      .addColumn('node_uuid', 'varchar(40)', (c) => c.notNull())
      .addColumn('acquired', 'varchar(40)', (c) => c.notNull())
      .execute();
  },
};
