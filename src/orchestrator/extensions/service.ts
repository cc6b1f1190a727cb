import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Kysely, Selectable } from 'kysely';
import { sql } from 'kysely';
import type { CustomActionsTable, Database, ExtensionsTable } from '../../store/schema.ts';
import { requireAdmin } from '../access.ts';
import type { Caller } from '../caller.ts';
import { isAdmin } from '../caller.ts';
import type { ServiceContext } from '../context.ts';
import { conflict, invalidParameter, notFound, OrchestratorError } from '../errors.ts';
import type { JobsServiceImpl } from '../jobs.ts';
import type {
  AddCustomActionInput,
  CreateExtensionInput,
  CustomActionFilter,
  ExtensionsService,
  RunCustomActionInput,
  UpdateCustomActionInput,
  UpdateExtensionInput,
} from '../services.ts';
import { parseDetails, stringifyDetails } from '../support/json.ts';
import { keywordPattern, pageOf } from '../support/paging.ts';
import type { CustomAction, CustomActionParameter, CustomActionResult, DetailMap, ExtensionInfo, ExtensionResource, Job, ListOptions, Page, RoleType } from '../types.ts';
import { ROLE_MASKS, ROLE_TYPES } from '../types.ts';
import { parseParameterDefinitions, ParameterValueError, renderActionMessage, validateParameterValues } from './parameters.ts';
import { confinedPath, isExecutableFile, scaffoldEntryPoint, validatedRelativePath } from './paths.ts';
import type { EntryPoint, InvocationResult } from './runner.ts';
import { ALL_ROLES_MASK, BUILTIN_ACTION_TIMEOUT_SECONDS, SEEDED_EXTENSIONS } from './seeds.ts';

export const PREPARE_VM_DETAIL = 'orchestratorrequirespreparevm';
const ACTION_NAME_PATTERN = /^[a-zA-Z0-9 _-]+$/;
/** CloudStack's code default when `addCustomAction` omits `timeout` (the API text says 5). */
const DEFAULT_CUSTOM_ACTION_TIMEOUT_SECONDS = 3;
const GENERIC_RUN_ERROR = 'Internal error running action';

export type ExtensionRow = Selectable<ExtensionsTable>;
type ActionRow = Selectable<CustomActionsTable>;

/** What running a custom action needs from the instance lifecycle (payload, placement, invocation). */
export interface CustomActionExecutor {
  runCustomAction(
    caller: Caller,
    instanceUuid: string,
    action: { name: string; timeout: number; details: DetailMap },
    parameters: Record<string, unknown>,
  ): Promise<{ extension: ExtensionRow; instanceName: string; result: InvocationResult }>;
  /** The extension registered with the instance's (current or last) host's cluster, if any. */
  extensionOfInstance(caller: Caller, instanceUuid: string): Promise<ExtensionRow | null>;
}

function maskToRoles(mask: number): RoleType[] {
  return ROLE_TYPES.filter((role) => (mask & ROLE_MASKS[role]) !== 0);
}

function rolesToMask(roles: readonly string[]): number {
  let mask = 0;
  for (const role of roles) {
    const trimmed = role.trim();
    if (!ROLE_TYPES.includes(trimmed as RoleType)) throw invalidParameter(`Invalid role specified - ${trimmed}`, 'allowedroletypes');
    mask |= ROLE_MASKS[trimmed as RoleType];
  }
  return mask;
}

function checkedState(state: string | undefined, fallback: 'Enabled' | 'Disabled'): 'Enabled' | 'Disabled' {
  if (state === undefined || state === '') return fallback;
  if (state !== 'Enabled' && state !== 'Disabled') throw invalidParameter(`Invalid state specified - ${state}`, 'state');
  return state;
}

/** Extensions, their registrations with clusters, and custom actions (orchestrator.md §9–§12). */
export class ExtensionsServiceImpl implements ExtensionsService {
  readonly #context: ServiceContext;
  readonly #jobs: JobsServiceImpl;
  #executor: CustomActionExecutor | undefined;

  constructor(context: ServiceContext, jobs: JobsServiceImpl) {
    this.#context = context;
    this.#jobs = jobs;
  }

  setExecutor(executor: CustomActionExecutor): void {
    this.#executor = executor;
  }

  get #db(): Kysely<Database> {
    return this.#context.db;
  }

  /** Seeds the in-built extensions and their actions, idempotently by name. */
  async seed(): Promise<void> {
    const now = this.#context.nowIso();
    for (const seeded of SEEDED_EXTENSIONS) {
      let row = await this.#db.selectFrom('extensions').selectAll().where('name', '=', seeded.name).where('removed', 'is', null).executeTakeFirst();
      if (!row) {
        row = await this.#db
          .insertInto('extensions')
          .values({
            uuid: randomUUID(),
            name: seeded.name,
            description: seeded.description,
            type: 'Orchestrator',
            relative_path: seeded.relativePath,
            path_ready: 1,
            is_user_defined: 0,
            state: seeded.state,
            details: '{}',
            hidden_details: stringifyDetails(seeded.requiresPrepareVm ? { [PREPARE_VM_DETAIL]: 'true' } : {}),
            created: now,
            removed: null,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
      }
      for (const action of seeded.actions) {
        const existing = await this.#db
          .selectFrom('custom_actions')
          .select('id')
          .where('extension_id', '=', row.id)
          .where('name', '=', action.name)
          .where('removed', 'is', null)
          .executeTakeFirst();
        if (existing) continue;
        await this.#db
          .insertInto('custom_actions')
          .values({
            uuid: randomUUID(),
            name: action.name,
            description: action.description,
            extension_id: row.id,
            resource_type: 'VirtualMachine',
            allowed_role_types: ALL_ROLES_MASK,
            success_message: action.successMessage,
            error_message: action.errorMessage,
            enabled: 1,
            timeout: BUILTIN_ACTION_TIMEOUT_SECONDS,
            parameters: JSON.stringify(action.parameters),
            details: '{}',
            created: now,
            removed: null,
          })
          .execute();
      }
    }
  }

  /** How to reach an extension: in-process for in-built ones that were wired, else its executable. */
  entryPoint(row: ExtensionRow): EntryPoint {
    const builtin = row.is_user_defined === 0 ? this.#context.builtins[row.name as 'Proxmox' | 'HyperV' | 'MaaS'] : undefined;
    if (builtin) return { kind: 'in-process', extensionName: row.name, extension: builtin };
    return { kind: 'executable', extensionName: row.name, path: confinedPath(this.#context.extensionsRoot, row.relative_path) };
  }

  /** Whether the entry point exists and can run now (in-process, or an executable file). */
  async entryPointAvailable(row: ExtensionRow): Promise<boolean> {
    const entry = this.entryPoint(row);
    return entry.kind === 'in-process' || (await isExecutableFile(entry.path));
  }

  /**
   * CloudStack's periodic path-state check (single node): a user-defined extension's `pathready` follows whether
   * its entry point is an executable file now.
   */
  async refreshPathState(): Promise<void> {
    const rows = await this.#db.selectFrom('extensions').selectAll().where('removed', 'is', null).where('is_user_defined', '=', 1).execute();
    for (const row of rows) {
      let ready = false;
      try {
        ready = await isExecutableFile(confinedPath(this.#context.extensionsRoot, row.relative_path));
      } catch {
        ready = false;
      }
      if ((row.path_ready === 1) === ready) continue;
      await this.#db.updateTable('extensions').set({ path_ready: ready ? 1 : 0 }).where('id', '=', row.id).execute();
      await this.#context.recordEvent(null, {
        type: 'EXTENSION.PATH.STATE',
        description: ready ? `Path for ${row.name} is ready` : `Path for ${row.name} not ready`,
        outcome: ready ? 'success' : 'failure',
        level: ready ? 'INFO' : 'WARN',
        resourceType: 'Extension',
        resourceId: row.uuid,
      });
    }
  }

  /** Usable for placement, lifecycle and custom actions: Enabled and path ready ([ER], [ESP]). */
  isUsable(row: ExtensionRow): boolean {
    return row.state === 'Enabled' && row.path_ready === 1 && row.removed === null;
  }

  async extensionRow(id: number): Promise<ExtensionRow | undefined> {
    return this.#db.selectFrom('extensions').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async extensionRowByUuid(uuid: string, parameter = 'extensionid'): Promise<ExtensionRow> {
    const row = await this.#db.selectFrom('extensions').selectAll().where('uuid', '=', uuid).where('removed', 'is', null).executeTakeFirst();
    if (!row) throw notFound('extension', uuid, parameter);
    return row;
  }

  /** The extension registered with a cluster (by internal id). */
  async extensionOfCluster(clusterId: number): Promise<{ extension: ExtensionRow; registrationDetails: DetailMap } | null> {
    const mapping = await this.#db
      .selectFrom('extension_resource_map')
      .selectAll()
      .where('resource_id', '=', clusterId)
      .where('resource_type', '=', 'Cluster')
      .executeTakeFirst();
    if (!mapping) return null;
    const extension = await this.extensionRow(mapping.extension_id);
    if (!extension || extension.removed !== null) return null;
    return { extension, registrationDetails: parseDetails(mapping.details) };
  }

  /** Binds an extension to an External cluster (also used by `addCluster extensionid=`). */
  async registerWithCluster(extension: ExtensionRow, clusterUuid: string, details: DetailMap = {}): Promise<void> {
    const cluster = await this.#db.selectFrom('clusters').selectAll().where('uuid', '=', clusterUuid).where('removed', 'is', null).executeTakeFirst();
    if (!cluster) throw invalidParameter('Invalid cluster ID specified', 'resourceid');
    if (cluster.hypervisor !== 'External') throw invalidParameter(`Cluster ID: ${cluster.uuid} is not of External hypervisor type`, 'resourceid');
    const existing = await this.#db
      .selectFrom('extension_resource_map')
      .selectAll()
      .where('resource_id', '=', cluster.id)
      .where('resource_type', '=', 'Cluster')
      .executeTakeFirst();
    if (existing) {
      if (existing.extension_id === extension.id) {
        throw conflict(`Extension: ${extension.name} is already registered with this cluster: ${cluster.name}`, 'resourceid');
      }
      throw conflict(`An extension is already registered with this cluster: ${cluster.name}`, 'resourceid');
    }
    await this.#db
      .insertInto('extension_resource_map')
      .values({
        extension_id: extension.id,
        resource_id: cluster.id,
        resource_type: 'Cluster',
        details: stringifyDetails(details),
        hidden_details: '{}',
        created: this.#context.nowIso(),
      })
      .execute();
  }

  async toInfo(row: ExtensionRow): Promise<ExtensionInfo> {
    const mappings = await this.#db
      .selectFrom('extension_resource_map as m')
      .innerJoin('clusters as c', 'c.id', 'm.resource_id')
      .select(['c.uuid', 'c.name', 'm.details', 'm.created'])
      .where('m.extension_id', '=', row.id)
      .where('m.resource_type', '=', 'Cluster')
      .orderBy('m.id')
      .execute();
    const resources: ExtensionResource[] = mappings.map((m) => ({ id: m.uuid, name: m.name, type: 'Cluster', details: parseDetails(m.details), created: m.created }));
    const hidden = parseDetails(row.hidden_details);
    let path: string;
    try {
      path = confinedPath(this.#context.extensionsRoot, row.relative_path);
    } catch {
      path = row.relative_path;
    }
    return {
      id: row.uuid,
      name: row.name,
      description: row.description,
      type: 'Orchestrator',
      path,
      relativePath: row.relative_path,
      pathReady: row.path_ready === 1,
      isUserDefined: row.is_user_defined === 1,
      orchestratorRequiresPrepareVm: hidden[PREPARE_VM_DETAIL] === 'true',
      state: row.state as ExtensionInfo['state'],
      details: parseDetails(row.details),
      resources,
      created: row.created,
    };
  }

  async listExtensions(caller: Caller, filter: ListOptions & { id?: string; name?: string } = {}): Promise<Page<ExtensionInfo>> {
    requireAdmin(caller);
    let query = this.#db.selectFrom('extensions').selectAll().where('removed', 'is', null);
    if (filter.id) query = query.where('uuid', '=', filter.id);
    if (filter.name) query = query.where('name', '=', filter.name);
    if (filter.keyword) query = query.where(sql`lower(name)`, 'like', keywordPattern(filter.keyword));
    const rows = await query.orderBy('id', 'desc').execute();
    const page = pageOf(rows, filter);
    return { items: await Promise.all(page.items.map((row) => this.toInfo(row))), count: page.count };
  }

  async getExtension(caller: Caller, id: string): Promise<ExtensionInfo> {
    requireAdmin(caller);
    return this.toInfo(await this.extensionRowByUuid(id, 'id'));
  }

  async createExtension(caller: Caller, input: CreateExtensionInput): Promise<ExtensionInfo> {
    requireAdmin(caller);
    const name = input.name?.trim();
    if (!name) throw invalidParameter('Extension name is required', 'name');
    if (input.type !== 'Orchestrator') throw invalidParameter(`Invalid type specified - ${input.type}`, 'type');
    const state = checkedState(input.state, 'Enabled');
    const relativePath = validatedRelativePath(name, input.path);
    const absolutePath = confinedPath(this.#context.extensionsRoot, relativePath);
    const duplicate = await this.#db.selectFrom('extensions').select('id').where('name', '=', name).where('removed', 'is', null).executeTakeFirst();
    if (duplicate) throw conflict('Extension by name already exists', 'name');
    const hidden: DetailMap = {};
    if (input.orchestratorRequiresPrepareVm !== undefined) hidden[PREPARE_VM_DETAIL] = String(input.orchestratorRequiresPrepareVm);
    const row = await this.#db
      .insertInto('extensions')
      .values({
        uuid: randomUUID(),
        name,
        description: input.description ?? '',
        type: 'Orchestrator',
        relative_path: relativePath,
        path_ready: 0,
        is_user_defined: 1,
        state,
        details: stringifyDetails(input.details ?? {}),
        hidden_details: stringifyDetails(hidden),
        created: this.#context.nowIso(),
        removed: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await this.#context.recordEvent(caller, { type: 'EXTENSION.CREATE', description: `Created extension ${name}`, outcome: 'success', resourceType: 'Extension', resourceId: row.uuid });
    if (state === 'Enabled') await this.#preparePathOrDisable(row, absolutePath);
    return this.toInfo((await this.extensionRow(row.id)) ?? row);
  }

  /**
   * CloudStack "prepares" the path when an extension is created/enabled: scaffold a missing `.sh`, then
   * require an executable file; failure disables the extension (the row stays) and is reported.
   */
  async #preparePathOrDisable(row: ExtensionRow, absolutePath: string): Promise<void> {
    if (row.is_user_defined === 1) await scaffoldEntryPoint(absolutePath);
    const ready = row.is_user_defined === 0 ? await this.entryPointAvailable(row) || row.path_ready === 1 : await isExecutableFile(absolutePath);
    if (ready) {
      await this.#db.updateTable('extensions').set({ path_ready: 1 }).where('id', '=', row.id).execute();
      return;
    }
    await this.#db.updateTable('extensions').set({ path_ready: 0, state: 'Disabled' }).where('id', '=', row.id).execute();
    throw new OrchestratorError('internal', `Failed to enable extension: ${row.name} as its path is not ready`);
  }

  async updateExtension(caller: Caller, id: string, input: UpdateExtensionInput): Promise<ExtensionInfo> {
    requireAdmin(caller);
    const row = await this.extensionRowByUuid(id, 'id');
    const state = input.state === undefined ? undefined : checkedState(input.state, 'Enabled');
    const changes: Partial<ExtensionRow> = {};
    if (input.description !== undefined && input.description.trim() !== '') changes.description = input.description;
    if (input.cleanupDetails) changes.details = '{}';
    if (input.details !== undefined) changes.details = stringifyDetails(input.details);
    if (input.orchestratorRequiresPrepareVm !== undefined) {
      changes.hidden_details = stringifyDetails({ ...parseDetails(row.hidden_details), [PREPARE_VM_DETAIL]: String(input.orchestratorRequiresPrepareVm) });
    }
    if (state !== undefined) changes.state = state;
    if (Object.keys(changes).length > 0) await this.#db.updateTable('extensions').set(changes).where('id', '=', row.id).execute();
    await this.#context.recordEvent(caller, { type: 'EXTENSION.UPDATE', description: `Updated extension ${row.name}`, outcome: 'success', resourceType: 'Extension', resourceId: row.uuid });
    if (state === 'Enabled') await this.#preparePathOrDisable({ ...row, ...changes }, confinedPath(this.#context.extensionsRoot, row.relative_path));
    return this.toInfo((await this.extensionRow(row.id)) ?? row);
  }

  async deleteExtension(caller: Caller, id: string, options: { cleanup?: boolean } = {}): Promise<void> {
    requireAdmin(caller);
    const row = await this.extensionRowByUuid(id, 'id');
    if (row.is_user_defined === 0) throw invalidParameter('System extension can not be deleted', 'id');
    const resources = await this.#db.selectFrom('extension_resource_map').select('id').where('extension_id', '=', row.id).executeTakeFirst();
    if (resources) throw invalidParameter('Extension has associated resources, unregister them to delete the extension', 'id');
    const actions = await this.#db.selectFrom('custom_actions').select('id').where('extension_id', '=', row.id).where('removed', 'is', null).execute();
    if (actions.length > 0) throw invalidParameter(`Extension has ${actions.length} custom actions, delete them to delete the extension`, 'id');
    const template = await this.#db.selectFrom('templates').select('id').where('extension_id', '=', row.id).where('removed', 'is', null).executeTakeFirst();
    if (template) throw invalidParameter('Orchestrator extension has associated templates, remove them to delete the extension', 'id');
    await this.#db.updateTable('extensions').set({ removed: this.#context.nowIso() }).where('id', '=', row.id).execute();
    if (options.cleanup) {
      // The extension's own directory under the root, and its payload directory.
      const directory = row.relative_path.split('/')[0] ?? '';
      try {
        await rm(confinedPath(this.#context.extensionsRoot, directory), { recursive: true, force: true });
        await rm(join(this.#context.dataRoot, row.name), { recursive: true, force: true });
      } catch {
        throw new OrchestratorError('internal', 'Extension is deleted but its files are not cleaned up across servers');
      }
    }
    await this.#context.recordEvent(caller, { type: 'EXTENSION.DELETE', description: `Deleted extension ${row.name}`, outcome: 'success', resourceType: 'Extension', resourceId: row.uuid });
  }

  async registerExtension(
    caller: Caller,
    input: { extensionId: string; resourceId: string; resourceType: string; details?: DetailMap },
  ): Promise<ExtensionInfo> {
    requireAdmin(caller);
    if (input.resourceType !== 'Cluster') throw invalidParameter('Currently only [Cluster] can be used to register an extension', 'resourcetype');
    const extension = await this.#db.selectFrom('extensions').selectAll().where('uuid', '=', input.extensionId).where('removed', 'is', null).executeTakeFirst();
    if (!extension) throw invalidParameter('Invalid extension specified', 'extensionid');
    await this.registerWithCluster(extension, input.resourceId, input.details ?? {});
    await this.#context.recordEvent(caller, { type: 'EXTENSION.RESOURCE.REGISTER', description: `Registered extension ${extension.name} with cluster ${input.resourceId}`, outcome: 'success', resourceType: 'Extension', resourceId: extension.uuid });
    return this.toInfo(extension);
  }

  async unregisterExtension(caller: Caller, input: { extensionId: string; resourceId: string; resourceType: string }): Promise<ExtensionInfo> {
    requireAdmin(caller);
    if (input.resourceType !== 'Cluster') throw invalidParameter('Currently only [Cluster] can be used to register an extension', 'resourcetype');
    const extension = await this.extensionRowByUuid(input.extensionId);
    const cluster = await this.#db.selectFrom('clusters').select('id').where('uuid', '=', input.resourceId).where('removed', 'is', null).executeTakeFirst();
    if (!cluster) throw invalidParameter('Invalid cluster ID specified', 'resourceid');
    // As CloudStack: whatever extension is mapped to the cluster is unregistered.
    await this.#db.deleteFrom('extension_resource_map').where('resource_id', '=', cluster.id).where('resource_type', '=', 'Cluster').execute();
    await this.#context.recordEvent(caller, { type: 'EXTENSION.RESOURCE.UNREGISTER', description: `Unregistered cluster ${input.resourceId}`, outcome: 'success', resourceType: 'Extension', resourceId: extension.uuid });
    return this.toInfo(extension);
  }

  async updateRegisteredExtension(
    caller: Caller,
    input: { extensionId: string; resourceId: string; resourceType: string; details?: DetailMap; cleanupDetails?: boolean },
  ): Promise<ExtensionInfo> {
    requireAdmin(caller);
    const extension = await this.extensionRowByUuid(input.extensionId);
    const cluster = await this.#db.selectFrom('clusters').select('id').where('uuid', '=', input.resourceId).where('removed', 'is', null).executeTakeFirst();
    const mapping = cluster
      ? await this.#db
          .selectFrom('extension_resource_map')
          .selectAll()
          .where('resource_id', '=', cluster.id)
          .where('extension_id', '=', extension.id)
          .executeTakeFirst()
      : undefined;
    if (!mapping) throw invalidParameter(`Extension '${extension.name}' is not registered with resource ${input.resourceId} (${input.resourceType})`, 'resourceid');
    // `details` replaces the registration details; `cleanupdetails` empties them first.
    const details = input.details ?? (input.cleanupDetails ? {} : parseDetails(mapping.details));
    await this.#db.updateTable('extension_resource_map').set({ details: stringifyDetails(details) }).where('id', '=', mapping.id).execute();
    return this.toInfo(extension);
  }

  // ---------------------------------------------------------------- custom actions

  #toAction(row: ActionRow, extensionName: string, extensionUuid: string): CustomAction {
    return {
      id: row.uuid,
      name: row.name,
      description: row.description,
      extensionId: extensionUuid,
      extensionName,
      resourceType: 'VirtualMachine',
      allowedRoleTypes: row.allowed_role_types === 0 ? ['Admin'] : maskToRoles(row.allowed_role_types),
      successMessage: row.success_message,
      errorMessage: row.error_message,
      timeout: row.timeout,
      enabled: row.enabled === 1,
      details: parseDetails(row.details),
      parameters: JSON.parse(row.parameters) as CustomActionParameter[],
      created: row.created,
    };
  }

  async #actionWithExtension(uuid: string): Promise<{ action: ActionRow; extension: ExtensionRow } | null> {
    const action = await this.#db.selectFrom('custom_actions').selectAll().where('uuid', '=', uuid).where('removed', 'is', null).executeTakeFirst();
    if (!action) return null;
    const extension = await this.extensionRow(action.extension_id);
    if (!extension || extension.removed !== null) return null;
    return { action, extension };
  }

  #checkedResourceType(resourceType: string | undefined): 'VirtualMachine' {
    if (resourceType === undefined || resourceType === '' || resourceType === 'VirtualMachine') return 'VirtualMachine';
    throw invalidParameter(`Invalid resource type specified - ${resourceType}`, 'resourcetype');
  }

  #checkedTimeout(timeout: number | undefined, fallback: number): number {
    const value = timeout ?? fallback;
    if (!Number.isInteger(value) || value < 1) throw invalidParameter('Invalid timeout specified', 'timeout');
    return value;
  }

  async addCustomAction(caller: Caller, input: AddCustomActionInput): Promise<CustomAction> {
    requireAdmin(caller);
    const extension = await this.extensionRowByUuid(input.extensionId);
    const name = input.name?.trim() ?? '';
    if (!ACTION_NAME_PATTERN.test(name)) {
      throw invalidParameter(`Invalid action name: ${name}. It can contain only alphabets, numbers, hyphen, underscore and space`, 'name');
    }
    const resourceType = this.#checkedResourceType(input.resourceType);
    const parameters = parseParameterDefinitions(input.parameters ?? []);
    // Admin is always allowed on create ([EMI] addCustomAction).
    const mask = rolesToMask(input.allowedRoleTypes ?? []) | ROLE_MASKS.Admin;
    const timeout = this.#checkedTimeout(input.timeout, DEFAULT_CUSTOM_ACTION_TIMEOUT_SECONDS);
    const duplicate = await this.#db
      .selectFrom('custom_actions')
      .select('id')
      .where('extension_id', '=', extension.id)
      .where('name', '=', name)
      .where('removed', 'is', null)
      .executeTakeFirst();
    if (duplicate) throw conflict('Action by name already exists', 'name');
    const row = await this.#db
      .insertInto('custom_actions')
      .values({
        uuid: randomUUID(),
        name,
        description: input.description ?? '',
        extension_id: extension.id,
        resource_type: resourceType,
        allowed_role_types: mask,
        success_message: input.successMessage ?? null,
        error_message: input.errorMessage ?? null,
        enabled: input.enabled ? 1 : 0,
        timeout,
        parameters: JSON.stringify(parameters),
        details: stringifyDetails(input.details ?? {}),
        created: this.#context.nowIso(),
        removed: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await this.#context.recordEvent(caller, { type: 'EXTENSION.CUSTOM.ACTION.ADD', description: `Added custom action ${name} to ${extension.name}`, outcome: 'success', resourceType: 'ExtensionCustomAction', resourceId: row.uuid });
    return this.#toAction(row, extension.name, extension.uuid);
  }

  async listCustomActions(caller: Caller, filter: CustomActionFilter = {}): Promise<Page<CustomAction>> {
    let query = this.#db
      .selectFrom('custom_actions as a')
      .innerJoin('extensions as e', 'e.id', 'a.extension_id')
      .selectAll('a')
      .select(['e.name as extension_name', 'e.uuid as extension_uuid'])
      .where('a.removed', 'is', null)
      .where('e.removed', 'is', null);
    if (filter.id) query = query.where('a.uuid', '=', filter.id);
    if (filter.name) query = query.where('a.name', '=', filter.name);
    if (filter.extensionId) query = query.where('e.uuid', '=', filter.extensionId);
    if (filter.keyword) query = query.where(sql`lower(a.name)`, 'like', keywordPattern(filter.keyword));
    if (filter.resourceType) this.#checkedResourceType(filter.resourceType);
    // Quirk kept from CloudStack: any `enabled` value filters on enabled actions.
    if (filter.enabled !== undefined) query = query.where('a.enabled', '=', 1);
    if (filter.resourceId) {
      const executor = this.#requireExecutor();
      const extension = await executor.extensionOfInstance(caller, filter.resourceId).catch(() => null);
      if (!extension) throw new OrchestratorError('internal', 'Internal error listing custom actions with specified resource', 'resourceid');
      query = query.where('a.extension_id', '=', extension.id);
    }
    if (!isAdmin(caller)) query = query.where(sql`(a.allowed_role_types & ${ROLE_MASKS[caller.roleType]})`, '!=', 0);
    const rows = await query.orderBy('a.id', 'desc').execute();
    const page = pageOf(rows, filter);
    return { items: page.items.map((row) => this.#toAction(row, row.extension_name, row.extension_uuid)), count: page.count };
  }

  async updateCustomAction(caller: Caller, id: string, input: UpdateCustomActionInput): Promise<CustomAction> {
    requireAdmin(caller);
    const found = await this.#actionWithExtension(id);
    if (!found) throw notFound('custom action', id, 'id');
    const changes: Partial<ActionRow> = {};
    if (input.description !== undefined && input.description.trim() !== '') changes.description = input.description;
    if (input.resourceType !== undefined) changes.resource_type = this.#checkedResourceType(input.resourceType);
    if (input.allowedRoleTypes !== undefined) changes.allowed_role_types = rolesToMask(input.allowedRoleTypes);
    if (input.cleanupParameters) changes.parameters = '[]';
    if (input.parameters !== undefined) changes.parameters = JSON.stringify(parseParameterDefinitions(input.parameters));
    if (input.successMessage !== undefined) changes.success_message = input.successMessage;
    if (input.errorMessage !== undefined) changes.error_message = input.errorMessage;
    if (input.timeout !== undefined) changes.timeout = this.#checkedTimeout(input.timeout, DEFAULT_CUSTOM_ACTION_TIMEOUT_SECONDS);
    if (input.enabled !== undefined) changes.enabled = input.enabled ? 1 : 0;
    if (input.cleanupDetails) changes.details = '{}';
    if (input.details !== undefined) changes.details = stringifyDetails(input.details);
    if (Object.keys(changes).length > 0) await this.#db.updateTable('custom_actions').set(changes).where('id', '=', found.action.id).execute();
    const updated = await this.#actionWithExtension(id);
    if (!updated) throw notFound('custom action', id, 'id');
    return this.#toAction(updated.action, updated.extension.name, updated.extension.uuid);
  }

  async deleteCustomAction(caller: Caller, id: string): Promise<void> {
    requireAdmin(caller);
    const found = await this.#actionWithExtension(id);
    if (!found) throw notFound('custom action', id, 'id');
    await this.#db.updateTable('custom_actions').set({ removed: this.#context.nowIso() }).where('id', '=', found.action.id).execute();
  }

  async runCustomAction(caller: Caller, input: RunCustomActionInput): Promise<Job<CustomActionResult>> {
    const executor = this.#requireExecutor();
    return this.#jobs.submit('runCustomAction', caller, { type: 'VirtualMachine', id: input.resourceId ?? null }, async () => {
      const generic = () => new OrchestratorError('internal', GENERIC_RUN_ERROR);
      const found = await this.#actionWithExtension(input.customActionId);
      if (!found) throw generic();
      const { action, extension } = found;
      if (!isAdmin(caller) && (action.allowed_role_types & ROLE_MASKS[caller.roleType]) === 0) throw generic();
      if (action.enabled !== 1 || !this.isUsable(extension)) throw generic();
      if (input.resourceType !== undefined && input.resourceType !== '' && input.resourceType !== action.resource_type) throw generic();
      const clusterExtension = await executor.extensionOfInstance(caller, input.resourceId).catch(() => null);
      if (!clusterExtension || clusterExtension.id !== extension.id) throw generic();
      let parameters: Record<string, unknown>;
      try {
        parameters = validateParameterValues(JSON.parse(action.parameters) as CustomActionParameter[], input.parameters ?? {});
      } catch (error) {
        if (error instanceof ParameterValueError) throw invalidParameter(error.message, 'parameters');
        throw error;
      }
      const { instanceName, result } = await executor.runCustomAction(
        caller,
        input.resourceId,
        { name: action.name, timeout: action.timeout, details: parseDetails(action.details) },
        parameters,
      );
      const values = { actionName: action.name, extensionName: extension.name, resourceName: instanceName };
      const outcome: CustomActionResult = {
        id: action.uuid,
        name: action.name,
        success: result.success,
        result: {
          message: renderActionMessage(result.success ? action.success_message : action.error_message, result.success ? 'success' : 'error', values),
          details: result.output === 'Timeout' ? 'Running custom action timed out, please try again' : result.success ? result.rawOutput : result.output,
        },
      };
      await this.#context.recordEvent(caller, {
        type: 'CUSTOM.ACTION',
        description: `Custom action ${action.name} on ${instanceName}: ${outcome.result.message}`,
        outcome: result.success ? 'success' : 'failure',
        resourceType: 'VirtualMachine',
        resourceId: input.resourceId,
      });
      return outcome;
    });
  }

  #requireExecutor(): CustomActionExecutor {
    if (!this.#executor) throw new OrchestratorError('internal', 'Custom action executor not wired');
    return this.#executor;
  }
}
