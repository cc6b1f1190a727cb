import { randomUUID } from 'node:crypto';
import { toCount } from '../store/database.ts';
import type { Caller } from './caller.ts';
import { isAdmin } from './caller.ts';
import type { ServiceContext } from './context.ts';
import type { EventsService, RecordEventInput } from './services.ts';
import type { AuditEvent, EventLevel, ListOptions, Page } from './types.ts';
import { applyPaging, keywordPattern } from './support/paging.ts';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Database, EventsTable } from '../store/schema.ts';
import type { Selectable } from 'kysely';

function toEvent(row: Selectable<EventsTable>): AuditEvent {
  return {
    id: row.uuid,
    type: row.type,
    level: row.level as EventLevel,
    state: 'Completed',
    description: row.description,
    outcome: row.outcome as AuditEvent['outcome'],
    accountId: row.account_uuid,
    accountName: row.account_name,
    domainId: row.domain_uuid,
    userId: row.user_uuid,
    userName: row.user_name,
    resourceType: row.resource_type,
    resourceId: row.resource_uuid,
    created: row.created,
  };
}

/** The audit trail: who did what to which object, and whether it worked. */
export class EventsServiceImpl implements EventsService {
  readonly #db: Kysely<Database>;
  readonly #nowIso: () => string;

  constructor(context: Pick<ServiceContext, 'db' | 'nowIso'>) {
    this.#db = context.db;
    this.#nowIso = context.nowIso;
  }

  async record(caller: Caller | null, input: RecordEventInput): Promise<AuditEvent> {
    const row = {
      uuid: randomUUID(),
      type: input.type,
      level: input.level ?? (input.outcome === 'failure' ? 'ERROR' : 'INFO'),
      description: input.description,
      outcome: input.outcome,
      account_uuid: caller?.accountId ?? null,
      account_name: caller?.accountName ?? null,
      domain_uuid: caller?.domainId ?? null,
      user_uuid: caller?.userId ?? null,
      user_name: caller?.userName ?? null,
      resource_type: input.resourceType ?? null,
      resource_uuid: input.resourceId ?? null,
      created: this.#nowIso(),
    };
    const inserted = await this.#db.insertInto('events').values(row).returningAll().executeTakeFirstOrThrow();
    return toEvent(inserted);
  }

  async list(
    caller: Caller,
    filter: ListOptions & { type?: string; level?: EventLevel; resourceId?: string; startDate?: string; endDate?: string } = {},
  ): Promise<Page<AuditEvent>> {
    let query = this.#db.selectFrom('events');
    if (!isAdmin(caller)) query = query.where('account_uuid', '=', caller.accountId);
    if (filter.type) query = query.where('type', '=', filter.type);
    if (filter.level) query = query.where('level', '=', filter.level);
    if (filter.resourceId) query = query.where('resource_uuid', '=', filter.resourceId);
    if (filter.startDate) query = query.where('created', '>=', filter.startDate);
    if (filter.endDate) query = query.where('created', '<=', filter.endDate);
    if (filter.keyword) query = query.where(sql`lower(description)`, 'like', keywordPattern(filter.keyword));
    const { count } = await query.select((eb) => eb.fn.countAll().as('count')).executeTakeFirstOrThrow();
    const rows = await applyPaging(query.selectAll().orderBy('id', 'desc'), filter).execute();
    return { items: rows.map(toEvent), count: toCount(count) };
  }
}
