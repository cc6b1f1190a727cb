import type { Kysely } from 'kysely';

export type StoreDialect = 'sqlite' | 'postgres';

/**
 * A migration written in code. It receives the dialect only for the few column types that differ
 * (auto-increment ids); everything else uses portable types. Numbers 0001–0049 are the orchestrator's,
 * 0050–0099 the API's; names sort in that order.
 */
export interface StoreMigration {
  readonly name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  up(db: Kysely<any>, dialect: StoreDialect): Promise<void>;
}
