/**
 * Domain objects the orchestrator's services return. Every `id` is the object's UUID (what CloudStack puts in
 * API responses); field names are CloudStack's response fields in camelCase, so the API layer maps them 1:1
 * (`zoneId` → `zoneid`, `externalDetails` → `externaldetails`, …). Timestamps are ISO-8601 strings.
 */

export type RoleType = 'Admin' | 'ResourceAdmin' | 'DomainAdmin' | 'User';
export const ROLE_TYPES: readonly RoleType[] = ['Admin', 'ResourceAdmin', 'DomainAdmin', 'User'];

/** CloudStack's role-type bit masks (RoleType.java): used by custom actions' `allowed_role_types`. */
export const ROLE_MASKS: Readonly<Record<RoleType, number>> = { Admin: 1, ResourceAdmin: 2, DomainAdmin: 4, User: 8 };

/** CloudStack account type names as they appear in payloads' `caller.type`. */
export type AccountType = 'NORMAL' | 'ADMIN' | 'DOMAIN_ADMIN' | 'RESOURCE_DOMAIN_ADMIN';
/** CloudStack's numeric account types (`accounttype` in API responses). */
export const ACCOUNT_TYPE_NUMBERS: Readonly<Record<AccountType, number>> = {
  NORMAL: 0,
  ADMIN: 1,
  DOMAIN_ADMIN: 2,
  RESOURCE_DOMAIN_ADMIN: 3,
};

export type AllocationState = 'Enabled' | 'Disabled';

export interface Page<T> {
  readonly items: T[];
  /** Total number of matches regardless of paging (CloudStack's `count`). */
  readonly count: number;
}

export interface ListOptions {
  /** 1-based page number; paging applies only when `pageSize` is given. */
  readonly page?: number;
  readonly pageSize?: number;
  /** Case-insensitive substring match on the name (CloudStack's `keyword`). */
  readonly keyword?: string;
}

export type DetailMap = Record<string, string>;

// ---------------------------------------------------------------- IAM

export interface Domain {
  readonly id: string;
  readonly name: string;
  /** `ROOT`, `ROOT/child`, … */
  readonly path: string;
  readonly parentId: string | null;
  readonly parentName: string | null;
  readonly level: number;
  readonly created: string;
}

export interface Role {
  readonly id: string;
  readonly name: string;
  readonly type: RoleType;
  readonly description: string;
  readonly isDefault: boolean;
}

export interface Account {
  readonly id: string;
  readonly name: string;
  readonly accountType: AccountType;
  readonly domainId: string;
  readonly domainName: string;
  readonly domainPath: string;
  readonly roleId: string;
  readonly roleName: string;
  readonly roleType: RoleType;
  readonly state: 'enabled' | 'disabled';
  readonly created: string;
}

export interface User {
  readonly id: string;
  readonly username: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly email: string | null;
  readonly accountId: string;
  readonly accountName: string;
  readonly accountType: AccountType;
  readonly domainId: string;
  readonly domainName: string;
  readonly roleId: string;
  readonly roleName: string;
  readonly roleType: RoleType;
  readonly state: 'enabled' | 'disabled';
  /** The user's API key when one was generated (never the secret). */
  readonly apiKey: string | null;
  readonly created: string;
}

export interface ApiKeyPair {
  readonly apiKey: string;
  readonly secretKey: string;
}

// ---------------------------------------------------------------- infrastructure

export interface Zone {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly networkType: 'Advanced' | 'Basic';
  readonly dns1: string;
  readonly dns2: string | null;
  readonly internalDns1: string;
  readonly internalDns2: string | null;
  readonly guestCidrAddress: string | null;
  readonly allocationState: AllocationState;
  readonly created: string;
}

export interface Pod {
  readonly id: string;
  readonly name: string;
  readonly zoneId: string;
  readonly zoneName: string;
  readonly gateway: string | null;
  readonly netmask: string | null;
  readonly startIp: string | null;
  readonly endIp: string | null;
  readonly allocationState: AllocationState;
  readonly created: string;
}

export interface Cluster {
  readonly id: string;
  readonly name: string;
  readonly zoneId: string;
  readonly zoneName: string;
  readonly podId: string;
  readonly podName: string;
  readonly hypervisor: 'External';
  readonly clusterType: 'CloudManaged';
  readonly allocationState: AllocationState;
  /** The extension registered with this cluster, if any. */
  readonly extensionId: string | null;
  readonly extensionName: string | null;
  readonly created: string;
}

export type HostStatus = 'Up' | 'Down' | 'Disconnected' | 'Alert';
export type HostResourceState = 'Enabled' | 'Disabled' | 'Maintenance';

export interface Host {
  readonly id: string;
  readonly name: string;
  readonly zoneId: string;
  readonly zoneName: string;
  readonly podId: string;
  readonly podName: string;
  readonly clusterId: string;
  readonly clusterName: string;
  readonly hypervisor: 'External';
  readonly type: 'Routing';
  readonly state: HostStatus;
  readonly resourceState: HostResourceState;
  /** CloudStack reports the literal `External` as an External host's private IP. */
  readonly ipAddress: 'External';
  readonly url: string;
  /** `External:` + name-based UUID of the URL. */
  readonly guid: string;
  readonly hostTags: string[];
  /** External details with secret values masked (`******`). */
  readonly externalDetails: DetailMap;
  readonly extensionId: string | null;
  readonly extensionName: string | null;
  /** External hosts report zero capacity. */
  readonly cpuNumber: 0;
  readonly memoryTotal: 0;
  readonly lastPinged: string | null;
  readonly created: string;
}

export interface ServiceOffering {
  readonly id: string;
  readonly name: string;
  readonly displayText: string;
  readonly cpuNumber: number;
  /** MHz. */
  readonly cpuSpeed: number;
  /** MiB. */
  readonly memory: number;
  readonly hostTags: string | null;
  readonly externalDetails: DetailMap;
  readonly created: string;
}

export type GuestIpType = 'L2' | 'Isolated' | 'Shared';

export interface NetworkOffering {
  readonly id: string;
  readonly name: string;
  readonly displayText: string;
  readonly guestIpType: GuestIpType;
  readonly trafficType: 'Guest';
  readonly specifyVlan: boolean;
  readonly state: AllocationState;
  readonly created: string;
}

export interface Network {
  readonly id: string;
  readonly name: string;
  readonly displayText: string;
  readonly zoneId: string;
  readonly zoneName: string;
  readonly networkOfferingId: string;
  readonly networkOfferingName: string;
  readonly type: GuestIpType;
  readonly trafficType: 'Guest';
  readonly vlan: number | null;
  /** `vlan://<id>` or `vlan://untagged`. */
  readonly broadcastUri: string;
  readonly cidr: string | null;
  readonly gateway: string | null;
  readonly netmask: string | null;
  readonly dns1: string | null;
  readonly dns2: string | null;
  readonly state: 'Allocated' | 'Implemented';
  readonly accountId: string;
  readonly accountName: string;
  readonly domainId: string;
  readonly domainName: string;
  readonly created: string;
}

// ---------------------------------------------------------------- templates and instances

export interface Template {
  readonly id: string;
  readonly name: string;
  readonly displayText: string;
  readonly format: string;
  readonly hypervisor: 'External';
  readonly url: string;
  readonly zoneId: string | null;
  readonly zoneName: string | null;
  readonly osTypeId: string | null;
  readonly extensionId: string;
  readonly extensionName: string;
  /** Template external details (`template_type`, `template_id`, …) without the `External:` prefix. */
  readonly externalDetails: DetailMap;
  readonly details: DetailMap;
  readonly isPublic: boolean;
  readonly isFeatured: boolean;
  readonly isExtractable: boolean;
  readonly passwordEnabled: boolean;
  readonly requiresHvm: boolean;
  /** External templates are never downloaded: always ready. */
  readonly isReady: true;
  readonly status: 'Download Complete';
  readonly templateType: 'USER';
  readonly accountId: string;
  readonly accountName: string;
  readonly domainId: string;
  readonly domainName: string;
  readonly created: string;
}

export type InstanceState = 'Stopped' | 'Starting' | 'Running' | 'Stopping' | 'Destroyed' | 'Expunging' | 'Error';
export type PowerState = 'PowerOn' | 'PowerOff' | 'PowerUnknown' | 'PowerReportMissing';

export interface InstanceNic {
  readonly id: string;
  readonly networkId: string;
  readonly networkName: string;
  readonly deviceId: number;
  readonly macAddress: string;
  readonly ipAddress: string | null;
  readonly ip6Address: string | null;
  readonly netmask: string | null;
  readonly gateway: string | null;
  readonly isDefault: boolean;
  readonly broadcastUri: string;
  readonly isolationUri: string;
  readonly trafficType: 'Guest';
  readonly type: GuestIpType;
}

export interface Instance {
  readonly id: string;
  /** Host name given at deploy (CloudStack `name`). */
  readonly name: string;
  readonly displayName: string;
  /** `i-<account id>-<instance id>-VM`. */
  readonly instanceName: string;
  readonly state: InstanceState;
  readonly powerState: PowerState;
  readonly hypervisor: 'External';
  readonly zoneId: string;
  readonly zoneName: string;
  readonly hostId: string | null;
  readonly hostName: string | null;
  readonly lastHostId: string | null;
  readonly clusterId: string | null;
  readonly templateId: string;
  readonly templateName: string;
  readonly templateDisplayText: string;
  readonly extensionId: string;
  readonly extensionName: string;
  readonly serviceOfferingId: string;
  readonly serviceOfferingName: string;
  readonly cpuNumber: number;
  readonly cpuSpeed: number;
  readonly memory: number;
  readonly accountId: string;
  readonly accountName: string;
  readonly domainId: string;
  readonly domainName: string;
  readonly userId: string;
  readonly userName: string;
  /** Instance details visible to the API (`External:` keys included, internal keys such as `deployvm` hidden). */
  readonly details: DetailMap;
  readonly nics: InstanceNic[];
  readonly created: string;
}

// ---------------------------------------------------------------- extensions

export type ExtensionState = 'Enabled' | 'Disabled';

export interface ExtensionResource {
  /** The cluster's UUID. */
  readonly id: string;
  readonly name: string;
  readonly type: 'Cluster';
  readonly details: DetailMap;
  readonly created: string;
}

export interface ExtensionInfo {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly type: 'Orchestrator';
  /** Absolute path of the entry point (`<extensionsRoot>/<relativePath>`). */
  readonly path: string;
  readonly relativePath: string;
  readonly pathReady: boolean;
  readonly isUserDefined: boolean;
  readonly orchestratorRequiresPrepareVm: boolean;
  readonly state: ExtensionState;
  /** Visible (display=true) details only. */
  readonly details: DetailMap;
  readonly resources: ExtensionResource[];
  readonly created: string;
}

export type ParameterType = 'STRING' | 'NUMBER' | 'BOOLEAN' | 'DATE';
export type ValidationFormat = 'NONE' | 'UUID' | 'EMAIL' | 'PASSWORD' | 'URL' | 'DECIMAL';

export interface CustomActionParameter {
  readonly name: string;
  readonly type: ParameterType;
  readonly validationFormat: ValidationFormat;
  readonly valueOptions?: string[];
  readonly required: boolean;
}

export interface CustomAction {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly extensionId: string;
  readonly extensionName: string;
  readonly resourceType: 'VirtualMachine';
  readonly allowedRoleTypes: RoleType[];
  readonly successMessage: string | null;
  readonly errorMessage: string | null;
  readonly timeout: number;
  readonly enabled: boolean;
  readonly details: DetailMap;
  readonly parameters: CustomActionParameter[];
  readonly created: string;
}

export interface CustomActionResult {
  /** The custom action's UUID. */
  readonly id: string;
  readonly name: string;
  readonly success: boolean;
  readonly result: { readonly message: string; readonly details: string };
}

// ---------------------------------------------------------------- jobs and events

export type JobStatus = 'pending' | 'succeeded' | 'failed';

/** How far a job is, derived from its persisted steps (the same in every process reading the store). */
export interface JobProgress {
  /** Planned steps done so far, 0–100; 0 for jobs that plan no steps (generic jobs, custom actions). */
  readonly percent: number;
  /** The step being worked on (`placement`, `prepare`, `create`…), or null when none is known. */
  readonly step: string | null;
}

export interface Job<Result = unknown> {
  readonly id: string;
  /** The operation, e.g. `deployVirtualMachine`, `startVirtualMachine`, `runCustomAction`. */
  readonly kind: string;
  readonly status: JobStatus;
  /** Set when `status` is `succeeded`. */
  readonly result: Result | null;
  /** Set when `status` is `failed`. */
  readonly error: { readonly kind: string; readonly message: string } | null;
  readonly accountId: string;
  readonly userId: string;
  /** The object the job acts on (CloudStack's `jobinstancetype`/`jobinstanceid`). */
  readonly resourceType: string | null;
  readonly resourceId: string | null;
  readonly created: string;
  readonly completed: string | null;
  readonly progress: JobProgress;
}

export type EventLevel = 'INFO' | 'WARN' | 'ERROR';

export interface AuditEvent {
  readonly id: string;
  /** CloudStack event type, e.g. `VM.START`, `VM.CREATE`, `EXTENSION.CREATE`, `VM.POWER.STATE`. */
  readonly type: string;
  readonly level: EventLevel;
  readonly state: 'Completed';
  readonly description: string;
  readonly outcome: 'success' | 'failure';
  readonly accountId: string | null;
  readonly accountName: string | null;
  readonly domainId: string | null;
  readonly userId: string | null;
  readonly userName: string | null;
  readonly resourceType: string | null;
  readonly resourceId: string | null;
  readonly created: string;
}
