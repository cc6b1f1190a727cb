import { sql, type Kysely } from 'kysely';
import type { StoreMigration } from './types.ts';

/**
 * Listing instances counts the live ones and skips to a page of them newest first (`order by id desc limit/offset`).
 * A partial index over the live rows, holding the state the default filter reads, lets both walk the index alone
 * (SQLite: covering index; PostgreSQL: index-only scan, backwards for the order) instead of every table row.
 * It is partial rather than on `(removed, id, state)` because PostgreSQL does not take `removed IS NULL` as
 * fixing the first column, so it could not use such an index for the order.
 */
export const instancesListingMigration: StoreMigration = {
  name: '0002-instances-listing',
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>) {
    await db.schema.createIndex('instances_listing').on('instances').columns(['id', 'state']).where(sql.ref('removed'), 'is', null).execute();
  },
};
