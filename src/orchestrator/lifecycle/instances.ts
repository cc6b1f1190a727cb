import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { sql } from 'kysely';
import { collectSecrets, redact } from '../../contract/details.ts';
import { parsePayload } from '../../contract/payload.ts';
import { toCount } from '../../store/database.ts';
import type { Database, HostsTable, InstancesTable } from '../../store/schema.ts';
import { canAccessOwner } from '../access.ts';
import type { Caller } from '../caller.ts';
import { isAdmin } from '../caller.ts';
import type { ServiceContext } from '../context.ts';
import { invalidParameter, notFound, OrchestratorError } from '../errors.ts';
import { mergeJsonPatch, type Json } from '../extensions/merge.ts';
import type { EntryPoint, ExtensionRunner, InvocationResult } from '../extensions/runner.ts';
import { PREPARE_VM_DETAIL, type CustomActionExecutor, type ExtensionRow, type ExtensionsServiceImpl } from '../extensions/service.ts';
import type { InfrastructureServiceImpl } from '../infrastructure.ts';
import { JobTakenOverError, type JobRecorder, type JobsServiceImpl, type ResumableJobRow } from '../jobs.ts';
import type { DeployInstanceInput, InstanceFilter, InstancesService } from '../services.ts';
import { randomToken } from '../support/crypto.ts';
import { KeyedSemaphore } from '../support/concurrency.ts';
import { LocalLocks, type KeyedLocks } from '../cluster/locks.ts';
import { parseDetails, stringifyDetails } from '../support/json.ts';
import { keywordPattern } from '../support/paging.ts';
import type { DetailMap, GuestIpType, Instance, InstanceNic, InstanceState, Job, Page, PowerState } from '../types.ts';
import { ConsoleOutputError, parseConsoleOutput, type InstanceConsole } from './console.ts';
import { buildPayload, buildVirtualMachineTO, DEPLOY_VM_DETAIL, INTERNAL_DETAILS, parsePowerState, withExternalPrefix, type PayloadNic } from './payload.ts';

type InstanceRow = Selectable<InstancesTable>;
type HostRow = Selectable<HostsTable>;

/** The operation a lifecycle job performs; stored in the job's params so a new process can resume it. */
export type LifecycleOperation = 'deploy' | 'start' | 'stop' | 'reboot' | 'destroy' | 'expunge';

interface LifecycleParams {
  readonly operation: LifecycleOperation;
  readonly instanceUuid: string;
  readonly hostUuid?: string;
  readonly forced?: boolean;
  readonly expunge?: boolean;
}

const JOB_KINDS: Readonly<Record<LifecycleOperation, string>> = {
  deploy: 'deployVirtualMachine',
  start: 'startVirtualMachine',
  stop: 'stopVirtualMachine',
  reboot: 'rebootVirtualMachine',
  destroy: 'destroyVirtualMachine',
  expunge: 'expungeVirtualMachine',
};

const EVENT_TYPES: Readonly<Record<LifecycleOperation, string>> = {
  deploy: 'VM.CREATE',
  start: 'VM.START',
  stop: 'VM.STOP',
  reboot: 'VM.REBOOT',
  destroy: 'VM.DESTROY',
  expunge: 'VM.EXPUNGE',
};

const VNC_PASSWORD_BYTES = 16;
/**
 * Most instance ids bound in one statement (one parameter each): SQLite refuses more than 32,766 parameters and
 * PostgreSQL more than 65,535, which an unpaged list of every instance would otherwise reach.
 */
const ID_BATCH = 1000;
/** Event of a console request; CloudStack records none, extorch does so that console access is audited. */
const CONSOLE_EVENT = 'VM.CONSOLE';
const HOST_NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9-]{0,62}$/;

/** Everything needed to invoke an extension for one instance on one host. */
interface InvocationTarget {
  readonly instance: InstanceRow;
  readonly host: HostRow;
  readonly extension: ExtensionRow;
  readonly entry: EntryPoint;
  readonly registrationDetails: DetailMap;
}

function requiresPrepare(extension: ExtensionRow): boolean {
  return parseDetails(extension.hidden_details)[PREPARE_VM_DETAIL] === 'true';
}

/** The steps of a start: `prepare` only before the first `create`, and only when the extension asks for it. */
function startPlan(deploy: boolean, prepare: boolean): string[] {
  return ['placement', ...(deploy && prepare ? ['prepare'] : []), deploy ? 'create' : 'start'];
}

function failureMessage(prefix: string, result: InvocationResult, payload: Record<string, unknown>): string {
  return redact(`${prefix}: ${result.output}`, collectSecrets(parsePayload(JSON.parse(JSON.stringify(payload)))));
}

/**
 * Instances and their lifecycle (orchestrator.md §6, ADR 0061): every operation is a persisted job, serialised
 * per instance, bounded per host, with its steps recorded so that a new process resumes or resolves it.
 */
/** The columns an instance's view is made of: a listing row, or an expunged instance's row with its lookups. */
interface InstanceViewRow {
  readonly uuid: string;
  readonly name: string;
  readonly display_name: string;
  readonly instance_name: string;
  readonly state: string;
  readonly power_state: string;
  readonly details: string;
  readonly created: string;
  readonly zone_uuid: string;
  readonly zone_name: string;
  readonly host_uuid: string | null;
  readonly host_name: string | null;
  readonly last_host_uuid: string | null;
  readonly cluster_uuid: string | null;
  readonly template_uuid: string;
  readonly template_name: string;
  readonly template_display_text: string;
  readonly extension_uuid: string;
  readonly extension_name: string;
  readonly offering_uuid: string;
  readonly offering_name: string;
  readonly cpu_number: number;
  readonly cpu_speed: number;
  readonly memory: number;
  readonly account_uuid: string;
  readonly account_name: string;
  readonly domain_uuid: string;
  readonly domain_name: string;
  readonly user_uuid: string;
  readonly username: string;
}

function instanceView(row: InstanceViewRow, nics: InstanceNic[]): Instance {
  return {
    id: row.uuid,
    name: row.name,
    displayName: row.display_name,
    instanceName: row.instance_name,
    state: row.state as InstanceState,
    powerState: row.power_state as PowerState,
    hypervisor: 'External',
    zoneId: row.zone_uuid,
    zoneName: row.zone_name,
    hostId: row.host_uuid,
    hostName: row.host_name,
    lastHostId: row.last_host_uuid,
    clusterId: row.cluster_uuid,
    templateId: row.template_uuid,
    templateName: row.template_name,
    templateDisplayText: row.template_display_text,
    extensionId: row.extension_uuid,
    extensionName: row.extension_name,
    serviceOfferingId: row.offering_uuid,
    serviceOfferingName: row.offering_name,
    cpuNumber: row.cpu_number,
    cpuSpeed: row.cpu_speed,
    memory: row.memory,
    accountId: row.account_uuid,
    accountName: row.account_name,
    domainId: row.domain_uuid,
    domainName: row.domain_name,
    userId: row.user_uuid,
    userName: row.username,
    details: Object.fromEntries(Object.entries(parseDetails(row.details)).filter(([key]) => !INTERNAL_DETAILS.has(key))),
    nics,
    created: row.created,
  };
}

export class InstancesServiceImpl implements InstancesService, CustomActionExecutor {
  readonly #context: ServiceContext;
  readonly #jobs: JobsServiceImpl;
  readonly #extensions: ExtensionsServiceImpl;
  readonly #infrastructure: InfrastructureServiceImpl;
  readonly #runner: ExtensionRunner;
  readonly #instanceLocks: KeyedLocks;
  readonly #hostSlots: KeyedSemaphore;
  /** Set by the facade: the caller used for work nobody asked for (recovery, power sync). */
  systemCaller: Caller | undefined;

  constructor(
    context: ServiceContext,
    jobs: JobsServiceImpl,
    extensions: ExtensionsServiceImpl,
    infrastructure: InfrastructureServiceImpl,
    runner: ExtensionRunner,
    instanceLocks: KeyedLocks = new LocalLocks(),
  ) {
    this.#instanceLocks = instanceLocks;
    this.#context = context;
    this.#jobs = jobs;
    this.#extensions = extensions;
    this.#infrastructure = infrastructure;
    this.#runner = runner;
    this.#hostSlots = new KeyedSemaphore(context.policy.perHostConcurrency);
  }

  get #db(): Kysely<Database> {
    return this.#context.db;
  }

  /** True while a lifecycle operation of this node holds the instance (power sync leaves such instances alone). */
  isBusy(instanceUuid: string): boolean {
    return this.#instanceLocks.isLocked(instanceUuid);
  }

  // ---------------------------------------------------------------- API: deploy and operations

  async deploy(caller: Caller, input: DeployInstanceInput): Promise<{ instance: Instance; job: Job<Instance> }> {
    const zone = await this.#db.selectFrom('zones').selectAll().where('uuid', '=', input.zoneId ?? '').where('removed', 'is', null).executeTakeFirst();
    if (!zone) throw notFound('zone', input.zoneId, 'zoneid');
    const template = await this.#db.selectFrom('templates').selectAll().where('uuid', '=', input.templateId ?? '').where('removed', 'is', null).executeTakeFirst();
    if (!template) throw notFound('template', input.templateId, 'templateid');
    const offering = await this.#db
      .selectFrom('service_offerings')
      .selectAll()
      .where('uuid', '=', input.serviceOfferingId ?? '')
      .where('removed', 'is', null)
      .executeTakeFirst();
    if (!offering) throw notFound('service offering', input.serviceOfferingId, 'serviceofferingid');
    if (template.zone_id !== null && template.zone_id !== zone.id) throw invalidParameter(`Template ${template.uuid} is not available in zone ${zone.uuid}`, 'templateid');
    if (input.hostId !== undefined && !isAdmin(caller)) throw new OrchestratorError('permission-denied', 'Only an admin can choose the host', 'hostid');
    if (input.name !== undefined && !HOST_NAME_PATTERN.test(input.name)) {
      throw invalidParameter('Invalid name. Vm name can contain ASCII letters a through z, the digits 0 through 9, and the hyphen (-), must be between 1 and 63 characters long, and can\'t start with a hyphen', 'name');
    }
    let ownerAccountUuid = caller.accountId;
    if (input.accountId && input.accountId !== caller.accountId) {
      if (!isAdmin(caller)) throw new OrchestratorError('permission-denied', 'Only an admin can deploy for another account', 'account');
      ownerAccountUuid = input.accountId;
    }
    const owner = await this.#db.selectFrom('accounts').selectAll().where('uuid', '=', ownerAccountUuid).where('removed', 'is', null).executeTakeFirst();
    if (!owner) throw notFound('account', ownerAccountUuid, 'account');
    const ownerUser =
      ownerAccountUuid === caller.accountId
        ? await this.#db.selectFrom('users').select('id').where('uuid', '=', caller.userId).executeTakeFirstOrThrow()
        : await this.#db.selectFrom('users').select('id').where('account_id', '=', owner.id).where('removed', 'is', null).orderBy('id').executeTakeFirstOrThrow();
    const networkUuids = input.networkIds ?? [];
    if (networkUuids.length === 0) throw invalidParameter('At least one network is required for an External instance', 'networkids');
    const networks: Array<Selectable<Database['networks']>> = [];
    for (const uuid of networkUuids) {
      const network = (await this.#infrastructure.listNetworks(caller, { id: uuid })).items[0];
      const row = network ? await this.#db.selectFrom('networks').selectAll().where('uuid', '=', uuid).executeTakeFirst() : undefined;
      if (!row) throw notFound('network', uuid, 'networkids');
      if (row.zone_id !== zone.id) throw invalidParameter(`Network ${uuid} is not in zone ${zone.uuid}`, 'networkids');
      networks.push(row);
    }
    if (input.hostId !== undefined) {
      const host = await this.#db.selectFrom('hosts').select('id').where('uuid', '=', input.hostId).where('removed', 'is', null).executeTakeFirst();
      if (!host) throw notFound('host', input.hostId, 'hostid');
    }
    const details: DetailMap = {
      ...(input.details ?? {}),
      ...withExternalPrefix(parseDetails(template.external_details)),
      ...withExternalPrefix(input.externalDetails ?? {}),
      [DEPLOY_VM_DETAIL]: 'true',
    };
    const now = this.#context.nowIso();
    const uuid = randomUUID();
    await this.#infrastructure.withNetworkLock(
      networks.map((network) => network.id),
      () =>
        this.#db.transaction().execute(async (trx) => {
          const inserted = await trx
            .insertInto('instances')
            .values({
              uuid,
              name: input.name ?? uuid,
              display_name: input.displayName ?? input.name ?? uuid,
              instance_name: `pending-${uuid}`,
              state: 'Stopped',
              power_state: 'PowerOff',
              power_state_updated: null,
              zone_id: zone.id,
              host_id: null,
              last_host_id: null,
              template_id: template.id,
              service_offering_id: offering.id,
              account_id: owner.id,
              user_id: ownerUser.id,
              vnc_password: this.#context.secrets.seal(randomToken(VNC_PASSWORD_BYTES)),
              details: stringifyDetails(details),
              created: now,
              removed: null,
            })
            .returning('id')
            .executeTakeFirstOrThrow();
          const instanceName = `i-${owner.id}-${inserted.id}-VM`;
          await trx
            .updateTable('instances')
            .set({ instance_name: instanceName, ...(input.name === undefined ? { name: instanceName, display_name: input.displayName ?? instanceName } : {}) })
            .where('id', '=', inserted.id)
            .execute();
          for (const [deviceId, network] of networks.entries()) {
            const address = await this.#infrastructure.allocateAddress(trx, network);
            await trx
              .insertInto('nics')
              .values({
                uuid: randomUUID(),
                instance_id: inserted.id,
                network_id: network.id,
                device_id: deviceId,
                mac: address.mac,
                ip: address.ip,
                ip6: null,
                is_default: deviceId === 0 ? 1 : 0,
                created: now,
              })
              .execute();
          }
        }),
    );
    const instance = await this.get(caller, uuid);
    await this.#context.recordEvent(caller, { type: 'VM.CREATE', description: `Created instance ${instance.instanceName}`, outcome: 'success', resourceType: 'VirtualMachine', resourceId: uuid });
    const job =
      input.startVm === false
        ? await this.#jobs.submit('deployVirtualMachine', caller, { type: 'VirtualMachine', id: uuid }, async () => this.get(caller, uuid))
        : await this.#submit(caller, { operation: 'deploy', instanceUuid: uuid, ...(input.hostId ? { hostUuid: input.hostId } : {}) });
    return { instance, job: job as Job<Instance> };
  }

  async start(caller: Caller, id: string, options: { hostId?: string } = {}): Promise<Job<Instance>> {
    const instance = await this.#accessibleRow(caller, id);
    if (options.hostId !== undefined && !isAdmin(caller)) throw new OrchestratorError('permission-denied', 'Only an admin can choose the host', 'hostid');
    if (instance.state === 'Running') throw invalidParameter(`Instance ${instance.instance_name} is already running`, 'id');
    if (instance.state !== 'Stopped') throw invalidParameter(`Instance ${instance.instance_name} is in state ${instance.state} and cannot be started`, 'id');
    return this.#submit(caller, { operation: 'start', instanceUuid: id, ...(options.hostId ? { hostUuid: options.hostId } : {}) });
  }

  async stop(caller: Caller, id: string, options: { forced?: boolean } = {}): Promise<Job<Instance>> {
    const instance = await this.#accessibleRow(caller, id);
    if (!['Running', 'Stopped', 'Error'].includes(instance.state)) {
      throw invalidParameter(`Instance ${instance.instance_name} is in state ${instance.state} and cannot be stopped`, 'id');
    }
    return this.#submit(caller, { operation: 'stop', instanceUuid: id, forced: options.forced === true });
  }

  async reboot(caller: Caller, id: string): Promise<Job<Instance>> {
    const instance = await this.#accessibleRow(caller, id);
    if (instance.state !== 'Running') throw invalidParameter(`Instance ${instance.instance_name} is not running and cannot be rebooted`, 'id');
    return this.#submit(caller, { operation: 'reboot', instanceUuid: id });
  }

  async destroy(caller: Caller, id: string, options: { expunge?: boolean } = {}): Promise<Job<Instance>> {
    const instance = await this.#accessibleRow(caller, id);
    if (instance.state === 'Destroyed' && !options.expunge) throw invalidParameter(`Instance ${instance.instance_name} is already destroyed`, 'id');
    if (instance.state === 'Expunging') throw invalidParameter(`Instance ${instance.instance_name} is being expunged`, 'id');
    return this.#submit(caller, { operation: 'destroy', instanceUuid: id, expunge: options.expunge === true });
  }

  async expunge(caller: Caller, id: string): Promise<Job<Instance>> {
    const instance = await this.#accessibleRow(caller, id);
    if (instance.state !== 'Destroyed' && instance.state !== 'Expunging') {
      throw invalidParameter(`Instance ${instance.instance_name} must be destroyed before it can be expunged`, 'id');
    }
    return this.#submit(caller, { operation: 'expunge', instanceUuid: id });
  }

  async recover(caller: Caller, id: string): Promise<Instance> {
    const instance = await this.#accessibleRow(caller, id);
    return this.#instanceLocks.run(id, async () => {
      const current = await this.#row(instance.id);
      if (current.state !== 'Destroyed') throw invalidParameter(`Instance ${current.instance_name} is not in Destroyed state and cannot be recovered`, 'id');
      await this.#setState(current.id, 'Stopped');
      await this.#context.recordEvent(caller, { type: 'VM.RECOVER', description: `Recovered instance ${current.instance_name}`, outcome: 'success', resourceType: 'VirtualMachine', resourceId: id });
      return this.get(caller, id);
    });
  }

  async updateDetails(caller: Caller, id: string, details: DetailMap): Promise<Instance> {
    const instance = await this.#accessibleRow(caller, id);
    return this.#instanceLocks.run(id, async () => {
      const current = parseDetails((await this.#row(instance.id)).details);
      const internal = Object.fromEntries(Object.entries(current).filter(([key]) => INTERNAL_DETAILS.has(key)));
      await this.#db.updateTable('instances').set({ details: stringifyDetails({ ...details, ...internal }) }).where('id', '=', instance.id).execute();
      return this.get(caller, id);
    });
  }

  // ---------------------------------------------------------------- API: reads

  async get(caller: Caller, id: string): Promise<Instance> {
    const page = await this.list(caller, { id, listAll: true });
    const instance = page.items[0];
    if (!instance) throw notFound('virtual machine', id, 'id');
    return instance;
  }

  async list(caller: Caller, filter: InstanceFilter = {}): Promise<Page<Instance>> {
    // Filters go on the instances table alone (owner, domain and the rest through id subqueries), so counting
    // 25,000 rows and skipping to the last page walk one index (`instances_listing`, or `instances_account_listing`
    // for one owner) and touch no other table; the display joins are made only for the ids of the page.
    const db = this.#db;
    let query = db.selectFrom('instances as i').where('i.removed', 'is', null);
    if (filter.id) query = query.where('i.uuid', '=', filter.id);
    if (filter.ids && filter.ids.length > 0) query = query.where('i.uuid', 'in', filter.ids);
    if (filter.name) query = query.where('i.name', '=', filter.name);
    if (filter.state) query = query.where('i.state', '=', filter.state);
    else if (!filter.id && !(filter.ids && filter.ids.length > 0)) query = query.where('i.state', '!=', 'Expunging');
    if (filter.zoneId) query = query.where('i.zone_id', 'in', db.selectFrom('zones').select('id').where('uuid', '=', filter.zoneId));
    if (filter.hostId) query = query.where('i.host_id', 'in', db.selectFrom('hosts').select('id').where('uuid', '=', filter.hostId));
    if (filter.clusterId) {
      query = query.where('i.host_id', 'in', db.selectFrom('hosts as fh').innerJoin('clusters as fc', 'fc.id', 'fh.cluster_id').select('fh.id').where('fc.uuid', '=', filter.clusterId));
    }
    if (filter.extensionId) {
      query = query.where('i.template_id', 'in', db.selectFrom('templates as ft').innerJoin('extensions as fe', 'fe.id', 'ft.extension_id').select('ft.id').where('fe.uuid', '=', filter.extensionId));
    }
    if (filter.templateId) query = query.where('i.template_id', 'in', db.selectFrom('templates').select('id').where('uuid', '=', filter.templateId));
    // `=` on the owner (not `in`) lets both databases walk `instances_account_listing` in id order, without a sort.
    const accountIdOf = (uuid: string) => db.selectFrom('accounts').select('id').where('uuid', '=', uuid);
    if (filter.accountId) query = query.where('i.account_id', '=', accountIdOf(filter.accountId));
    if (filter.domainId) {
      query = query.where('i.account_id', 'in', db.selectFrom('accounts as fa').innerJoin('domains as fd', 'fd.id', 'fa.domain_id').select('fa.id').where('fd.uuid', '=', filter.domainId));
    }
    if (filter.keyword) {
      const pattern = keywordPattern(filter.keyword);
      query = query.where((eb) => eb.or([eb(sql`lower(i.name)`, 'like', pattern), eb(sql`lower(i.display_name)`, 'like', pattern), eb(sql`lower(i.instance_name)`, 'like', pattern)]));
    }
    const explicit = Boolean(filter.id) || Boolean(filter.ids && filter.ids.length > 0);
    if (caller.roleType === 'User' || (!filter.listAll && !explicit && !filter.accountId)) {
      query = query.where('i.account_id', '=', accountIdOf(caller.accountId));
    } else if (caller.roleType === 'DomainAdmin' || caller.roleType === 'ResourceAdmin') {
      const path = caller.domainPath;
      query = query.where(
        'i.account_id',
        'in',
        db
          .selectFrom('accounts as sa')
          .innerJoin('domains as sd', 'sd.id', 'sa.domain_id')
          .select('sa.id')
          .where((eb) => eb.or([eb('sd.path', '=', path), eb('sd.path', 'like', `${path}/%`)])),
      );
    }
    const page = filter.page ?? 1;
    if (filter.pageSize !== undefined) {
      if (!Number.isInteger(filter.pageSize) || filter.pageSize < 1) throw invalidParameter('pagesize must be a positive integer', 'pagesize');
      if (!Number.isInteger(page) || page < 1) throw invalidParameter('page must be a positive integer', 'page');
    }
    // One id needs no separate count (the page is the count).
    const single = Boolean(filter.id) && filter.pageSize === undefined;
    // A page is read in two steps: its ids (from the index, alongside the count), then its rows and NICs by id.
    // Given as one statement with a subquery, PostgreSQL joins every instance to the display tables before
    // keeping the page's 500 (the subquery stays for pages too large to bind their ids).
    const pageQuery = filter.pageSize === undefined ? query.select('i.id') : query.select('i.id').orderBy('i.id', 'desc').limit(filter.pageSize).offset((page - 1) * filter.pageSize);
    const [counted, pageIds] = await Promise.all([
      single ? undefined : query.select((eb) => eb.fn.countAll().as('count')).executeTakeFirstOrThrow(),
      filter.pageSize === undefined ? undefined : pageQuery.execute().then((found) => found.map((row) => row.id)),
    ]);
    if (pageIds?.length === 0) return { items: [], count: toCount(counted?.count) };
    const paged = db
      .selectFrom('instances as i')
      .innerJoin('accounts as a', 'a.id', 'i.account_id')
      .innerJoin('domains as d', 'd.id', 'a.domain_id')
      .innerJoin('zones as z', 'z.id', 'i.zone_id')
      .innerJoin('templates as t', 't.id', 'i.template_id')
      .innerJoin('extensions as e', 'e.id', 't.extension_id')
      .innerJoin('service_offerings as o', 'o.id', 'i.service_offering_id')
      .innerJoin('users as u', 'u.id', 'i.user_id')
      .leftJoin('hosts as h', 'h.id', 'i.host_id')
      .leftJoin('hosts as lh', 'lh.id', 'i.last_host_id')
      .leftJoin('clusters as c', 'c.id', 'h.cluster_id')
      .select([
        'i.id',
        'i.uuid',
        'i.name',
        'i.display_name',
        'i.instance_name',
        'i.state',
        'i.power_state',
        'i.details',
        'i.created',
        'z.uuid as zone_uuid',
        'z.name as zone_name',
        'h.uuid as host_uuid',
        'h.name as host_name',
        'lh.uuid as last_host_uuid',
        'c.uuid as cluster_uuid',
        't.uuid as template_uuid',
        't.name as template_name',
        't.display_text as template_display_text',
        'e.uuid as extension_uuid',
        'e.name as extension_name',
        'o.uuid as offering_uuid',
        'o.name as offering_name',
        'o.cpu_number',
        'o.cpu_speed',
        'o.memory',
        'a.uuid as account_uuid',
        'a.name as account_name',
        'd.uuid as domain_uuid',
        'd.name as domain_name',
        'u.uuid as user_uuid',
        'u.username',
      ])
      .where('i.id', 'in', pageIds !== undefined && pageIds.length <= ID_BATCH ? pageIds : pageQuery)
      .orderBy('i.id', 'desc');
    const [rows, nicsByInstance] = pageIds
      ? await Promise.all([paged.execute(), this.#nicsOf(pageIds)])
      : await paged.execute().then(async (found) => [found, await this.#nicsOf(found.map((row) => row.id))] as const);
    const items = rows.map((row) => instanceView(row, nicsByInstance.get(row.id) ?? []));
    return { items, count: single ? items.length : toCount(counted?.count) };
  }

  async #nicsOf(instanceIds: number[]): Promise<Map<number, InstanceNic[]>> {
    const result = new Map<number, InstanceNic[]>();
    if (instanceIds.length === 0) return result;
    const batches = Array.from({ length: Math.ceil(instanceIds.length / ID_BATCH) }, (_, i) => instanceIds.slice(i * ID_BATCH, (i + 1) * ID_BATCH));
    const found = await Promise.all(
      batches.map((batch) =>
        this.#db
          .selectFrom('nics as n')
          .innerJoin('networks as w', 'w.id', 'n.network_id')
          .innerJoin('network_offerings as o', 'o.id', 'w.network_offering_id')
          .select(['n.instance_id', 'n.uuid', 'n.device_id', 'n.mac', 'n.ip', 'n.ip6', 'n.is_default', 'w.uuid as network_uuid', 'w.name as network_name', 'w.vlan', 'w.netmask', 'w.gateway', 'o.guest_ip_type'])
          .where('n.instance_id', 'in', batch)
          .orderBy('n.device_id')
          .execute(),
      ),
    );
    const rows = found.flat();
    for (const row of rows) {
      const uri = row.vlan === null ? 'vlan://untagged' : `vlan://${row.vlan}`;
      const list = result.get(row.instance_id) ?? [];
      list.push({
        id: row.uuid,
        networkId: row.network_uuid,
        networkName: row.network_name,
        deviceId: row.device_id,
        macAddress: row.mac,
        ipAddress: row.ip,
        ip6Address: row.ip6,
        netmask: row.ip ? row.netmask : null,
        gateway: row.ip ? row.gateway : null,
        isDefault: row.is_default === 1,
        broadcastUri: uri,
        isolationUri: uri,
        trafficType: 'Guest',
        type: row.guest_ip_type as GuestIpType,
      });
      result.set(row.instance_id, list);
    }
    return result;
  }

  // ---------------------------------------------------------------- jobs

  async #submit(caller: Caller, params: LifecycleParams): Promise<Job<Instance>> {
    return this.#jobs.submitResumable(JOB_KINDS[params.operation], caller, { type: 'VirtualMachine', id: params.instanceUuid }, { ...params }, (recorder) =>
      this.#perform(caller, params, recorder, false),
    );
  }

  /**
   * Resumes lifecycle jobs taken over from a dead node or a previous process and, unless told not to (nothing
   * died since the last look), settles instances left mid-transition.
   */
  async resumePending(pending: readonly ResumableJobRow[], options: { settleOrphans?: boolean } = {}): Promise<void> {
    const covered = new Set<string>();
    for (const job of pending) {
      const params = job.params as unknown as LifecycleParams;
      covered.add(params.instanceUuid);
      let caller: Caller;
      try {
        caller = await this.#callerFor(job.userUuid);
      } catch {
        caller = this.#system();
      }
      this.#jobs.resume(job, async (recorder) => {
        await recorder.step({ name: 'resume', state: 'started', detail: 'resumed after a restart' });
        return this.#perform(caller, params, recorder, true);
      });
    }
    if (options.settleOrphans === false) return;
    // Instances in a transitional state with no job to finish them: ask the extension and settle them.
    const stuck = await this.#db.selectFrom('instances').selectAll().where('removed', 'is', null).where('state', 'in', ['Starting', 'Stopping', 'Expunging']).execute();
    for (const instance of stuck) {
      if (covered.has(instance.uuid)) continue;
      // Another node holding the instance is finishing it.
      await this.#instanceLocks.runIfIdle(instance.uuid, () => this.#settleOrphan(instance.id));
    }
  }

  async #settleOrphan(instanceId: number): Promise<void> {
    // Read again under the lock: another node may have settled it, or own a job that will.
    const instance = await this.#row(instanceId);
    if (instance.removed !== null || !['Starting', 'Stopping', 'Expunging'].includes(instance.state)) return;
    const pendingJob = await this.#db.selectFrom('jobs').select('id').where('resource_uuid', '=', instance.uuid).where('status', '=', 'pending').executeTakeFirst();
    if (pendingJob) return;
    const system = this.#system();
    if (instance.state === 'Expunging') {
      await this.#setState(instance.id, 'Destroyed');
      await this.#submit(system, { operation: 'expunge', instanceUuid: instance.uuid });
      return;
    }
    const power = await this.#probe(instance);
    const running = power === 'PowerOn';
    await this.#db
      .updateTable('instances')
      .set(running ? { state: 'Running', power_state: 'PowerOn' } : { state: 'Stopped', host_id: null, power_state: power })
      .where('id', '=', instance.id)
      .execute();
    await this.#context.recordEvent(null, {
      type: 'VM.STATE.RECONCILED',
      description: `Instance ${instance.instance_name} found ${instance.state} after a restart; now ${running ? 'Running' : 'Stopped'} (${power})`,
      outcome: 'success',
      resourceType: 'VirtualMachine',
      resourceId: instance.uuid,
    });
  }

  /** Set by the facade: resolves a user id to a caller (IAM). */
  resolveCaller: ((userUuid: string) => Promise<Caller>) | undefined;

  async #callerFor(userUuid: string): Promise<Caller> {
    if (!this.resolveCaller) throw new Error('caller resolver not wired');
    return this.resolveCaller(userUuid);
  }

  #system(): Caller {
    if (!this.systemCaller) throw new Error('system caller not wired');
    return this.systemCaller;
  }

  async #perform(caller: Caller, params: LifecycleParams, recorder: JobRecorder, resuming: boolean): Promise<Instance> {
    const row = await this.#db.selectFrom('instances').selectAll().where('uuid', '=', params.instanceUuid).executeTakeFirst();
    if (!row) throw notFound('virtual machine', params.instanceUuid, 'id');
    await this.#instanceLocks.run(params.instanceUuid, async () => {
      try {
        await this.#dispatch(caller, row.id, params, recorder, resuming);
      } catch (error) {
        // The node that took the job over owns the instance's state now.
        if (error instanceof JobTakenOverError) throw error;
        await this.#revertTransition(row.id);
        if (error instanceof OrchestratorError) throw error;
        throw new OrchestratorError('internal', `${JOB_KINDS[params.operation]} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
    const after = await this.#row(row.id);
    return this.#viewOf(caller, after);
  }

  /** After an unexpected error, no instance may stay in a transitional state. */
  async #revertTransition(instanceId: number): Promise<void> {
    const back: Partial<Record<string, InstanceState>> = { Starting: 'Stopped', Stopping: 'Running', Expunging: 'Destroyed' };
    const current = await this.#row(instanceId);
    const target = back[current.state];
    if (target === undefined || current.removed !== null) return;
    await this.#db
      .updateTable('instances')
      .set(target === 'Stopped' ? { state: target, host_id: null } : { state: target })
      .where('id', '=', instanceId)
      .execute();
  }

  async #dispatch(caller: Caller, instanceId: number, params: LifecycleParams, recorder: JobRecorder, resuming: boolean): Promise<void> {
    const row = { id: instanceId };
    {
      switch (params.operation) {
        case 'deploy':
        case 'start':
          // Planned inside: which steps run depends on the extension and on whether the VM exists yet.
          await this.#doStart(caller, row.id, params, recorder, resuming);
          break;
        case 'stop':
          recorder.plan(['stop']);
          await this.#doStop(caller, row.id, recorder, resuming, params.operation);
          break;
        case 'reboot':
          recorder.plan(['reboot']);
          await this.#doReboot(caller, row.id, recorder);
          break;
        case 'destroy': {
          const { state } = await this.#row(row.id);
          const stopFirst = state === 'Running' || state === 'Stopping';
          recorder.plan([...(stopFirst ? ['stop'] : []), 'destroy', ...(params.expunge === true ? ['delete'] : [])]);
          await this.#doDestroy(caller, row.id, params.expunge === true, recorder, resuming);
          break;
        }
        case 'expunge':
          recorder.plan(['delete']);
          await this.#doExpunge(caller, row.id, recorder, resuming);
          break;
      }
    }
  }

  async #viewOf(caller: Caller, row: InstanceRow): Promise<Instance> {
    // Expunged instances are no longer listed: answer with their last view, as CloudStack does.
    if (row.removed !== null) return this.#expungedView(row);
    return this.get(caller, row.uuid);
  }

  async #expungedView(row: InstanceRow): Promise<Instance> {
    const restored = { ...row, instance_name: row.instance_name.split('#')[0] ?? row.instance_name };
    const template = await this.#db.selectFrom('templates as t').innerJoin('extensions as e', 'e.id', 't.extension_id').select(['t.uuid', 't.name', 't.display_text', 'e.uuid as eu', 'e.name as en']).where('t.id', '=', row.template_id).executeTakeFirstOrThrow();
    const zone = await this.#db.selectFrom('zones').select(['uuid', 'name']).where('id', '=', row.zone_id).executeTakeFirstOrThrow();
    const offering = await this.#db.selectFrom('service_offerings').selectAll().where('id', '=', row.service_offering_id).executeTakeFirstOrThrow();
    const account = await this.#db.selectFrom('accounts as a').innerJoin('domains as d', 'd.id', 'a.domain_id').select(['a.uuid', 'a.name', 'd.uuid as du', 'd.name as dn']).where('a.id', '=', row.account_id).executeTakeFirstOrThrow();
    const user = await this.#db.selectFrom('users').select(['uuid', 'username']).where('id', '=', row.user_id).executeTakeFirstOrThrow();
    return instanceView(
      {
        ...restored,
        zone_uuid: zone.uuid,
        zone_name: zone.name,
        host_uuid: null,
        host_name: null,
        last_host_uuid: null,
        cluster_uuid: null,
        template_uuid: template.uuid,
        template_name: template.name,
        template_display_text: template.display_text,
        extension_uuid: template.eu,
        extension_name: template.en,
        offering_uuid: offering.uuid,
        offering_name: offering.name,
        cpu_number: offering.cpu_number,
        cpu_speed: offering.cpu_speed,
        memory: offering.memory,
        account_uuid: account.uuid,
        account_name: account.name,
        domain_uuid: account.du,
        domain_name: account.dn,
        user_uuid: user.uuid,
        username: user.username,
      },
      [],
    );
  }

  // ---------------------------------------------------------------- operations (run under the instance lock)

  async #doStart(caller: Caller, instanceId: number, params: LifecycleParams, recorder: JobRecorder, resuming: boolean): Promise<void> {
    let instance = await this.#row(instanceId);
    const eventType = EVENT_TYPES[params.operation];
    if (resuming) {
      if (instance.state === 'Running') {
        await recorder.step({ name: 'resume', state: 'done', detail: 'already running' });
        return;
      }
      if (instance.state === 'Starting') {
        // The previous process may have completed the external call: ask before repeating it.
        const power = await this.#probe(instance);
        if (power === 'PowerOn') {
          await this.#markRunning(instance, instance.host_id);
          await recorder.step({ name: 'resume', state: 'done', detail: 'instance found running' });
          await this.#context.recordEvent(caller, { type: eventType, description: `Started instance ${instance.instance_name} (confirmed after a restart)`, outcome: 'success', resourceType: 'VirtualMachine', resourceId: instance.uuid });
          return;
        }
        await this.#db.updateTable('instances').set({ state: 'Stopped', host_id: null }).where('id', '=', instance.id).execute();
        instance = await this.#row(instanceId);
      }
    }
    if (instance.state !== 'Stopped') throw invalidParameter(`Instance ${instance.instance_name} is in state ${instance.state} and cannot be started`, 'id');

    const extension = await this.#templateExtension(instance);
    const deploy = parseDetails(instance.details)[DEPLOY_VM_DETAIL] === 'true';
    recorder.plan(startPlan(deploy, extension !== undefined && requiresPrepare(extension)));
    let target: InvocationTarget;
    try {
      // Placement only reads, and the instance lock is held: the state changes once a host is chosen.
      target = await this.#place(instance, extension, params.hostUuid);
    } catch (error) {
      await this.#context.recordEvent(caller, { type: eventType, description: `Failed to start ${instance.instance_name}: ${(error as Error).message}`, outcome: 'failure', resourceType: 'VirtualMachine', resourceId: instance.uuid });
      throw error;
    }
    await this.#db.updateTable('instances').set({ state: 'Starting', host_id: target.host.id }).where('id', '=', instance.id).execute();
    await recorder.step({ name: 'placement', state: 'done', handle: { hostId: target.host.uuid } });
    const fail = async (step: string, message: string): Promise<never> => {
      await this.#db.updateTable('instances').set({ state: 'Stopped', host_id: null }).where('id', '=', instance.id).execute();
      await recorder.step({ name: step, state: 'failed', detail: message });
      await this.#context.recordEvent(caller, { type: eventType, description: `Failed to start ${instance.instance_name}: ${message}`, outcome: 'failure', resourceType: 'VirtualMachine', resourceId: instance.uuid });
      throw new OrchestratorError('internal', message);
    };

    if (deploy && requiresPrepare(target.extension)) {
      await recorder.step({ name: 'prepare', state: 'started', handle: { hostId: target.host.uuid } });
      const { payload, vmTO } = await this.#payloadFor(target, caller);
      const result = await this.#invoke(target, 'prepare', payload);
      if (!result.success) await fail('prepare', failureMessage('Failed to prepare VM', result, payload));
      if (result.output.trim() !== '') {
        let answer: unknown;
        try {
          answer = JSON.parse(result.output);
        } catch {
          answer = undefined;
        }
        if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) await fail('prepare', 'Failed to parse VM');
        await this.#applyPrepareAnswer(instance, vmTO, mergeJsonPatch(vmTO as Json, answer as Json) as Record<string, unknown>);
      }
      await recorder.step({ name: 'prepare', state: 'done' });
    }

    const action = deploy ? 'create' : 'start';
    // The payload is built from the row as it is now (after prepare's changes); the rest of the start uses it too.
    const built = await this.#payloadFor(target, caller);
    const { payload } = built;
    instance = built.instance;
    await recorder.step({ name: action, state: 'started', handle: { hostId: target.host.uuid, instanceName: instance.instance_name } });
    const result = await this.#invoke({ ...target, instance }, action, payload);
    if (!result.success) {
      await fail(action, failureMessage(`${deploy ? 'Deploying' : 'Starting'} VM ${instance.uuid} on the external system failed`, result, payload));
    }
    await recorder.step({ name: action, state: 'done' });
    await this.#markRunning(instance, target.host.id);
    await this.#context.recordEvent(caller, { type: eventType, description: `${deploy ? 'Deployed' : 'Started'} instance ${instance.instance_name} on host ${target.host.name}`, outcome: 'success', resourceType: 'VirtualMachine', resourceId: instance.uuid });
  }

  /** `instance` is the current row: callers hold the instance lock and read it after its last change. */
  async #markRunning(instance: InstanceRow, hostId: number | null): Promise<void> {
    const details = parseDetails(instance.details);
    // `deployvm` goes only after a successful start, so a failed create is retried as create ([VMM]).
    delete details[DEPLOY_VM_DETAIL];
    await this.#db
      .updateTable('instances')
      .set({ state: 'Running', power_state: 'PowerOn', power_state_updated: this.#context.nowIso(), host_id: hostId, last_host_id: hostId, details: stringifyDetails(details) })
      .where('id', '=', instance.id)
      .execute();
  }

  /** Persists what CloudStack keeps from a `prepare` answer: VNC password, details, NIC MAC/IPs ([VMM]). */
  async #applyPrepareAnswer(instance: InstanceRow, before: Record<string, unknown>, merged: Record<string, unknown>): Promise<void> {
    const changes: Partial<InstanceRow> = {};
    if (typeof merged.vncPassword === 'string' && merged.vncPassword !== before.vncPassword) changes.vnc_password = this.#context.secrets.seal(merged.vncPassword);
    const mergedDetails = merged.details;
    if (typeof mergedDetails === 'object' && mergedDetails !== null && !Array.isArray(mergedDetails)) {
      const stored = parseDetails(instance.details);
      const sent = before.details as DetailMap;
      const next: DetailMap = {};
      for (const [key, value] of Object.entries(mergedDetails)) {
        if (value === null || value === undefined) continue;
        // Offering details are merged into the TO when it is built; keep them out of the VM's own details
        // unless the extension changed them.
        if (!(key in stored) && key in sent && sent[key] === String(value)) continue;
        next[key] = String(value);
      }
      // CloudStack saves the whole merged map when it differs.
      if (stringifyDetails(next) !== stringifyDetails(stored)) changes.details = stringifyDetails(next);
    }
    await this.#db.transaction().execute(async (trx) => {
      if (Object.keys(changes).length > 0) await trx.updateTable('instances').set(changes).where('id', '=', instance.id).execute();
      const nics = Array.isArray(merged.nics) ? (merged.nics as Array<Record<string, unknown>>) : [];
      for (const nic of nics) {
        if (typeof nic.nicUuid !== 'string') continue;
        const update: { mac?: string; ip?: string; ip6?: string } = {};
        if (typeof nic.mac === 'string' && nic.mac !== '') update.mac = nic.mac.toLowerCase();
        if (typeof nic.ip === 'string' && nic.ip !== '') update.ip = nic.ip;
        if (typeof nic.ip6address === 'string' && nic.ip6address !== '') update.ip6 = nic.ip6address;
        if (Object.keys(update).length > 0) {
          await trx.updateTable('nics').set(update).where('uuid', '=', nic.nicUuid).where('instance_id', '=', instance.id).execute();
        }
      }
    });
  }

  async #doStop(caller: Caller, instanceId: number, recorder: JobRecorder, resuming: boolean, operation: LifecycleOperation): Promise<void> {
    let instance = await this.#row(instanceId);
    if (resuming && instance.state === 'Stopping') {
      await this.#setState(instance.id, 'Running');
      instance = await this.#row(instanceId);
    }
    if (instance.state === 'Stopped' || instance.state === 'Error') {
      if (resuming) await recorder.step({ name: 'resume', state: 'done', detail: 'already stopped' });
      if (instance.state === 'Error') await this.#setState(instance.id, 'Stopped');
      return;
    }
    if (instance.state !== 'Running') throw invalidParameter(`Instance ${instance.instance_name} is in state ${instance.state} and cannot be stopped`, 'id');
    const hostId = instance.host_id ?? instance.last_host_id;
    await this.#setState(instance.id, 'Stopping');
    if (hostId !== null) {
      const target = await this.#targetOnHost(instance, hostId);
      const { payload } = await this.#payloadFor(target, caller);
      await recorder.step({ name: 'stop', state: 'started', handle: { hostId: target.host.uuid } });
      const result = await this.#invoke(target, 'stop', payload);
      if (!result.success) {
        await this.#setState(instance.id, 'Running');
        await recorder.step({ name: 'stop', state: 'failed', detail: result.output });
        const message = failureMessage(`Stopping VM ${instance.uuid} on the external system failed`, result, payload);
        await this.#context.recordEvent(caller, { type: EVENT_TYPES[operation], description: `Failed to stop ${instance.instance_name}: ${message}`, outcome: 'failure', resourceType: 'VirtualMachine', resourceId: instance.uuid });
        throw new OrchestratorError('internal', message);
      }
      await recorder.step({ name: 'stop', state: 'done' });
    }
    await this.#db
      .updateTable('instances')
      .set({ state: 'Stopped', power_state: 'PowerOff', power_state_updated: this.#context.nowIso(), host_id: null, last_host_id: hostId })
      .where('id', '=', instance.id)
      .execute();
    await this.#context.recordEvent(caller, { type: 'VM.STOP', description: `Stopped instance ${instance.instance_name}`, outcome: 'success', resourceType: 'VirtualMachine', resourceId: instance.uuid });
  }

  async #doReboot(caller: Caller, instanceId: number, recorder: JobRecorder): Promise<void> {
    const instance = await this.#row(instanceId);
    if (instance.state !== 'Running' || instance.host_id === null) throw invalidParameter(`Instance ${instance.instance_name} is not running and cannot be rebooted`, 'id');
    const target = await this.#targetOnHost(instance, instance.host_id);
    const { payload } = await this.#payloadFor(target, caller);
    await recorder.step({ name: 'reboot', state: 'started', handle: { hostId: target.host.uuid } });
    const result = await this.#invoke(target, 'reboot', payload);
    if (!result.success) {
      await recorder.step({ name: 'reboot', state: 'failed', detail: result.output });
      const message = failureMessage(`Rebooting VM ${instance.uuid} on the external system failed`, result, payload);
      await this.#context.recordEvent(caller, { type: 'VM.REBOOT', description: `Failed to reboot ${instance.instance_name}: ${message}`, outcome: 'failure', resourceType: 'VirtualMachine', resourceId: instance.uuid });
      throw new OrchestratorError('internal', message);
    }
    await recorder.step({ name: 'reboot', state: 'done' });
    await this.#context.recordEvent(caller, { type: 'VM.REBOOT', description: `Rebooted instance ${instance.instance_name}`, outcome: 'success', resourceType: 'VirtualMachine', resourceId: instance.uuid });
  }

  async #doDestroy(caller: Caller, instanceId: number, expunge: boolean, recorder: JobRecorder, resuming: boolean): Promise<void> {
    let instance = await this.#row(instanceId);
    if (instance.state === 'Running' || instance.state === 'Stopping') {
      await this.#doStop(caller, instanceId, recorder, resuming, 'destroy');
      instance = await this.#row(instanceId);
    }
    if (instance.state === 'Stopped' || instance.state === 'Error') {
      await this.#setState(instance.id, 'Destroyed');
      await recorder.step({ name: 'destroy', state: 'done' });
      await this.#context.recordEvent(caller, { type: 'VM.DESTROY', description: `Destroyed instance ${instance.instance_name}`, outcome: 'success', resourceType: 'VirtualMachine', resourceId: instance.uuid });
    }
    if (expunge) await this.#doExpunge(caller, instanceId, recorder, resuming);
  }

  async #doExpunge(caller: Caller, instanceId: number, recorder: JobRecorder, resuming: boolean): Promise<void> {
    let instance = await this.#row(instanceId);
    if (instance.removed !== null) return;
    if (resuming && instance.state === 'Expunging') {
      await this.#setState(instance.id, 'Destroyed');
      instance = await this.#row(instanceId);
    }
    if (instance.state !== 'Destroyed') throw invalidParameter(`Instance ${instance.instance_name} must be destroyed before it can be expunged`, 'id');
    await this.#setState(instance.id, 'Expunging');
    const hostId = instance.host_id ?? instance.last_host_id;
    // An instance that never ran anywhere has nothing to delete on the external side.
    if (hostId !== null) {
      const target = await this.#targetOnHost(instance, hostId);
      const { payload } = await this.#payloadFor(target, caller);
      await recorder.step({ name: 'delete', state: 'started', handle: { hostId: target.host.uuid } });
      const result = await this.#invoke(target, 'delete', payload);
      if (!result.success) {
        await this.#setState(instance.id, 'Destroyed');
        await recorder.step({ name: 'delete', state: 'failed', detail: result.output });
        const message = failureMessage(`Expunging VM ${instance.uuid} on the external system failed`, result, payload);
        await this.#context.recordEvent(caller, { type: 'VM.EXPUNGE', description: `Failed to expunge ${instance.instance_name}: ${message}`, outcome: 'failure', resourceType: 'VirtualMachine', resourceId: instance.uuid });
        throw new OrchestratorError('internal', message);
      }
      await recorder.step({ name: 'delete', state: 'done' });
    }
    await this.#db.transaction().execute(async (trx) => {
      // Releasing the NICs frees their IPs and MACs.
      await this.#infrastructure.releaseNics(trx, instance.id);
      await trx.updateTable('instances').set({ removed: this.#context.nowIso(), host_id: null, instance_name: `${instance.instance_name}#${instance.uuid}` }).where('id', '=', instance.id).execute();
    });
    await this.#context.recordEvent(caller, { type: 'VM.EXPUNGE', description: `Expunged instance ${instance.instance_name}`, outcome: 'success', resourceType: 'VirtualMachine', resourceId: instance.uuid });
  }

  // ---------------------------------------------------------------- placement, payloads, invocation

  /** The extension the instance's template is registered to: the one placement looks for. */
  async #templateExtension(instance: InstanceRow): Promise<ExtensionRow | undefined> {
    const template = await this.#db.selectFrom('templates').select('extension_id').where('id', '=', instance.template_id).executeTakeFirstOrThrow();
    return this.#extensions.extensionRow(template.extension_id);
  }

  /** CloudStack's External planner ([ESP] `plan`): last host, else a random Up host of a registered cluster. */
  async #place(instance: InstanceRow, extension: ExtensionRow | undefined, hostUuid: string | undefined): Promise<InvocationTarget> {
    const noDestination = () =>
      new OrchestratorError('insufficient-capacity', `Unable to create a deployment for VM instance {"id":${instance.id},"name":"${instance.instance_name}","uuid":"${instance.uuid}"}`);
    if (!extension || !this.#extensions.isUsable(extension)) throw noDestination();
    if (hostUuid) {
      const host = await this.#db.selectFrom('hosts').selectAll().where('uuid', '=', hostUuid).where('removed', 'is', null).executeTakeFirst();
      if (!host) throw notFound('host', hostUuid, 'hostid');
      const target = await this.#targetOnHost(instance, host.id);
      if (target.extension.id !== extension.id) throw invalidParameter(`Host ${hostUuid} is not in a cluster registered to extension ${extension.name}`, 'hostid');
      return target;
    }
    if (instance.last_host_id !== null) {
      const last = await this.#db.selectFrom('hosts').selectAll().where('id', '=', instance.last_host_id).where('removed', 'is', null).executeTakeFirst();
      if (last) return this.#targetOnHost(instance, last);
    }
    const offering = await this.#db.selectFrom('service_offerings').select('host_tags').where('id', '=', instance.service_offering_id).executeTakeFirstOrThrow();
    const tag = offering.host_tags?.split(',')[0]?.trim() || undefined;
    const clusters = await this.#db
      .selectFrom('clusters as c')
      .innerJoin('extension_resource_map as m', (join) => join.onRef('m.resource_id', '=', 'c.id').on('m.resource_type', '=', 'Cluster'))
      .select(['c.id'])
      .where('m.extension_id', '=', extension.id)
      .where('c.zone_id', '=', instance.zone_id)
      .where('c.allocation_state', '=', 'Enabled')
      .where('c.hypervisor', '=', 'External')
      .where('c.removed', 'is', null)
      .orderBy('c.id')
      .execute();
    let chosen: HostRow | undefined;
    for (const cluster of clusters) {
      const hosts = await this.#db
        .selectFrom('hosts')
        .selectAll()
        .where('cluster_id', '=', cluster.id)
        .where('status', '=', 'Up')
        .where('resource_state', '=', 'Enabled')
        .where('removed', 'is', null)
        .execute();
      if (tag) {
        const tagged = hosts.find((host) => host.host_tags.split(',').includes(tag));
        if (tagged) chosen = tagged;
        continue;
      }
      if (hosts.length > 0) {
        chosen = hosts[Math.floor(Math.random() * hosts.length)];
        break;
      }
    }
    if (!chosen) throw noDestination();
    return this.#targetOnHost(instance, chosen);
  }

  /** The invocation target on a host, given by id or as the row the caller has just read. */
  async #targetOnHost(instance: InstanceRow, hostOrId: number | HostRow): Promise<InvocationTarget> {
    const host = typeof hostOrId === 'number' ? await this.#db.selectFrom('hosts').selectAll().where('id', '=', hostOrId).executeTakeFirst() : hostOrId;
    if (!host) throw new OrchestratorError('unavailable', `Host of instance ${instance.instance_name} no longer exists`);
    const registration = await this.#extensions.extensionOfCluster(host.cluster_id);
    if (!registration) throw new OrchestratorError('unavailable', 'Extension not connected');
    if (registration.extension.state !== 'Enabled') throw new OrchestratorError('unavailable', 'Extension is disabled');
    if (registration.extension.path_ready !== 1) throw new OrchestratorError('unavailable', 'Extension is not ready');
    return {
      instance,
      host,
      extension: registration.extension,
      entry: this.#extensions.entryPoint(registration.extension),
      registrationDetails: registration.registrationDetails,
    };
  }

  async #payloadFor(
    target: InvocationTarget,
    caller: Caller | null,
    customAction?: { name: string; details: DetailMap; parameters: Record<string, unknown> },
  ): Promise<{ payload: Record<string, unknown>; vmTO: Record<string, unknown>; instance: InstanceRow }> {
    const instance = await this.#row(target.instance.id);
    const offering = await this.#db.selectFrom('service_offerings').selectAll().where('id', '=', instance.service_offering_id).executeTakeFirstOrThrow();
    const nics = await this.#db
      .selectFrom('nics as n')
      .innerJoin('networks as w', 'w.id', 'n.network_id')
      .select(['n.uuid', 'n.device_id', 'n.mac', 'n.ip', 'n.ip6', 'n.is_default', 'w.uuid as network_uuid', 'w.vlan', 'w.netmask', 'w.gateway', 'w.dns1', 'w.dns2'])
      .where('n.instance_id', '=', instance.id)
      .orderBy('n.device_id')
      .execute();
    const payloadNics: PayloadNic[] = nics.map((nic) => ({
      nicUuid: nic.uuid,
      networkUuid: nic.network_uuid,
      deviceId: nic.device_id,
      mac: nic.mac,
      ip: nic.ip,
      ip6: nic.ip6,
      netmask: nic.ip ? nic.netmask : null,
      gateway: nic.ip ? nic.gateway : null,
      dns1: nic.dns1,
      dns2: nic.dns2,
      vlan: nic.vlan,
      isDefault: nic.is_default === 1,
    }));
    const inputs = {
      instance,
      vncPassword: this.#context.secrets.open(instance.vnc_password),
      vmDetails: parseDetails(instance.details),
      offering: { cpuNumber: offering.cpu_number, cpuSpeed: offering.cpu_speed, memoryMiB: offering.memory, externalDetails: parseDetails(offering.external_details) },
      nics: payloadNics,
      host: target.host,
      hostDetails: this.#infrastructure.openHostDetails(target.host.external_details),
      registrationDetails: target.registrationDetails,
      extensionDetails: parseDetails(target.extension.details),
      caller: caller ? await this.#payloadCaller(caller) : null,
      ...(customAction ? { customAction } : {}),
    };
    const vmTO = buildVirtualMachineTO(inputs);
    return { payload: buildPayload(inputs, vmTO), vmTO, instance };
  }

  async #payloadCaller(caller: Caller): Promise<Record<string, string>> {
    return { id: caller.accountId, name: caller.accountName, type: caller.accountType, roleid: caller.roleId, rolename: caller.roleName, roletype: caller.roleType };
  }

  /** One extension invocation, within the host's concurrency bound, retried as the policy says. */
  async #invoke(target: InvocationTarget, action: string, payload: Record<string, unknown>, timeoutSeconds?: number): Promise<InvocationResult> {
    const policy = this.#context.policy;
    const attempts = Math.max(1, policy.attempts[action] ?? 1);
    let result: InvocationResult | undefined;
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      result = await this.#hostSlots.run(String(target.host.id), () =>
        this.#runner.run(target.entry, action, payload, timeoutSeconds ?? policy.actionTimeoutSeconds),
      );
      if (result.success) return result;
      if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, policy.retryBackoffMs * attempt));
    }
    this.#context.logger.warn({ action, extension: target.extension.name, host: target.host.uuid, instance: target.instance.uuid, durationMs: result?.durationMs }, 'extension action failed');
    return result as InvocationResult;
  }

  /** Power state of one instance as its extension reports it (`status`), for recovery. */
  async #probe(instance: InstanceRow): Promise<'PowerOn' | 'PowerOff' | 'PowerUnknown'> {
    const hostId = instance.host_id ?? instance.last_host_id;
    if (hostId === null) return 'PowerUnknown';
    try {
      const target = await this.#targetOnHost(instance, hostId);
      const { payload } = await this.#payloadFor(target, null);
      const result = await this.#invoke(target, 'status', payload);
      return parsePowerState(result.success, result.output);
    } catch {
      return 'PowerUnknown';
    }
  }

  // ---------------------------------------------------------------- used by power sync

  /** Instances whose current or last host is `hostId` (CloudStack polls both), not destroyed. */
  async instancesOfHost(hostId: number): Promise<InstanceRow[]> {
    return this.#db
      .selectFrom('instances')
      .selectAll()
      .where('removed', 'is', null)
      .where((eb) => eb.or([eb('host_id', '=', hostId), eb.and([eb('host_id', 'is', null), eb('last_host_id', '=', hostId)])]))
      .where('state', 'not in', ['Destroyed', 'Expunging'])
      .orderBy('id')
      .execute();
  }

  /** Runs an action for a host: `statuses` (no instance) or `status` (one instance). */
  async invokeForHost(host: HostRow, action: 'statuses'): Promise<InvocationResult | null>;
  async invokeForHost(host: HostRow, action: 'status', instance: InstanceRow): Promise<InvocationResult | null>;
  async invokeForHost(host: HostRow, action: 'status' | 'statuses', instance?: InstanceRow): Promise<InvocationResult | null> {
    const registration = await this.#extensions.extensionOfCluster(host.cluster_id);
    if (!registration || !this.#extensions.isUsable(registration.extension)) return null;
    const entry = this.#extensions.entryPoint(registration.extension);
    const hostDetails = this.#infrastructure.openHostDetails(host.external_details);
    if (action === 'statuses' || !instance) {
      const groups: Record<string, DetailMap> = {};
      if (Object.keys(hostDetails).length > 0) groups.host = hostDetails;
      if (Object.keys(registration.registrationDetails).length > 0) groups.resourcemap = registration.registrationDetails;
      const extensionDetails = parseDetails(registration.extension.details);
      if (Object.keys(extensionDetails).length > 0) groups.extension = extensionDetails;
      const payload = Object.keys(groups).length > 0 ? { externaldetails: groups } : {};
      return this.#hostSlots.run(String(host.id), () => this.#runner.run(entry, 'statuses', payload, this.#context.policy.actionTimeoutSeconds));
    }
    const target: InvocationTarget = { instance, host, extension: registration.extension, entry, registrationDetails: registration.registrationDetails };
    const { payload } = await this.#payloadFor(target, null);
    return this.#invoke(target, 'status', payload);
  }

  /** Runs `work` under the instance lock unless an operation holds it (then returns undefined). */
  async whenIdle<T>(instanceUuid: string, work: () => Promise<T>): Promise<T | undefined> {
    return this.#instanceLocks.runIfIdle(instanceUuid, work);
  }

  // ---------------------------------------------------------------- custom actions (CustomActionExecutor)

  async extensionOfInstance(caller: Caller, instanceUuid: string): Promise<ExtensionRow | null> {
    const instance = await this.#accessibleRow(caller, instanceUuid);
    const hostId = instance.host_id ?? instance.last_host_id;
    if (hostId === null) return null;
    const host = await this.#db.selectFrom('hosts').select('cluster_id').where('id', '=', hostId).executeTakeFirst();
    if (!host) return null;
    return (await this.#extensions.extensionOfCluster(host.cluster_id))?.extension ?? null;
  }

  async runCustomAction(
    caller: Caller,
    instanceUuid: string,
    action: { name: string; timeout: number; details: DetailMap },
    parameters: Record<string, unknown>,
  ): Promise<{ extension: ExtensionRow; instanceName: string; result: InvocationResult }> {
    const instance = await this.#accessibleRow(caller, instanceUuid);
    const hostId = instance.host_id ?? instance.last_host_id;
    if (hostId === null) throw new OrchestratorError('internal', 'Internal error running action');
    const target = await this.#targetOnHost(instance, hostId);
    const { payload } = await this.#payloadFor(target, caller, { name: action.name, details: action.details, parameters });
    const result = await this.#hostSlots.run(String(target.host.id), () => this.#runner.run(target.entry, action.name, payload, action.timeout));
    return { extension: target.extension, instanceName: instance.instance_name, result };
  }

  // ---------------------------------------------------------------- console (orchestrator.md §8)

  /** Runs the extension's `getconsole` for an instance the caller may act on and reads its answer (§5.6). */
  async console(caller: Caller, id: string): Promise<InstanceConsole> {
    const instance = await this.#accessibleRow(caller, id);
    if (instance.state !== 'Running' || instance.host_id === null) throw invalidParameter(`Instance ${instance.instance_name} is not running`, 'virtualmachineid');
    const host = await this.#db.selectFrom('hosts').selectAll().where('id', '=', instance.host_id).executeTakeFirst();
    if (!host) throw new OrchestratorError('unavailable', `Host of instance ${instance.instance_name} no longer exists`);
    const registration = await this.#extensions.extensionOfCluster(host.cluster_id);
    if (!registration || registration.extension.type !== 'Orchestrator' || registration.extension.state !== 'Enabled') {
      throw new OrchestratorError('unavailable', `No enabled orchestrator extension found for the host: ${host.name}`);
    }
    const target = await this.#targetOnHost(instance, host.id);
    const { payload } = await this.#payloadFor(target, caller);
    const result = await this.#invoke(target, 'getconsole', payload);
    const fail = async (message: string): Promise<never> => {
      await this.#context.recordEvent(caller, { type: CONSOLE_EVENT, description: `Failed to get the console of ${instance.instance_name}: ${message}`, outcome: 'failure', resourceType: 'VirtualMachine', resourceId: instance.uuid });
      throw new OrchestratorError('internal', message);
    };
    if (!result.success) return fail(failureMessage(`Failed to get console for VM ${instance.uuid}`, result, payload));
    let answer: InstanceConsole;
    try {
      answer = parseConsoleOutput(result.output);
    } catch (error) {
      if (error instanceof ConsoleOutputError) return fail(error.message);
      throw error;
    }
    await this.#context.recordEvent(caller, { type: CONSOLE_EVENT, description: `Opened a ${answer.protocol} console to instance ${instance.instance_name}`, outcome: 'success', resourceType: 'VirtualMachine', resourceId: instance.uuid });
    return answer;
  }

  // ---------------------------------------------------------------- helpers

  async #row(id: number): Promise<InstanceRow> {
    return this.#db.selectFrom('instances').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  }

  async #setState(id: number, state: InstanceState): Promise<void> {
    await this.#db.updateTable('instances').set({ state }).where('id', '=', id).execute();
  }

  /** The instance if the caller may act on it (ownership: users only their own account's). */
  async #accessibleRow(caller: Caller, uuid: string): Promise<InstanceRow> {
    const row = await this.#db
      .selectFrom('instances as i')
      .innerJoin('accounts as a', 'a.id', 'i.account_id')
      .innerJoin('domains as d', 'd.id', 'a.domain_id')
      .selectAll('i')
      .select(['a.uuid as account_uuid', 'd.path as domain_path'])
      .where('i.uuid', '=', uuid)
      .where('i.removed', 'is', null)
      .executeTakeFirst();
    if (!row || !canAccessOwner(caller, { accountId: row.account_uuid, domainPath: row.domain_path })) throw notFound('virtual machine', uuid, 'id');
    const { account_uuid: _account, domain_path: _path, ...instance } = row;
    return instance;
  }
}

