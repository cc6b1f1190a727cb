/** The parts of MAAS API 2.0 objects that extorch reads. MAAS sends many more fields; they are kept as is. */
export interface MaasVlan {
  readonly vid?: number;
  readonly fabric?: string;
  readonly [key: string]: unknown;
}

export interface MaasInterface {
  readonly id?: number;
  readonly name?: string;
  readonly type?: string;
  readonly mac_address?: string;
  readonly enabled?: boolean;
  readonly vlan?: MaasVlan | null;
  readonly [key: string]: unknown;
}

/** MAAS power states (`POWER_STATE` in MAAS). */
export type MaasPowerState = 'on' | 'off' | 'unknown' | 'error';

export interface MaasMachine {
  readonly system_id: string;
  readonly hostname: string;
  readonly fqdn?: string;
  readonly status: number;
  readonly status_name: string;
  readonly status_message?: string | null;
  readonly owner?: string | null;
  readonly power_state?: MaasPowerState | string;
  readonly cpu_count?: number;
  readonly memory?: number;
  readonly architecture?: string;
  readonly osystem?: string;
  readonly distro_series?: string;
  readonly tag_names?: readonly string[];
  readonly ip_addresses?: readonly string[];
  readonly boot_interface?: MaasInterface | null;
  readonly interface_set?: readonly MaasInterface[];
  readonly resource_uri?: string;
  readonly [key: string]: unknown;
}

/** `NODE_STATUS` codes of MAAS that the extension acts on. */
export const MaasNodeStatus = {
  READY: 4,
  DEPLOYED: 6,
  DEPLOYING: 9,
  ALLOCATED: 10,
  FAILED_DEPLOYMENT: 11,
  RELEASING: 12,
  DISK_ERASING: 14,
} as const;

export interface MaasUser {
  readonly username: string;
  readonly email?: string;
  readonly is_superuser?: boolean;
  readonly [key: string]: unknown;
}

export interface MaasVersion {
  readonly version: string;
  readonly subversion?: string;
  readonly capabilities: readonly string[];
}
