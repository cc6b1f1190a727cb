import { initialMigration } from './0001-initial.ts';
import { instancesListingMigration } from './0002-instances-listing.ts';
import { nodesMigration } from './0003-nodes.ts';
import type { StoreMigration } from './types.ts';

/** Every migration, in order. The API helper appends its own (0050–0099) here. */
export const MIGRATIONS: readonly StoreMigration[] = [initialMigration, instancesListingMigration, nodesMigration];
