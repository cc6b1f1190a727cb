import { sql, type Kysely } from 'kysely';
import type { StoreMigration } from './types.ts';

/**
 * Listing instances counts the live ones and skips to a page of them newest first (`order by id desc limit/offset`),
 * for everyone (admin `listall`) or for one owner (users, `account`). Partial indexes over the live rows, holding
 * the state the default filter reads, let both be walked in the index alone (SQLite: covering index; PostgreSQL:
 * index-only scan, backwards for the order) instead of reading every table row and sorting.
 * - Partial rather than led by `removed`: PostgreSQL does not take `removed IS NULL` as fixing that column, so it
 *   could not use such an index for the order. `removed` (null in every entry) still ends them, because SQLite
 *   counts an index as covering only when it holds every column the query names.
 * - The owner index supersedes `instances_account (account_id, removed)`, dropped here: listing was its only user,
 *   and SQLite (without statistics) preferred it, then read every row of the owner for its state.
 */
export const instancesListingMigration: StoreMigration = {
  name: '0002-instances-listing',
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>) {
    await db.schema.createIndex('instances_listing').on('instances').columns(['id', 'state', 'removed']).where(sql.ref('removed'), 'is', null).execute();
    await db.schema.dropIndex('instances_account').execute();
    await db.schema.createIndex('instances_account_listing').on('instances').columns(['account_id', 'id', 'state', 'removed']).where(sql.ref('removed'), 'is', null).execute();
  },
};
