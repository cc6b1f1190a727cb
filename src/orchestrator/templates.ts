import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Database } from '../store/schema.ts';
import { canAccessOwner, OWNER_COLUMNS, ownerFieldsOf, ownerOf } from './access.ts';
import type { Caller } from './caller.ts';
import { isAdmin } from './caller.ts';
import type { ServiceContext } from './context.ts';
import { invalidParameter, notFound, permissionDenied } from './errors.ts';
import type { ExtensionsServiceImpl } from './extensions/service.ts';
import type { RegisterTemplateInput, TemplatesService } from './services.ts';
import { parseDetails, stringifyDetails } from './support/json.ts';
import { keywordPattern, pageOf } from './support/paging.ts';
import type { DetailMap, ListOptions, Page, Template } from './types.ts';

/** Templates for External instances: bound to an extension, never downloaded, immediately ready ([ETA]). */
export class TemplatesServiceImpl implements TemplatesService {
  readonly #context: ServiceContext;
  readonly #extensions: ExtensionsServiceImpl;

  constructor(context: ServiceContext, extensions: ExtensionsServiceImpl) {
    this.#context = context;
    this.#extensions = extensions;
  }

  get #db(): Kysely<Database> {
    return this.#context.db;
  }

  async registerTemplate(caller: Caller, input: RegisterTemplateInput): Promise<Template> {
    const name = input.name?.trim();
    if (!name) throw invalidParameter('Template name is required', 'name');
    if (input.hypervisor !== 'External') throw invalidParameter(`Unsupported hypervisor ${input.hypervisor}: only External is supported`, 'hypervisor');
    if (!input.url?.trim()) throw invalidParameter('url is required', 'url');
    if (!input.format?.trim()) throw invalidParameter('format is required', 'format');
    if (!input.extensionId) throw invalidParameter('extensionid is required for External templates', 'extensionid');
    if ((input.isFeatured || input.isPublic) && !isAdmin(caller)) throw permissionDenied('Only admins can register public or featured templates');
    const extension = await this.#extensions.extensionRowByUuid(input.extensionId);
    let zoneId: number | null = null;
    if (input.zoneId && input.zoneId !== '-1') {
      const zone = await this.#db.selectFrom('zones').select('id').where('uuid', '=', input.zoneId).where('removed', 'is', null).executeTakeFirst();
      if (!zone) throw notFound('zone', input.zoneId, 'zoneid');
      zoneId = zone.id;
    }
    const account = await this.#db.selectFrom('accounts').select('id').where('uuid', '=', caller.accountId).executeTakeFirstOrThrow();
    const row = await this.#db
      .insertInto('templates')
      .values({
        uuid: randomUUID(),
        name,
        display_text: input.displayText?.trim() || name,
        format: input.format.trim(),
        url: input.url.trim(),
        zone_id: zoneId,
        os_type_id: input.osTypeId ?? null,
        extension_id: extension.id,
        external_details: stringifyDetails(input.externalDetails ?? {}),
        details: stringifyDetails(input.details ?? {}),
        is_public: input.isPublic ? 1 : 0,
        is_featured: input.isFeatured ? 1 : 0,
        is_extractable: input.isExtractable ? 1 : 0,
        password_enabled: input.passwordEnabled ? 1 : 0,
        requires_hvm: input.requiresHvm === false ? 0 : 1,
        account_id: account.id,
        created: this.#context.nowIso(),
        removed: null,
      })
      .returning('uuid')
      .executeTakeFirstOrThrow();
    await this.#context.recordEvent(caller, { type: 'TEMPLATE.CREATE', description: `Registered template ${name}`, outcome: 'success', resourceType: 'Template', resourceId: row.uuid });
    return this.#get(caller, row.uuid);
  }

  async registerIso(caller: Caller, input: { name: string; hypervisor?: string }): Promise<never> {
    void caller;
    void input;
    throw invalidParameter("External hypervisor doesn't support ISO template", 'hypervisor');
  }

  async listTemplates(
    caller: Caller,
    filter: ListOptions & { id?: string; name?: string; zoneId?: string; extensionId?: string; templateFilter?: string } = {},
  ): Promise<Page<Template>> {
    let query = this.#db
      .selectFrom('templates as t')
      .innerJoin('extensions as e', 'e.id', 't.extension_id')
      .innerJoin('accounts as a', 'a.id', 't.account_id')
      .innerJoin('domains as d', 'd.id', 'a.domain_id')
      .leftJoin('zones as z', 'z.id', 't.zone_id')
      .selectAll('t')
      .select([
        'e.uuid as extension_uuid',
        'e.name as extension_name',
        ...OWNER_COLUMNS,
        'z.uuid as zone_uuid',
        'z.name as zone_name',
      ])
      .where('t.removed', 'is', null);
    if (filter.id) query = query.where('t.uuid', '=', filter.id);
    if (filter.name) query = query.where('t.name', '=', filter.name);
    if (filter.zoneId) query = query.where((eb) => eb.or([eb('z.uuid', '=', filter.zoneId ?? ''), eb('t.zone_id', 'is', null)]));
    if (filter.extensionId) query = query.where('e.uuid', '=', filter.extensionId);
    if (filter.keyword) query = query.where(sql`lower(t.name)`, 'like', keywordPattern(filter.keyword));
    const rows = await query.orderBy('t.id').execute();
    const which = filter.templateFilter ?? 'all';
    const visible = rows.filter((row) => {
      const own = row.account_uuid === caller.accountId;
      const accessible = row.is_public === 1 || canAccessOwner(caller, ownerOf(row));
      switch (which) {
        case 'self':
        case 'selfexecutable':
          return own;
        case 'featured':
          return row.is_featured === 1;
        case 'community':
          return row.is_public === 1 && row.is_featured === 0;
        case 'executable':
          return row.is_public === 1 || own;
        default:
          return accessible;
      }
    });
    return pageOf(
      visible.map(
        (row): Template => ({
          id: row.uuid,
          name: row.name,
          displayText: row.display_text,
          format: row.format,
          hypervisor: 'External',
          url: row.url,
          zoneId: row.zone_uuid,
          zoneName: row.zone_name,
          osTypeId: row.os_type_id,
          extensionId: row.extension_uuid,
          extensionName: row.extension_name,
          externalDetails: parseDetails(row.external_details),
          details: parseDetails(row.details),
          isPublic: row.is_public === 1,
          isFeatured: row.is_featured === 1,
          isExtractable: row.is_extractable === 1,
          passwordEnabled: row.password_enabled === 1,
          requiresHvm: row.requires_hvm === 1,
          isReady: true,
          status: 'Download Complete',
          templateType: 'USER',
          ...ownerFieldsOf(row),
          created: row.created,
        }),
      ),
      filter,
    );
  }

  async updateTemplate(caller: Caller, id: string, input: { name?: string; displayText?: string; externalDetails?: DetailMap }): Promise<Template> {
    const template = await this.#get(caller, id);
    if (!isAdmin(caller) && template.accountId !== caller.accountId) throw permissionDenied();
    const changes: { name?: string; display_text?: string; external_details?: string } = {};
    if (input.name?.trim()) changes.name = input.name.trim();
    if (input.displayText?.trim()) changes.display_text = input.displayText.trim();
    if (input.externalDetails !== undefined) changes.external_details = stringifyDetails(input.externalDetails);
    if (Object.keys(changes).length > 0) await this.#db.updateTable('templates').set(changes).where('uuid', '=', id).execute();
    return this.#get(caller, id);
  }

  async deleteTemplate(caller: Caller, id: string): Promise<void> {
    const template = await this.#get(caller, id);
    if (!isAdmin(caller) && template.accountId !== caller.accountId) throw permissionDenied();
    await this.#db.updateTable('templates').set({ removed: this.#context.nowIso() }).where('uuid', '=', id).execute();
    await this.#context.recordEvent(caller, { type: 'TEMPLATE.DELETE', description: `Deleted template ${template.name}`, outcome: 'success', resourceType: 'Template', resourceId: id });
  }

  async #get(caller: Caller, id: string): Promise<Template> {
    const template = (await this.listTemplates(caller, { id })).items[0];
    if (!template) throw notFound('template', id, 'id');
    return template;
  }
}

