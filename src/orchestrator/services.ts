import type { Caller } from './caller.ts';
import type {
  Account,
  AccountType,
  ApiKeyPair,
  AuditEvent,
  Cluster,
  CustomAction,
  CustomActionResult,
  DetailMap,
  Domain,
  EventLevel,
  ExtensionInfo,
  GuestIpType,
  Host,
  Instance,
  InstanceState,
  Job,
  JobStatus,
  ListOptions,
  Network,
  NetworkOffering,
  Page,
  Pod,
  PowerState,
  Role,
  RoleType,
  ServiceOffering,
  Template,
  User,
  Zone,
} from './types.ts';

/**
 * The orchestrator's service interfaces. Inputs and outputs are plain objects; ids are UUIDs; failures are
 * `OrchestratorError`s. Every method takes the caller first for RBAC and ownership checks. Asynchronous
 * CloudStack operations return a `Job` (status `pending`) at once; `jobs.get`/`jobs.wait` give its outcome.
 */

// ---------------------------------------------------------------- IAM

export interface CreateDomainInput {
  readonly name: string;
  readonly parentDomainId?: string;
}

export interface CreateAccountInput {
  readonly accountName?: string;
  readonly username: string;
  readonly password: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly email?: string;
  readonly domainId?: string;
  /** Either a role id or an account type picks the account's role. */
  readonly roleId?: string;
  readonly accountType?: AccountType;
}

export interface CreateUserInput {
  readonly accountId: string;
  readonly username: string;
  readonly password: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly email?: string;
}

export interface UpdateUserInput {
  readonly firstName?: string;
  readonly lastName?: string;
  readonly email?: string;
  readonly password?: string;
}

export interface AccountFilter extends ListOptions {
  readonly id?: string;
  readonly name?: string;
  readonly domainId?: string;
}

export interface UserFilter extends ListOptions {
  readonly id?: string;
  readonly username?: string;
  readonly accountId?: string;
  readonly domainId?: string;
}

export interface IamService {
  /** Resolves an API key; the secret is returned so the API layer can verify the request signature. */
  authenticateApiKey(apiKey: string): Promise<{ caller: Caller; secretKey: string } | null>;
  /** Checks a password; `domainPath` defaults to `ROOT` (CloudStack `domain` parameter: `/` or `/child`). */
  login(username: string, password: string, domainPath?: string): Promise<Caller>;
  callerForUser(userId: string): Promise<Caller>;
  /** The built-in `admin` user's caller (for internal callers such as the sandbox). */
  systemAdmin(): Promise<Caller>;

  listDomains(caller: Caller, filter?: ListOptions & { id?: string; name?: string }): Promise<Page<Domain>>;
  createDomain(caller: Caller, input: CreateDomainInput): Promise<Domain>;

  listRoles(caller: Caller, filter?: ListOptions & { id?: string; name?: string; type?: RoleType }): Promise<Page<Role>>;

  listAccounts(caller: Caller, filter?: AccountFilter): Promise<Page<Account>>;
  createAccount(caller: Caller, input: CreateAccountInput): Promise<{ account: Account; user: User }>;

  listUsers(caller: Caller, filter?: UserFilter): Promise<Page<User>>;
  createUser(caller: Caller, input: CreateUserInput): Promise<User>;
  updateUser(caller: Caller, userId: string, input: UpdateUserInput): Promise<User>;
  deleteUser(caller: Caller, userId: string): Promise<void>;

  /** Generates (or replaces) the user's API key and secret key (CloudStack `registerUserKeys`). */
  registerUserKeys(caller: Caller, userId: string): Promise<ApiKeyPair>;
  getUserKeys(caller: Caller, userId: string): Promise<ApiKeyPair | null>;
}

// ---------------------------------------------------------------- infrastructure

export interface CreateZoneInput {
  readonly name: string;
  readonly networkType?: 'Advanced' | 'Basic';
  readonly dns1: string;
  readonly dns2?: string;
  readonly internalDns1: string;
  readonly internalDns2?: string;
  readonly guestCidrAddress?: string;
  readonly description?: string;
}

export interface CreatePodInput {
  readonly name: string;
  readonly zoneId: string;
  readonly gateway?: string;
  readonly netmask?: string;
  readonly startIp?: string;
  readonly endIp?: string;
}

export interface AddClusterInput {
  readonly name: string;
  readonly zoneId: string;
  readonly podId: string;
  readonly hypervisor: string;
  readonly clusterType?: string;
  /** Registers the extension with the new cluster (registration details = `externalDetails`). */
  readonly extensionId?: string;
  readonly externalDetails?: DetailMap;
}

export interface AddHostInput {
  readonly zoneId: string;
  readonly podId: string;
  readonly clusterId: string;
  readonly hypervisor: string;
  readonly url: string;
  readonly name?: string;
  readonly hostTags?: string[];
  /** Stored with the `External:` prefix, secrets encrypted at rest. */
  readonly externalDetails?: DetailMap;
}

export interface UpdateHostInput {
  readonly name?: string;
  readonly hostTags?: string[];
  readonly resourceState?: 'Enabled' | 'Disabled';
  /** Merged into the existing external details (CloudStack `updateHost externaldetails`). */
  readonly externalDetails?: DetailMap;
  /** Removes all external details before applying `externalDetails`. */
  readonly cleanupExternalDetails?: boolean;
}

export interface CreateServiceOfferingInput {
  readonly name: string;
  readonly displayText: string;
  readonly cpuNumber: number;
  readonly cpuSpeed: number;
  readonly memory: number;
  readonly hostTags?: string;
  readonly externalDetails?: DetailMap;
}

export interface CreateNetworkOfferingInput {
  readonly name: string;
  readonly displayText: string;
  readonly guestIpType: GuestIpType;
  readonly specifyVlan?: boolean;
}

export interface CreateNetworkInput {
  readonly name: string;
  readonly displayText?: string;
  readonly zoneId: string;
  readonly networkOfferingId: string;
  /** VLAN id (1–4094) or absent for untagged. */
  readonly vlan?: number;
  readonly gateway?: string;
  readonly netmask?: string;
  readonly dns1?: string;
  readonly dns2?: string;
  /** Owner; defaults to the caller's account. */
  readonly accountId?: string;
}

export interface InfrastructureService {
  listZones(caller: Caller, filter?: ListOptions & { id?: string; name?: string }): Promise<Page<Zone>>;
  createZone(caller: Caller, input: CreateZoneInput): Promise<Zone>;
  deleteZone(caller: Caller, id: string): Promise<void>;

  listPods(caller: Caller, filter?: ListOptions & { id?: string; name?: string; zoneId?: string }): Promise<Page<Pod>>;
  createPod(caller: Caller, input: CreatePodInput): Promise<Pod>;
  deletePod(caller: Caller, id: string): Promise<void>;

  listClusters(
    caller: Caller,
    filter?: ListOptions & { id?: string; name?: string; zoneId?: string; podId?: string; hypervisor?: string; extensionId?: string },
  ): Promise<Page<Cluster>>;
  addCluster(caller: Caller, input: AddClusterInput): Promise<Cluster>;
  deleteCluster(caller: Caller, id: string): Promise<void>;

  listHosts(
    caller: Caller,
    filter?: ListOptions & { id?: string; name?: string; zoneId?: string; podId?: string; clusterId?: string; state?: string },
  ): Promise<Page<Host>>;
  addHost(caller: Caller, input: AddHostInput): Promise<Host>;
  updateHost(caller: Caller, id: string, input: UpdateHostInput): Promise<Host>;
  deleteHost(caller: Caller, id: string): Promise<void>;
  /** Runs the health check of every host now (also done periodically); returns the hosts' new states. */
  checkHostHealth(): Promise<Array<{ hostId: string; state: 'Up' | 'Down' }>>;

  listServiceOfferings(caller: Caller, filter?: ListOptions & { id?: string; name?: string }): Promise<Page<ServiceOffering>>;
  createServiceOffering(caller: Caller, input: CreateServiceOfferingInput): Promise<ServiceOffering>;
  deleteServiceOffering(caller: Caller, id: string): Promise<void>;

  listNetworkOfferings(caller: Caller, filter?: ListOptions & { id?: string; name?: string }): Promise<Page<NetworkOffering>>;
  createNetworkOffering(caller: Caller, input: CreateNetworkOfferingInput): Promise<NetworkOffering>;

  listNetworks(caller: Caller, filter?: ListOptions & { id?: string; name?: string; zoneId?: string; accountId?: string }): Promise<Page<Network>>;
  createNetwork(caller: Caller, input: CreateNetworkInput): Promise<Network>;
  deleteNetwork(caller: Caller, id: string): Promise<void>;
}

// ---------------------------------------------------------------- extensions

export interface CreateExtensionInput {
  readonly name: string;
  readonly type: string;
  readonly description?: string;
  /** Relative to the extensions root (extension-contract.md §2.2); default `<dir>/<dir>.sh`. */
  readonly path?: string;
  readonly orchestratorRequiresPrepareVm?: boolean;
  readonly state?: string;
  readonly details?: DetailMap;
}

export interface UpdateExtensionInput {
  readonly description?: string;
  readonly orchestratorRequiresPrepareVm?: boolean;
  readonly state?: string;
  /** Replaces all visible details. */
  readonly details?: DetailMap;
  readonly cleanupDetails?: boolean;
}

export interface CustomActionParameterInput {
  readonly name?: string;
  readonly type?: string;
  readonly validationFormat?: string;
  /** Comma-separated, as the API receives it, or a list. */
  readonly valueOptions?: string | string[];
  readonly required?: boolean | string;
}

export interface AddCustomActionInput {
  readonly extensionId: string;
  readonly name: string;
  readonly description?: string;
  readonly resourceType?: string;
  readonly allowedRoleTypes?: string[];
  readonly parameters?: CustomActionParameterInput[];
  readonly successMessage?: string;
  readonly errorMessage?: string;
  /** Seconds; default 3 as CloudStack's code does. */
  readonly timeout?: number;
  /** Default false. */
  readonly enabled?: boolean;
  readonly details?: DetailMap;
}

export interface UpdateCustomActionInput {
  readonly description?: string;
  readonly resourceType?: string;
  readonly allowedRoleTypes?: string[];
  readonly parameters?: CustomActionParameterInput[];
  readonly cleanupParameters?: boolean;
  readonly successMessage?: string;
  readonly errorMessage?: string;
  readonly timeout?: number;
  readonly enabled?: boolean;
  readonly details?: DetailMap;
  readonly cleanupDetails?: boolean;
}

export interface CustomActionFilter extends ListOptions {
  readonly id?: string;
  readonly name?: string;
  readonly extensionId?: string;
  readonly resourceType?: string;
  /** An instance UUID: lists the actions of the extension registered with the instance's cluster. */
  readonly resourceId?: string;
  readonly enabled?: boolean;
}

export interface RunCustomActionInput {
  readonly customActionId: string;
  readonly resourceId: string;
  readonly resourceType?: string;
  /** Raw string values as the API receives them (`parameters[0].<name>=<value>`). */
  readonly parameters?: Record<string, string>;
}

export interface ExtensionsService {
  listExtensions(caller: Caller, filter?: ListOptions & { id?: string; name?: string }): Promise<Page<ExtensionInfo>>;
  getExtension(caller: Caller, id: string): Promise<ExtensionInfo>;
  createExtension(caller: Caller, input: CreateExtensionInput): Promise<ExtensionInfo>;
  updateExtension(caller: Caller, id: string, input: UpdateExtensionInput): Promise<ExtensionInfo>;
  deleteExtension(caller: Caller, id: string, options?: { cleanup?: boolean }): Promise<void>;
  registerExtension(
    caller: Caller,
    input: { extensionId: string; resourceId: string; resourceType: string; details?: DetailMap },
  ): Promise<ExtensionInfo>;
  unregisterExtension(caller: Caller, input: { extensionId: string; resourceId: string; resourceType: string }): Promise<ExtensionInfo>;
  updateRegisteredExtension(
    caller: Caller,
    input: { extensionId: string; resourceId: string; resourceType: string; details?: DetailMap; cleanupDetails?: boolean },
  ): Promise<ExtensionInfo>;

  addCustomAction(caller: Caller, input: AddCustomActionInput): Promise<CustomAction>;
  listCustomActions(caller: Caller, filter?: CustomActionFilter): Promise<Page<CustomAction>>;
  updateCustomAction(caller: Caller, id: string, input: UpdateCustomActionInput): Promise<CustomAction>;
  deleteCustomAction(caller: Caller, id: string): Promise<void>;
  /** Async: the job's result is a `CustomActionResult` (the job succeeds even when the action fails). */
  runCustomAction(caller: Caller, input: RunCustomActionInput): Promise<Job<CustomActionResult>>;
}

// ---------------------------------------------------------------- templates

export interface RegisterTemplateInput {
  readonly name: string;
  readonly displayText: string;
  readonly format: string;
  readonly hypervisor: string;
  readonly url: string;
  readonly zoneId?: string;
  readonly osTypeId?: string;
  readonly extensionId?: string;
  readonly externalDetails?: DetailMap;
  readonly details?: DetailMap;
  readonly isPublic?: boolean;
  readonly isFeatured?: boolean;
  readonly isExtractable?: boolean;
  readonly passwordEnabled?: boolean;
  readonly requiresHvm?: boolean;
}

export interface TemplatesService {
  registerTemplate(caller: Caller, input: RegisterTemplateInput): Promise<Template>;
  /** `registerIso` for External is refused as CloudStack does. */
  registerIso(caller: Caller, input: { name: string; hypervisor?: string }): Promise<never>;
  listTemplates(
    caller: Caller,
    filter?: ListOptions & { id?: string; name?: string; zoneId?: string; extensionId?: string; templateFilter?: string },
  ): Promise<Page<Template>>;
  updateTemplate(caller: Caller, id: string, input: { name?: string; displayText?: string; externalDetails?: DetailMap }): Promise<Template>;
  deleteTemplate(caller: Caller, id: string): Promise<void>;
}

// ---------------------------------------------------------------- instances

export interface DeployInstanceInput {
  readonly zoneId: string;
  readonly templateId: string;
  readonly serviceOfferingId: string;
  readonly networkIds?: string[];
  readonly name?: string;
  readonly displayName?: string;
  /** Pins the first start to this host (admin only). */
  readonly hostId?: string;
  /** Plain instance details (`details[0].k=v`). */
  readonly details?: DetailMap;
  /** External details (`externaldetails[0].vm_name=…`), stored with the `External:` prefix. */
  readonly externalDetails?: DetailMap;
  /** Default true: deploy also starts the instance. */
  readonly startVm?: boolean;
  /** Owner (admins only); defaults to the caller's account. */
  readonly accountId?: string;
}

export interface InstanceFilter extends ListOptions {
  readonly id?: string;
  readonly ids?: string[];
  readonly name?: string;
  readonly state?: InstanceState;
  readonly zoneId?: string;
  readonly hostId?: string;
  readonly clusterId?: string;
  readonly extensionId?: string;
  readonly templateId?: string;
  readonly accountId?: string;
  readonly domainId?: string;
  /** Admins see all instances only with `listAll`; others always see their own account's. */
  readonly listAll?: boolean;
}

export interface InstancesService {
  /**
   * Creates the instance (state Stopped, NICs allocated) synchronously and returns it with the job that
   * starts it (`startVm` true) — the job's result is the instance.
   */
  deploy(caller: Caller, input: DeployInstanceInput): Promise<{ instance: Instance; job: Job<Instance> }>;
  start(caller: Caller, id: string, options?: { hostId?: string }): Promise<Job<Instance>>;
  stop(caller: Caller, id: string, options?: { forced?: boolean }): Promise<Job<Instance>>;
  reboot(caller: Caller, id: string): Promise<Job<Instance>>;
  /** Stops the instance and marks it Destroyed; with `expunge` also runs `delete` and removes it. */
  destroy(caller: Caller, id: string, options?: { expunge?: boolean }): Promise<Job<Instance>>;
  expunge(caller: Caller, id: string): Promise<Job<Instance>>;
  /** Destroyed → Stopped (sync, as CloudStack's recoverVirtualMachine). */
  recover(caller: Caller, id: string): Promise<Instance>;
  get(caller: Caller, id: string): Promise<Instance>;
  list(caller: Caller, filter?: InstanceFilter): Promise<Page<Instance>>;
  /** Replaces the visible details (keys starting with `External:` included). */
  updateDetails(caller: Caller, id: string, details: DetailMap): Promise<Instance>;
}

// ---------------------------------------------------------------- jobs, events, power sync

export interface JobContext {
  readonly jobId: string;
  readonly caller: Caller;
}

export interface JobsService {
  /**
   * Runs `work` as a persisted job and returns at once with status `pending`. Generic jobs are not
   * resumable: a restart marks one still pending as failed ("interrupted"); instance jobs are resumed.
   */
  submit<Result>(
    kind: string,
    caller: Caller,
    resource: { type: string | null; id: string | null },
    work: (context: JobContext) => Promise<Result>,
  ): Promise<Job<Result>>;
  get(caller: Caller, id: string): Promise<Job>;
  list(caller: Caller, filter?: ListOptions & { status?: JobStatus; accountId?: string }): Promise<Page<Job>>;
  /** Resolves when the job is no longer pending (or after `timeoutMs`, with the pending job). */
  wait(caller: Caller, id: string, timeoutMs?: number): Promise<Job>;
}

export interface RecordEventInput {
  readonly type: string;
  readonly description: string;
  readonly outcome: 'success' | 'failure';
  readonly level?: EventLevel;
  readonly resourceType?: string;
  readonly resourceId?: string;
}

export interface EventsService {
  record(caller: Caller | null, input: RecordEventInput): Promise<AuditEvent>;
  list(
    caller: Caller,
    filter?: ListOptions & { type?: string; level?: EventLevel; resourceId?: string; startDate?: string; endDate?: string },
  ): Promise<Page<AuditEvent>>;
}

export interface PowerReport {
  readonly hostId: string;
  /** `statuses` answered, or the per-instance `status` fallback was used. */
  readonly method: 'statuses' | 'status';
  readonly states: Record<string, PowerState>;
  readonly transitions: Array<{ instanceId: string; from: InstanceState; to: InstanceState; powerState: PowerState }>;
}

export interface PowerSyncService {
  /** One sweep of one host now. */
  syncHost(hostId: string): Promise<PowerReport>;
  /** One sweep of every Up host now. */
  syncAll(): Promise<PowerReport[]>;
}
