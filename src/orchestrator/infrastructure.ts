import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable, Transaction } from 'kysely';
import { sql } from 'kysely';
import type { Database, NetworksTable } from '../store/schema.ts';
import { canAccessOwner, requireAdmin } from './access.ts';
import type { Caller } from './caller.ts';
import type { ServiceContext } from './context.ts';
import { conflict, invalidParameter, notFound, OrchestratorError } from './errors.ts';
import type { ExtensionsServiceImpl } from './extensions/service.ts';
import type {
  AddClusterInput,
  AddHostInput,
  CreateNetworkInput,
  CreateNetworkOfferingInput,
  CreatePodInput,
  CreateServiceOfferingInput,
  CreateZoneInput,
  InfrastructureService,
  UpdateHostInput,
} from './services.ts';
import { cidrOf, hostAddressesFrom, hostAddressIndex, ipToInt, macFromCounter, maskSecrets, nameBasedUuid } from './support/addresses.ts';
import { LocalLocks, type KeyedLocks } from './cluster/locks.ts';
import { parseDetails, stringifyDetails } from './support/json.ts';
import { keywordPattern, pageOf } from './support/paging.ts';
import type {
  AllocationState,
  Cluster,
  DetailMap,
  GuestIpType,
  Host,
  HostResourceState,
  HostStatus,
  ListOptions,
  Network,
  NetworkOffering,
  Page,
  Pod,
  ServiceOffering,
  Zone,
} from './types.ts';

const GUEST_IP_TYPES: readonly GuestIpType[] = ['L2', 'Isolated', 'Shared'];
const MAC_SEQUENCE = 'nic_mac';
/** Addresses checked per query when looking for a free one. */
const ADDRESS_SEARCH_BATCH = 64;

function requireText(value: string | undefined, parameter: string, label = parameter): string {
  const trimmed = value?.trim();
  if (!trimmed) throw invalidParameter(`${label} is required`, parameter);
  return trimmed;
}

function checkedIp(value: string | undefined, parameter: string): string | null {
  if (value === undefined || value.trim() === '') return null;
  if (ipToInt(value) === null) throw invalidParameter(`Invalid IPv4 address ${value}`, parameter);
  return value.trim();
}

/** Zones, pods, clusters, hosts, offerings and guest networks, with IP/MAC allocation for NICs. */
export class InfrastructureServiceImpl implements InfrastructureService {
  readonly #context: ServiceContext;
  readonly #extensions: ExtensionsServiceImpl;
  /** IP allocation is serialised per network (the unique index is the backstop). */
  readonly #networkLocks: KeyedLocks;
  /**
   * Per network, where the next search for a free address starts: every address before it is in use (as far as
   * this process knows: a release elsewhere only means a higher address is handed out; the query decides).
   */
  readonly #addressCursors = new Map<number, number>();

  constructor(context: ServiceContext, extensions: ExtensionsServiceImpl, networkLocks: KeyedLocks = new LocalLocks()) {
    this.#networkLocks = networkLocks;
    this.#context = context;
    this.#extensions = extensions;
  }

  get #db(): Kysely<Database> {
    return this.#context.db;
  }

  // ---------------------------------------------------------------- zones and pods

  async listZones(caller: Caller, filter: ListOptions & { id?: string; name?: string } = {}): Promise<Page<Zone>> {
    void caller;
    let query = this.#db.selectFrom('zones').selectAll().where('removed', 'is', null);
    if (filter.id) query = query.where('uuid', '=', filter.id);
    if (filter.name) query = query.where('name', '=', filter.name);
    if (filter.keyword) query = query.where(sql`lower(name)`, 'like', keywordPattern(filter.keyword));
    const rows = await query.orderBy('id').execute();
    return pageOf(
      rows.map(
        (row): Zone => ({
          id: row.uuid,
          name: row.name,
          description: row.description,
          networkType: row.network_type as Zone['networkType'],
          dns1: row.dns1,
          dns2: row.dns2,
          internalDns1: row.internal_dns1,
          internalDns2: row.internal_dns2,
          guestCidrAddress: row.guest_cidr,
          allocationState: row.allocation_state as AllocationState,
          created: row.created,
        }),
      ),
      filter,
    );
  }

  async createZone(caller: Caller, input: CreateZoneInput): Promise<Zone> {
    requireAdmin(caller);
    const name = requireText(input.name, 'name');
    const networkType = input.networkType ?? 'Advanced';
    if (networkType !== 'Advanced' && networkType !== 'Basic') throw invalidParameter(`Invalid network type ${String(networkType)}`, 'networktype');
    const dns1 = checkedIp(input.dns1, 'dns1');
    if (!dns1) throw invalidParameter('dns1 is required', 'dns1');
    const internalDns1 = checkedIp(input.internalDns1, 'internaldns1');
    if (!internalDns1) throw invalidParameter('internaldns1 is required', 'internaldns1');
    const duplicate = await this.#db.selectFrom('zones').select('id').where('name', '=', name).where('removed', 'is', null).executeTakeFirst();
    if (duplicate) throw conflict(`A zone with name ${name} already exists`, 'name');
    const row = await this.#db
      .insertInto('zones')
      .values({
        uuid: randomUUID(),
        name,
        description: input.description ?? null,
        network_type: networkType,
        dns1,
        dns2: checkedIp(input.dns2, 'dns2'),
        internal_dns1: internalDns1,
        internal_dns2: checkedIp(input.internalDns2, 'internaldns2'),
        guest_cidr: input.guestCidrAddress ?? null,
        allocation_state: 'Enabled',
        created: this.#context.nowIso(),
        removed: null,
      })
      .returning('uuid')
      .executeTakeFirstOrThrow();
    await this.#context.recordEvent(caller, { type: 'ZONE.CREATE', description: `Created zone ${name}`, outcome: 'success', resourceType: 'Zone', resourceId: row.uuid });
    return this.#one(await this.listZones(caller, { id: row.uuid }));
  }

  async deleteZone(caller: Caller, id: string): Promise<void> {
    requireAdmin(caller);
    const zone = await this.#zone(id, 'id');
    const pod = await this.#db.selectFrom('pods').select('id').where('zone_id', '=', zone.id).where('removed', 'is', null).executeTakeFirst();
    if (pod) throw invalidParameter('The zone is not deletable because there are pods in this zone', 'id');
    await this.#db.updateTable('zones').set({ removed: this.#context.nowIso() }).where('id', '=', zone.id).execute();
  }

  async listPods(caller: Caller, filter: ListOptions & { id?: string; name?: string; zoneId?: string } = {}): Promise<Page<Pod>> {
    requireAdmin(caller);
    let query = this.#db
      .selectFrom('pods as p')
      .innerJoin('zones as z', 'z.id', 'p.zone_id')
      .selectAll('p')
      .select(['z.uuid as zone_uuid', 'z.name as zone_name'])
      .where('p.removed', 'is', null);
    if (filter.id) query = query.where('p.uuid', '=', filter.id);
    if (filter.name) query = query.where('p.name', '=', filter.name);
    if (filter.zoneId) query = query.where('z.uuid', '=', filter.zoneId);
    if (filter.keyword) query = query.where(sql`lower(p.name)`, 'like', keywordPattern(filter.keyword));
    const rows = await query.orderBy('p.id').execute();
    return pageOf(
      rows.map(
        (row): Pod => ({
          id: row.uuid,
          name: row.name,
          zoneId: row.zone_uuid,
          zoneName: row.zone_name,
          gateway: row.gateway,
          netmask: row.netmask,
          startIp: row.start_ip,
          endIp: row.end_ip,
          allocationState: row.allocation_state as AllocationState,
          created: row.created,
        }),
      ),
      filter,
    );
  }

  async createPod(caller: Caller, input: CreatePodInput): Promise<Pod> {
    requireAdmin(caller);
    const name = requireText(input.name, 'name');
    const zone = await this.#zone(input.zoneId, 'zoneid');
    const duplicate = await this.#db.selectFrom('pods').select('id').where('zone_id', '=', zone.id).where('name', '=', name).where('removed', 'is', null).executeTakeFirst();
    if (duplicate) throw conflict(`A pod with name ${name} already exists in zone ${zone.name}`, 'name');
    const row = await this.#db
      .insertInto('pods')
      .values({
        uuid: randomUUID(),
        name,
        zone_id: zone.id,
        gateway: checkedIp(input.gateway, 'gateway'),
        netmask: checkedIp(input.netmask, 'netmask'),
        start_ip: checkedIp(input.startIp, 'startip'),
        end_ip: checkedIp(input.endIp, 'endip'),
        allocation_state: 'Enabled',
        created: this.#context.nowIso(),
        removed: null,
      })
      .returning('uuid')
      .executeTakeFirstOrThrow();
    return this.#one(await this.listPods(caller, { id: row.uuid }));
  }

  async deletePod(caller: Caller, id: string): Promise<void> {
    requireAdmin(caller);
    const pod = await this.#db.selectFrom('pods').selectAll().where('uuid', '=', id).where('removed', 'is', null).executeTakeFirst();
    if (!pod) throw notFound('pod', id, 'id');
    const cluster = await this.#db.selectFrom('clusters').select('id').where('pod_id', '=', pod.id).where('removed', 'is', null).executeTakeFirst();
    if (cluster) throw invalidParameter('The pod is not deletable because there are clusters in this pod', 'id');
    await this.#db.updateTable('pods').set({ removed: this.#context.nowIso() }).where('id', '=', pod.id).execute();
  }

  // ---------------------------------------------------------------- clusters

  async listClusters(
    caller: Caller,
    filter: ListOptions & { id?: string; name?: string; zoneId?: string; podId?: string; hypervisor?: string; extensionId?: string } = {},
  ): Promise<Page<Cluster>> {
    requireAdmin(caller);
    let query = this.#db
      .selectFrom('clusters as c')
      .innerJoin('zones as z', 'z.id', 'c.zone_id')
      .innerJoin('pods as p', 'p.id', 'c.pod_id')
      .leftJoin('extension_resource_map as m', (join) => join.onRef('m.resource_id', '=', 'c.id').on('m.resource_type', '=', 'Cluster'))
      .leftJoin('extensions as e', 'e.id', 'm.extension_id')
      .selectAll('c')
      .select(['z.uuid as zone_uuid', 'z.name as zone_name', 'p.uuid as pod_uuid', 'p.name as pod_name', 'e.uuid as extension_uuid', 'e.name as extension_name'])
      .where('c.removed', 'is', null);
    if (filter.id) query = query.where('c.uuid', '=', filter.id);
    if (filter.name) query = query.where('c.name', '=', filter.name);
    if (filter.zoneId) query = query.where('z.uuid', '=', filter.zoneId);
    if (filter.podId) query = query.where('p.uuid', '=', filter.podId);
    if (filter.hypervisor) query = query.where('c.hypervisor', '=', filter.hypervisor);
    if (filter.extensionId) query = query.where('e.uuid', '=', filter.extensionId);
    if (filter.keyword) query = query.where(sql`lower(c.name)`, 'like', keywordPattern(filter.keyword));
    const rows = await query.orderBy('c.id').execute();
    return pageOf(
      rows.map(
        (row): Cluster => ({
          id: row.uuid,
          name: row.name,
          zoneId: row.zone_uuid,
          zoneName: row.zone_name,
          podId: row.pod_uuid,
          podName: row.pod_name,
          hypervisor: 'External',
          clusterType: 'CloudManaged',
          allocationState: row.allocation_state as AllocationState,
          extensionId: row.extension_uuid,
          extensionName: row.extension_name,
          created: row.created,
        }),
      ),
      filter,
    );
  }

  async addCluster(caller: Caller, input: AddClusterInput): Promise<Cluster> {
    requireAdmin(caller);
    const name = requireText(input.name, 'clustername', 'Cluster name');
    if (input.hypervisor !== 'External') throw invalidParameter(`Unsupported hypervisor type ${input.hypervisor}: only External is supported`, 'hypervisor');
    if (input.clusterType !== undefined && input.clusterType !== 'CloudManaged') throw invalidParameter(`Invalid cluster type ${input.clusterType}`, 'clustertype');
    const zone = await this.#zone(input.zoneId, 'zoneid');
    const pod = await this.#db.selectFrom('pods').selectAll().where('uuid', '=', input.podId).where('removed', 'is', null).executeTakeFirst();
    if (!pod) throw notFound('pod', input.podId, 'podid');
    if (pod.zone_id !== zone.id) throw invalidParameter(`Pod ${pod.uuid} does not belong to zone ${zone.uuid}`, 'podid');
    const extension = input.extensionId ? await this.#extensions.extensionRowByUuid(input.extensionId) : undefined;
    const duplicate = await this.#db.selectFrom('clusters').select('id').where('pod_id', '=', pod.id).where('name', '=', name).where('removed', 'is', null).executeTakeFirst();
    if (duplicate) throw conflict(`A cluster with name ${name} already exists in pod ${pod.name}`, 'clustername');
    const row = await this.#db
      .insertInto('clusters')
      .values({
        uuid: randomUUID(),
        name,
        zone_id: zone.id,
        pod_id: pod.id,
        hypervisor: 'External',
        cluster_type: 'CloudManaged',
        allocation_state: 'Enabled',
        created: this.#context.nowIso(),
        removed: null,
      })
      .returning(['id', 'uuid'])
      .executeTakeFirstOrThrow();
    if (extension) {
      try {
        await this.#extensions.registerWithCluster(extension, row.uuid, input.externalDetails ?? {});
      } catch (error) {
        await this.#db.deleteFrom('clusters').where('id', '=', row.id).execute();
        throw error;
      }
    }
    await this.#context.recordEvent(caller, { type: 'CLUSTER.CREATE', description: `Added cluster ${name}`, outcome: 'success', resourceType: 'Cluster', resourceId: row.uuid });
    return this.#one(await this.listClusters(caller, { id: row.uuid }));
  }

  async deleteCluster(caller: Caller, id: string): Promise<void> {
    requireAdmin(caller);
    const cluster = await this.#db.selectFrom('clusters').selectAll().where('uuid', '=', id).where('removed', 'is', null).executeTakeFirst();
    if (!cluster) throw notFound('cluster', id, 'id');
    const host = await this.#db.selectFrom('hosts').select('id').where('cluster_id', '=', cluster.id).where('removed', 'is', null).executeTakeFirst();
    if (host) throw invalidParameter('Cluster is not deletable because there are hosts in this cluster', 'id');
    await this.#db.deleteFrom('extension_resource_map').where('resource_id', '=', cluster.id).where('resource_type', '=', 'Cluster').execute();
    await this.#db.updateTable('clusters').set({ removed: this.#context.nowIso() }).where('id', '=', cluster.id).execute();
  }

  // ---------------------------------------------------------------- hosts

  /** Host external details in clear (for payloads only; never returned by the API). */
  openHostDetails(sealed: string): DetailMap {
    return parseDetails(this.#context.secrets.open(sealed));
  }

  async listHosts(
    caller: Caller,
    filter: ListOptions & { id?: string; name?: string; zoneId?: string; podId?: string; clusterId?: string; state?: string } = {},
  ): Promise<Page<Host>> {
    requireAdmin(caller);
    let query = this.#db
      .selectFrom('hosts as h')
      .innerJoin('zones as z', 'z.id', 'h.zone_id')
      .innerJoin('pods as p', 'p.id', 'h.pod_id')
      .innerJoin('clusters as c', 'c.id', 'h.cluster_id')
      .leftJoin('extension_resource_map as m', (join) => join.onRef('m.resource_id', '=', 'c.id').on('m.resource_type', '=', 'Cluster'))
      .leftJoin('extensions as e', 'e.id', 'm.extension_id')
      .selectAll('h')
      .select([
        'z.uuid as zone_uuid',
        'z.name as zone_name',
        'p.uuid as pod_uuid',
        'p.name as pod_name',
        'c.uuid as cluster_uuid',
        'c.name as cluster_name',
        'e.uuid as extension_uuid',
        'e.name as extension_name',
      ])
      .where('h.removed', 'is', null);
    if (filter.id) query = query.where('h.uuid', '=', filter.id);
    if (filter.name) query = query.where('h.name', '=', filter.name);
    if (filter.zoneId) query = query.where('z.uuid', '=', filter.zoneId);
    if (filter.podId) query = query.where('p.uuid', '=', filter.podId);
    if (filter.clusterId) query = query.where('c.uuid', '=', filter.clusterId);
    if (filter.state) query = query.where('h.status', '=', filter.state);
    if (filter.keyword) query = query.where(sql`lower(h.name)`, 'like', keywordPattern(filter.keyword));
    const rows = await query.orderBy('h.id').execute();
    return pageOf(
      rows.map(
        (row): Host => ({
          id: row.uuid,
          name: row.name,
          zoneId: row.zone_uuid,
          zoneName: row.zone_name,
          podId: row.pod_uuid,
          podName: row.pod_name,
          clusterId: row.cluster_uuid,
          clusterName: row.cluster_name,
          hypervisor: 'External',
          type: 'Routing',
          state: row.status as HostStatus,
          resourceState: row.resource_state as HostResourceState,
          ipAddress: 'External',
          url: row.url,
          guid: row.guid,
          hostTags: row.host_tags ? row.host_tags.split(',').filter((tag) => tag !== '') : [],
          externalDetails: maskSecrets(this.openHostDetails(row.external_details)),
          extensionId: row.extension_uuid,
          extensionName: row.extension_name,
          cpuNumber: 0,
          memoryTotal: 0,
          lastPinged: row.last_pinged,
          created: row.created,
        }),
      ),
      filter,
    );
  }

  async addHost(caller: Caller, input: AddHostInput): Promise<Host> {
    requireAdmin(caller);
    if (input.hypervisor !== 'External') throw invalidParameter(`Unsupported hypervisor type ${input.hypervisor}: only External is supported`, 'hypervisor');
    const url = requireText(input.url, 'url', 'Host URL');
    if (!input.clusterId) throw invalidParameter('clusterid is required for External hosts', 'clusterid');
    if (!input.podId) throw invalidParameter('podid is required for External hosts', 'podid');
    const zone = await this.#zone(input.zoneId, 'zoneid');
    const cluster = await this.#db.selectFrom('clusters').selectAll().where('uuid', '=', input.clusterId).where('removed', 'is', null).executeTakeFirst();
    if (!cluster) throw notFound('cluster', input.clusterId, 'clusterid');
    const pod = await this.#db.selectFrom('pods').selectAll().where('uuid', '=', input.podId).where('removed', 'is', null).executeTakeFirst();
    if (!pod) throw notFound('pod', input.podId, 'podid');
    if (cluster.pod_id !== pod.id || pod.zone_id !== zone.id) throw invalidParameter('The cluster does not belong to the given pod and zone', 'clusterid');
    if (cluster.hypervisor !== 'External') throw invalidParameter(`Cluster ID: ${cluster.uuid} is not of External hypervisor type`, 'clusterid');
    const registration = await this.#extensions.extensionOfCluster(cluster.id);
    if (!registration) throw invalidParameter(`No extension is registered with cluster: ${cluster.name}`, 'clusterid');
    const guid = `External:${nameBasedUuid(url)}`;
    const duplicate = await this.#db.selectFrom('hosts').select('id').where('guid', '=', guid).where('removed', 'is', null).executeTakeFirst();
    if (duplicate) throw conflict(`A host with url ${url} already exists`, 'url');
    const name = input.name?.trim() || url.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '') || url;
    const row = await this.#db
      .insertInto('hosts')
      .values({
        uuid: randomUUID(),
        name,
        zone_id: zone.id,
        pod_id: pod.id,
        cluster_id: cluster.id,
        url,
        guid,
        host_tags: (input.hostTags ?? []).map((tag) => tag.trim()).filter((tag) => tag !== '').join(','),
        external_details: this.#context.secrets.seal(stringifyDetails(input.externalDetails ?? {})),
        status: 'Down',
        resource_state: 'Enabled',
        last_pinged: null,
        created: this.#context.nowIso(),
        removed: null,
      })
      .returning(['id', 'uuid'])
      .executeTakeFirstOrThrow();
    await this.#checkHost(row.id);
    await this.#context.recordEvent(caller, { type: 'HOST.CREATE', description: `Added host ${name}`, outcome: 'success', resourceType: 'Host', resourceId: row.uuid });
    return this.#one(await this.listHosts(caller, { id: row.uuid }));
  }

  async updateHost(caller: Caller, id: string, input: UpdateHostInput): Promise<Host> {
    requireAdmin(caller);
    const host = await this.#db.selectFrom('hosts').selectAll().where('uuid', '=', id).where('removed', 'is', null).executeTakeFirst();
    if (!host) throw notFound('host', id, 'id');
    const changes: Partial<Selectable<Database['hosts']>> = {};
    if (input.name !== undefined && input.name.trim() !== '') changes.name = input.name.trim();
    if (input.hostTags !== undefined) changes.host_tags = input.hostTags.map((tag) => tag.trim()).filter((tag) => tag !== '').join(',');
    if (input.resourceState !== undefined) {
      if (input.resourceState !== 'Enabled' && input.resourceState !== 'Disabled') throw invalidParameter(`Invalid allocation state ${String(input.resourceState)}`, 'allocationstate');
      changes.resource_state = input.resourceState;
    }
    if (input.externalDetails !== undefined || input.cleanupExternalDetails) {
      const current = input.cleanupExternalDetails ? {} : this.openHostDetails(host.external_details);
      changes.external_details = this.#context.secrets.seal(stringifyDetails({ ...current, ...(input.externalDetails ?? {}) }));
    }
    if (Object.keys(changes).length > 0) await this.#db.updateTable('hosts').set(changes).where('id', '=', host.id).execute();
    await this.#context.recordEvent(caller, { type: 'HOST.UPDATE', description: `Updated host ${host.name}`, outcome: 'success', resourceType: 'Host', resourceId: host.uuid });
    return this.#one(await this.listHosts(caller, { id }));
  }

  async deleteHost(caller: Caller, id: string): Promise<void> {
    requireAdmin(caller);
    const host = await this.#db.selectFrom('hosts').selectAll().where('uuid', '=', id).where('removed', 'is', null).executeTakeFirst();
    if (!host) throw notFound('host', id, 'id');
    const instance = await this.#db
      .selectFrom('instances')
      .select('id')
      .where('host_id', '=', host.id)
      .where('removed', 'is', null)
      .where('state', 'not in', ['Stopped', 'Destroyed', 'Error'])
      .executeTakeFirst();
    if (instance) throw invalidParameter('Host has running instances; stop or migrate them before removing the host', 'id');
    await this.#db.updateTable('hosts').set({ removed: this.#context.nowIso() }).where('id', '=', host.id).execute();
  }

  /** CloudStack's `CheckHealth` for External hosts: healthy iff an enabled, ready extension is connected. */
  async #checkHost(hostId: number): Promise<'Up' | 'Down'> {
    const host = await this.#db.selectFrom('hosts').selectAll().where('id', '=', hostId).executeTakeFirstOrThrow();
    const registration = await this.#extensions.extensionOfCluster(host.cluster_id);
    const healthy =
      registration !== null && this.#extensions.isUsable(registration.extension) && (await this.#extensions.entryPointAvailable(registration.extension));
    const state = healthy ? 'Up' : 'Down';
    await this.#db.updateTable('hosts').set({ status: state, last_pinged: this.#context.nowIso() }).where('id', '=', hostId).execute();
    if (state !== host.status && host.status !== 'Down') {
      await this.#context.recordEvent(null, { type: 'HOST.STATE', description: `Host ${host.name} is ${state}`, outcome: healthy ? 'success' : 'failure', resourceType: 'Host', resourceId: host.uuid });
    }
    return state;
  }

  /** Every host, or those `sweeps` gives this node when several nodes share the database (ADR 0064). */
  async checkHostHealth(sweeps: (hostId: number) => boolean = () => true): Promise<Array<{ hostId: string; state: 'Up' | 'Down' }>> {
    await this.#extensions.refreshPathState();
    const hosts = await this.#db.selectFrom('hosts').select(['id', 'uuid']).where('removed', 'is', null).orderBy('id').execute();
    const results: Array<{ hostId: string; state: 'Up' | 'Down' }> = [];
    for (const host of hosts.filter((row) => sweeps(row.id))) results.push({ hostId: host.uuid, state: await this.#checkHost(host.id) });
    return results;
  }

  // ---------------------------------------------------------------- offerings

  async listServiceOfferings(caller: Caller, filter: ListOptions & { id?: string; name?: string } = {}): Promise<Page<ServiceOffering>> {
    void caller;
    let query = this.#db.selectFrom('service_offerings').selectAll().where('removed', 'is', null);
    if (filter.id) query = query.where('uuid', '=', filter.id);
    if (filter.name) query = query.where('name', '=', filter.name);
    if (filter.keyword) query = query.where(sql`lower(name)`, 'like', keywordPattern(filter.keyword));
    const rows = await query.orderBy('id').execute();
    return pageOf(
      rows.map(
        (row): ServiceOffering => ({
          id: row.uuid,
          name: row.name,
          displayText: row.display_text,
          cpuNumber: row.cpu_number,
          cpuSpeed: row.cpu_speed,
          memory: row.memory,
          hostTags: row.host_tags,
          externalDetails: parseDetails(row.external_details),
          created: row.created,
        }),
      ),
      filter,
    );
  }

  async createServiceOffering(caller: Caller, input: CreateServiceOfferingInput): Promise<ServiceOffering> {
    requireAdmin(caller);
    const name = requireText(input.name, 'name');
    const displayText = input.displayText?.trim() || name;
    const positive = (value: number, parameter: string) => {
      if (!Number.isInteger(value) || value < 1) throw invalidParameter(`${parameter} must be a positive integer`, parameter);
      return value;
    };
    const row = await this.#db
      .insertInto('service_offerings')
      .values({
        uuid: randomUUID(),
        name,
        display_text: displayText,
        cpu_number: positive(input.cpuNumber, 'cpunumber'),
        cpu_speed: positive(input.cpuSpeed, 'cpuspeed'),
        memory: positive(input.memory, 'memory'),
        host_tags: input.hostTags?.trim() || null,
        external_details: stringifyDetails(input.externalDetails ?? {}),
        created: this.#context.nowIso(),
        removed: null,
      })
      .returning('uuid')
      .executeTakeFirstOrThrow();
    return this.#one(await this.listServiceOfferings(caller, { id: row.uuid }));
  }

  async deleteServiceOffering(caller: Caller, id: string): Promise<void> {
    requireAdmin(caller);
    const result = await this.#db.updateTable('service_offerings').set({ removed: this.#context.nowIso() }).where('uuid', '=', id).where('removed', 'is', null).executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) throw notFound('service offering', id, 'id');
  }

  async listNetworkOfferings(caller: Caller, filter: ListOptions & { id?: string; name?: string } = {}): Promise<Page<NetworkOffering>> {
    void caller;
    let query = this.#db.selectFrom('network_offerings').selectAll().where('removed', 'is', null);
    if (filter.id) query = query.where('uuid', '=', filter.id);
    if (filter.name) query = query.where('name', '=', filter.name);
    if (filter.keyword) query = query.where(sql`lower(name)`, 'like', keywordPattern(filter.keyword));
    const rows = await query.orderBy('id').execute();
    return pageOf(
      rows.map(
        (row): NetworkOffering => ({
          id: row.uuid,
          name: row.name,
          displayText: row.display_text,
          guestIpType: row.guest_ip_type as GuestIpType,
          trafficType: 'Guest',
          specifyVlan: row.specify_vlan === 1,
          state: row.state as AllocationState,
          created: row.created,
        }),
      ),
      filter,
    );
  }

  async createNetworkOffering(caller: Caller, input: CreateNetworkOfferingInput): Promise<NetworkOffering> {
    requireAdmin(caller);
    const name = requireText(input.name, 'name');
    if (!GUEST_IP_TYPES.includes(input.guestIpType)) throw invalidParameter(`Invalid guest IP type ${String(input.guestIpType)}`, 'guestiptype');
    const row = await this.#db
      .insertInto('network_offerings')
      .values({
        uuid: randomUUID(),
        name,
        display_text: input.displayText?.trim() || name,
        guest_ip_type: input.guestIpType,
        specify_vlan: input.specifyVlan ? 1 : 0,
        state: 'Enabled',
        created: this.#context.nowIso(),
        removed: null,
      })
      .returning('uuid')
      .executeTakeFirstOrThrow();
    return this.#one(await this.listNetworkOfferings(caller, { id: row.uuid }));
  }

  // ---------------------------------------------------------------- networks

  async listNetworks(caller: Caller, filter: ListOptions & { id?: string; name?: string; zoneId?: string; accountId?: string } = {}): Promise<Page<Network>> {
    let query = this.#db
      .selectFrom('networks as n')
      .innerJoin('zones as z', 'z.id', 'n.zone_id')
      .innerJoin('network_offerings as o', 'o.id', 'n.network_offering_id')
      .innerJoin('accounts as a', 'a.id', 'n.account_id')
      .innerJoin('domains as d', 'd.id', 'a.domain_id')
      .selectAll('n')
      .select([
        'z.uuid as zone_uuid',
        'z.name as zone_name',
        'o.uuid as offering_uuid',
        'o.name as offering_name',
        'o.guest_ip_type',
        'a.uuid as account_uuid',
        'a.name as account_name',
        'd.uuid as domain_uuid',
        'd.name as domain_name',
        'd.path as domain_path',
      ])
      .where('n.removed', 'is', null);
    if (filter.id) query = query.where('n.uuid', '=', filter.id);
    if (filter.name) query = query.where('n.name', '=', filter.name);
    if (filter.zoneId) query = query.where('z.uuid', '=', filter.zoneId);
    if (filter.accountId) query = query.where('a.uuid', '=', filter.accountId);
    if (filter.keyword) query = query.where(sql`lower(n.name)`, 'like', keywordPattern(filter.keyword));
    const rows = await query.orderBy('n.id').execute();
    return pageOf(
      rows
        // Shared networks are visible to everyone; others to their owners (and admins above them).
        .filter((row) => row.guest_ip_type === 'Shared' || canAccessOwner(caller, { accountId: row.account_uuid, domainPath: row.domain_path }))
        .map(
          (row): Network => ({
            id: row.uuid,
            name: row.name,
            displayText: row.display_text,
            zoneId: row.zone_uuid,
            zoneName: row.zone_name,
            networkOfferingId: row.offering_uuid,
            networkOfferingName: row.offering_name,
            type: row.guest_ip_type as GuestIpType,
            trafficType: 'Guest',
            vlan: row.vlan,
            broadcastUri: row.vlan === null ? 'vlan://untagged' : `vlan://${row.vlan}`,
            cidr: row.cidr,
            gateway: row.gateway,
            netmask: row.netmask,
            dns1: row.dns1,
            dns2: row.dns2,
            state: row.state as Network['state'],
            accountId: row.account_uuid,
            accountName: row.account_name,
            domainId: row.domain_uuid,
            domainName: row.domain_name,
            created: row.created,
          }),
        ),
      filter,
    );
  }

  async createNetwork(caller: Caller, input: CreateNetworkInput): Promise<Network> {
    const name = requireText(input.name, 'name');
    const zone = await this.#zone(input.zoneId, 'zoneid');
    const offering = await this.#db.selectFrom('network_offerings').selectAll().where('uuid', '=', input.networkOfferingId).where('removed', 'is', null).executeTakeFirst();
    if (!offering) throw notFound('network offering', input.networkOfferingId, 'networkofferingid');
    if (input.vlan !== undefined) {
      if (caller.roleType !== 'Admin') throw new OrchestratorError('permission-denied', 'Only an admin can specify a VLAN', 'vlan');
      if (!Number.isInteger(input.vlan) || input.vlan < 1 || input.vlan > 4094) throw invalidParameter(`Invalid VLAN id ${input.vlan}: must be 1-4094`, 'vlan');
    }
    const gateway = checkedIp(input.gateway, 'gateway');
    const netmask = checkedIp(input.netmask, 'netmask');
    if ((gateway === null) !== (netmask === null)) throw invalidParameter('gateway and netmask must be given together', gateway === null ? 'gateway' : 'netmask');
    const cidr = gateway && netmask ? cidrOf(gateway, netmask) : null;
    if (gateway && !cidr) throw invalidParameter(`Invalid netmask ${String(netmask)}`, 'netmask');
    let accountId = caller.accountId;
    if (input.accountId && input.accountId !== caller.accountId) {
      if (caller.roleType !== 'Admin') throw new OrchestratorError('permission-denied', 'Only an admin can create networks for other accounts', 'account');
      accountId = input.accountId;
    }
    const account = await this.#db.selectFrom('accounts').select('id').where('uuid', '=', accountId).where('removed', 'is', null).executeTakeFirst();
    if (!account) throw notFound('account', accountId, 'account');
    if (input.vlan !== undefined) {
      const taken = await this.#db
        .selectFrom('networks')
        .select('id')
        .where('zone_id', '=', zone.id)
        .where('vlan', '=', input.vlan)
        .where('removed', 'is', null)
        .executeTakeFirst();
      if (taken) throw conflict(`The VLAN tag ${input.vlan} is already being used in zone ${zone.name}`, 'vlan');
    }
    const row = await this.#db
      .insertInto('networks')
      .values({
        uuid: randomUUID(),
        name,
        display_text: input.displayText?.trim() || name,
        zone_id: zone.id,
        network_offering_id: offering.id,
        vlan: input.vlan ?? null,
        cidr,
        gateway,
        netmask,
        dns1: checkedIp(input.dns1, 'dns1') ?? zone.dns1,
        dns2: checkedIp(input.dns2, 'dns2') ?? zone.dns2,
        state: 'Implemented',
        account_id: account.id,
        created: this.#context.nowIso(),
        removed: null,
      })
      .returning('uuid')
      .executeTakeFirstOrThrow();
    await this.#context.recordEvent(caller, { type: 'NETWORK.CREATE', description: `Created network ${name}`, outcome: 'success', resourceType: 'Network', resourceId: row.uuid });
    return this.#one(await this.listNetworks(caller, { id: row.uuid }));
  }

  async deleteNetwork(caller: Caller, id: string): Promise<void> {
    const network = await this.#one(await this.listNetworks(caller, { id }), () => notFound('network', id, 'id'));
    if (caller.roleType === 'User' && network.accountId !== caller.accountId) throw notFound('network', id, 'id');
    const row = await this.#db.selectFrom('networks').select('id').where('uuid', '=', id).executeTakeFirstOrThrow();
    const nic = await this.#db.selectFrom('nics').select('id').where('network_id', '=', row.id).executeTakeFirst();
    if (nic) throw invalidParameter('Network has instances attached; remove them before deleting the network', 'id');
    await this.#db.updateTable('networks').set({ removed: this.#context.nowIso() }).where('id', '=', row.id).execute();
  }

  /**
   * Allocates a unique MAC (from a database sequence) and the lowest free IP of the network's CIDR for
   * a new NIC. Runs inside the caller's transaction; allocation per network is serialised in-process and
   * the `(network_id, ip)` / `mac` unique indexes guard against anything else.
   */
  async allocateAddress(trx: Transaction<Database>, network: Selectable<NetworksTable>): Promise<{ mac: string; ip: string | null }> {
    const counter = await nextSequence(trx, MAC_SEQUENCE);
    if (!network.cidr) return { mac: macFromCounter(counter), ip: null };
    // Candidates are checked a batch at a time from where the last allocation in this network stopped, so the
    // cost does not grow with the number of NICs in the network; the unique (network, ip) key stays the arbiter.
    let batch: Array<{ index: number; ip: string }> = [];
    const firstFree = async () => {
      const used = new Set((await trx.selectFrom('nics').select('ip').where('network_id', '=', network.id).where('ip', 'in', batch.map((candidate) => candidate.ip)).execute()).map((row) => row.ip));
      const free = batch.find((candidate) => !used.has(candidate.ip));
      batch = [];
      if (free) this.#addressCursors.set(network.id, free.index + 1);
      return free?.ip;
    };
    for (const candidate of hostAddressesFrom(network.cidr, network.gateway, this.#addressCursors.get(network.id) ?? 0)) {
      batch.push(candidate);
      if (batch.length < ADDRESS_SEARCH_BATCH) continue;
      const ip = await firstFree();
      if (ip) return { mac: macFromCounter(counter), ip };
    }
    const ip = batch.length > 0 ? await firstFree() : undefined;
    if (ip) return { mac: macFromCounter(counter), ip };
    throw new OrchestratorError('insufficient-capacity', `Insufficient address capacity: no free IP address in network ${network.name}`, 'networkids');
  }

  /** Deletes an instance's NICs, which frees their addresses (the next allocation may hand out the lowest again). */
  async releaseNics(trx: Transaction<Database>, instanceId: number): Promise<void> {
    const released = await trx
      .selectFrom('nics as n')
      .innerJoin('networks as w', 'w.id', 'n.network_id')
      .select(['n.network_id', 'n.ip', 'w.cidr', 'w.gateway'])
      .where('n.instance_id', '=', instanceId)
      .execute();
    await trx.deleteFrom('nics').where('instance_id', '=', instanceId).execute();
    for (const nic of released) {
      const index = nic.ip && nic.cidr ? hostAddressIndex(nic.cidr, nic.gateway, nic.ip) : null;
      const cursor = this.#addressCursors.get(nic.network_id);
      if (index !== null && cursor !== undefined && index < cursor) this.#addressCursors.set(nic.network_id, index);
    }
  }

  /** Serialises allocations in one network (across nodes when several share the database). */
  withNetworkLock<T>(networkIds: readonly number[], work: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(networkIds)].sort((a, b) => a - b);
    const run = (index: number): Promise<T> => (index >= sorted.length ? work() : this.#networkLocks.run(String(sorted[index]), () => run(index + 1)));
    return run(0);
  }

  async #zone(uuid: string | undefined, parameter: string) {
    if (!uuid) throw invalidParameter(`${parameter} is required`, parameter);
    const zone = await this.#db.selectFrom('zones').selectAll().where('uuid', '=', uuid).where('removed', 'is', null).executeTakeFirst();
    if (!zone) throw notFound('zone', uuid, parameter);
    return zone;
  }

  #one<T>(page: Page<T>, missing: () => Error = () => new OrchestratorError('internal', 'Object vanished')): T {
    const item = page.items[0];
    if (item === undefined) throw missing();
    return item;
  }
}

/** Next value of a named counter, inside the transaction (row-level update, portable). */
export async function nextSequence(trx: Transaction<Database> | Kysely<Database>, name: string): Promise<number> {
  // One upsert: two nodes creating the counter at once must not both insert it.
  const row = await trx
    .insertInto('sequences')
    .values({ name, value: 1 })
    .onConflict((conflict) => conflict.column('name').doUpdateSet((eb) => ({ value: eb('sequences.value', '+', 1) })))
    .returning('value')
    .executeTakeFirstOrThrow();
  return row.value;
}
