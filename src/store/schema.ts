import type { Generated } from 'kysely';

/**
 * Row types of the orchestrator's tables. Portable across SQLite and PostgreSQL: booleans are integers 0/1,
 * timestamps ISO-8601 text, detail maps JSON text. Internal ids are integers; `uuid` is what leaves the
 * orchestrator. `removed` (ISO text) marks soft-deleted rows as CloudStack does.
 */
type Id = Generated<number>;

export interface DomainsTable {
  id: Id;
  uuid: string;
  name: string;
  path: string;
  parent_id: number | null;
  level: number;
  created: string;
  removed: string | null;
}

export interface RolesTable {
  id: Id;
  uuid: string;
  name: string;
  role_type: string;
  description: string;
  is_default: number;
}

export interface AccountsTable {
  id: Id;
  uuid: string;
  name: string;
  account_type: string;
  domain_id: number;
  role_id: number;
  state: string;
  created: string;
  removed: string | null;
}

export interface UsersTable {
  id: Id;
  uuid: string;
  username: string;
  password_hash: string;
  first_name: string;
  last_name: string;
  email: string | null;
  account_id: number;
  state: string;
  api_key: string | null;
  /** AES-256-GCM sealed. */
  secret_key: string | null;
  created: string;
  removed: string | null;
}

export interface ZonesTable {
  id: Id;
  uuid: string;
  name: string;
  description: string | null;
  network_type: string;
  dns1: string;
  dns2: string | null;
  internal_dns1: string;
  internal_dns2: string | null;
  guest_cidr: string | null;
  allocation_state: string;
  created: string;
  removed: string | null;
}

export interface PodsTable {
  id: Id;
  uuid: string;
  name: string;
  zone_id: number;
  gateway: string | null;
  netmask: string | null;
  start_ip: string | null;
  end_ip: string | null;
  allocation_state: string;
  created: string;
  removed: string | null;
}

export interface ClustersTable {
  id: Id;
  uuid: string;
  name: string;
  zone_id: number;
  pod_id: number;
  hypervisor: string;
  cluster_type: string;
  allocation_state: string;
  created: string;
  removed: string | null;
}

export interface HostsTable {
  id: Id;
  uuid: string;
  name: string;
  zone_id: number;
  pod_id: number;
  cluster_id: number;
  url: string;
  guid: string;
  host_tags: string;
  /** Sealed JSON of the `External:`-prefixed details (secrets encrypted at rest). */
  external_details: string;
  status: string;
  resource_state: string;
  last_pinged: string | null;
  created: string;
  removed: string | null;
}

export interface ServiceOfferingsTable {
  id: Id;
  uuid: string;
  name: string;
  display_text: string;
  cpu_number: number;
  cpu_speed: number;
  memory: number;
  host_tags: string | null;
  external_details: string;
  created: string;
  removed: string | null;
}

export interface NetworkOfferingsTable {
  id: Id;
  uuid: string;
  name: string;
  display_text: string;
  guest_ip_type: string;
  specify_vlan: number;
  state: string;
  created: string;
  removed: string | null;
}

export interface NetworksTable {
  id: Id;
  uuid: string;
  name: string;
  display_text: string;
  zone_id: number;
  network_offering_id: number;
  vlan: number | null;
  cidr: string | null;
  gateway: string | null;
  netmask: string | null;
  dns1: string | null;
  dns2: string | null;
  state: string;
  account_id: number;
  created: string;
  removed: string | null;
}

export interface TemplatesTable {
  id: Id;
  uuid: string;
  name: string;
  display_text: string;
  format: string;
  url: string;
  zone_id: number | null;
  os_type_id: string | null;
  extension_id: number;
  external_details: string;
  details: string;
  is_public: number;
  is_featured: number;
  is_extractable: number;
  password_enabled: number;
  requires_hvm: number;
  account_id: number;
  created: string;
  removed: string | null;
}

export interface InstancesTable {
  id: Id;
  uuid: string;
  name: string;
  display_name: string;
  instance_name: string;
  state: string;
  power_state: string;
  /** When the power state was last reported (ISO), for the missing-report grace period. */
  power_state_updated: string | null;
  zone_id: number;
  host_id: number | null;
  last_host_id: number | null;
  template_id: number;
  service_offering_id: number;
  account_id: number;
  user_id: number;
  /** Sealed. */
  vnc_password: string;
  /** JSON string map: plain details, `External:` details and internal ones such as `deployvm`. */
  details: string;
  created: string;
  removed: string | null;
}

export interface NicsTable {
  id: Id;
  uuid: string;
  instance_id: number;
  network_id: number;
  device_id: number;
  mac: string;
  ip: string | null;
  ip6: string | null;
  is_default: number;
  created: string;
}

export interface SequencesTable {
  name: string;
  value: number;
}

export interface ExtensionsTable {
  id: Id;
  uuid: string;
  name: string;
  description: string;
  type: string;
  relative_path: string;
  path_ready: number;
  is_user_defined: number;
  state: string;
  /** JSON string map of visible details. */
  details: string;
  /** JSON string map of hidden details (`orchestratorrequirespreparevm`, …). */
  hidden_details: string;
  created: string;
  removed: string | null;
}

export interface ExtensionResourceMapTable {
  id: Id;
  extension_id: number;
  resource_id: number;
  resource_type: string;
  details: string;
  hidden_details: string;
  created: string;
}

export interface CustomActionsTable {
  id: Id;
  uuid: string;
  name: string;
  description: string;
  extension_id: number;
  resource_type: string;
  allowed_role_types: number;
  success_message: string | null;
  error_message: string | null;
  enabled: number;
  timeout: number;
  /** JSON list of parameter definitions (CloudStack keeps it as the hidden detail `parameters`). */
  parameters: string;
  details: string;
  created: string;
  removed: string | null;
}

export interface JobsTable {
  id: Id;
  uuid: string;
  kind: string;
  status: string;
  result: string | null;
  error: string | null;
  account_uuid: string;
  user_uuid: string;
  resource_type: string | null;
  resource_uuid: string | null;
  /** JSON: what a resumable job needs to be resumed (operation, options). */
  params: string;
  /** JSON list of recorded steps `{name, state, handle?, at}`. */
  steps: string;
  resumable: number;
  created: string;
  updated: string;
  completed: string | null;
  /** The node running the job (`nodes.uuid`); null for jobs from before nodes existed. */
  node_uuid: string | null;
}

/** One orchestrator process: a new row per start, kept alive by `heartbeat` (ADR 0064). */
export interface NodesTable {
  /** Start order: the lowest live id is the oldest live node. */
  id: Id;
  uuid: string;
  name: string;
  started: string;
  heartbeat: string;
  /** Set on a clean stop, or by another node once the heartbeat is older than the lease. */
  stopped: string | null;
}

/** A named lock held by one node (`instance:<uuid>`), taken over when its node is dead. */
export interface LocksTable {
  name: string;
  node_uuid: string;
  acquired: string;
}

export interface EventsTable {
  id: Id;
  uuid: string;
  type: string;
  level: string;
  description: string;
  outcome: string;
  account_uuid: string | null;
  account_name: string | null;
  domain_uuid: string | null;
  user_uuid: string | null;
  user_name: string | null;
  resource_type: string | null;
  resource_uuid: string | null;
  created: string;
}

export interface Database {
  domains: DomainsTable;
  roles: RolesTable;
  accounts: AccountsTable;
  users: UsersTable;
  zones: ZonesTable;
  pods: PodsTable;
  clusters: ClustersTable;
  hosts: HostsTable;
  service_offerings: ServiceOfferingsTable;
  network_offerings: NetworkOfferingsTable;
  networks: NetworksTable;
  templates: TemplatesTable;
  instances: InstancesTable;
  nics: NicsTable;
  sequences: SequencesTable;
  extensions: ExtensionsTable;
  extension_resource_map: ExtensionResourceMapTable;
  custom_actions: CustomActionsTable;
  jobs: JobsTable;
  events: EventsTable;
  nodes: NodesTable;
  locks: LocksTable;
}
