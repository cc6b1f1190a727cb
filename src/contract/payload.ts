import { z } from 'zod';

/**
 * The payload file CloudStack's management server writes for an extension executable
 * (`<entry> <action> <payload.json> <timeout>`). Unknown keys are kept: CloudStack adds fields over
 * releases and an extension must not reject a payload because of them.
 */

/** CloudStack writes every detail value as a string; numbers and booleans are accepted and normalised. */
const detailValue = z.union([z.string(), z.number(), z.boolean()]).transform((value) => String(value));
const detailMap = z.record(z.string(), detailValue);

export const nicSchema = z.looseObject({
  deviceId: z.number().int().nonnegative().optional(),
  /** The network's UUID (NicTO maps the network UUID onto `uuid`). */
  uuid: z.string().optional(),
  nicUuid: z.string().optional(),
  mac: z.string().optional(),
  ip: z.string().optional(),
  netmask: z.string().optional(),
  gateway: z.string().optional(),
  dns1: z.string().optional(),
  dns2: z.string().optional(),
  ip6address: z.string().optional(),
  broadcastType: z.string().optional(),
  /** `vlan://<id>`, `vlan://untagged` or absent for an untagged network. */
  broadcastUri: z.string().optional(),
  isolationUri: z.string().optional(),
  type: z.string().optional(),
  defaultNic: z.boolean().optional(),
});

export const virtualMachineSchema = z.looseObject({
  id: z.number().int().optional(),
  /** Internal instance name, e.g. `i-2-45-VM`. */
  name: z.string().optional(),
  uuid: z.string().optional(),
  state: z.string().optional(),
  type: z.string().optional(),
  cpus: z.number().int().nonnegative().optional(),
  minSpeed: z.number().optional(),
  maxSpeed: z.number().optional(),
  /** Bytes. */
  minRam: z.number().nonnegative().optional(),
  /** Bytes. */
  maxRam: z.number().nonnegative().optional(),
  arch: z.string().optional(),
  vncPassword: z.string().optional(),
  details: detailMap.optional(),
  nics: z.array(nicSchema).optional(),
});

export const callerSchema = z.looseObject({
  id: z.string().optional(),
  name: z.string().optional(),
  type: z.string().optional(),
  roleid: z.string().optional(),
  rolename: z.string().optional(),
  roletype: z.string().optional(),
});

export const externalDetailsSchema = z.looseObject({
  host: detailMap.optional(),
  extension: detailMap.optional(),
  resourcemap: detailMap.optional(),
  virtualmachine: detailMap.optional(),
  action: detailMap.optional(),
});

export const payloadSchema = z.looseObject({
  externaldetails: externalDetailsSchema.optional(),
  caller: callerSchema.optional(),
  virtualmachineid: z.string().optional(),
  virtualmachinename: z.string().optional(),
  'cloudstack.vm.details': virtualMachineSchema.optional(),
  action: z.string().optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
});

export type Nic = z.infer<typeof nicSchema>;
export type VirtualMachineTO = z.infer<typeof virtualMachineSchema>;
export type Caller = z.infer<typeof callerSchema>;
export type ExternalDetails = z.infer<typeof externalDetailsSchema>;
export type Payload = z.infer<typeof payloadSchema>;
export type DetailGroup = keyof Pick<ExternalDetails, 'host' | 'extension' | 'resourcemap' | 'virtualmachine' | 'action'>;

/** Thrown for a payload that does not have the shape CloudStack writes. */
export class PayloadError extends Error {
  override readonly name = 'PayloadError';
}

function describePath(path: readonly PropertyKey[]): string {
  return path
    .map((key, index) => (typeof key === 'number' ? `[${key}]` : index === 0 ? String(key) : `.${String(key)}`))
    .join('');
}

/** Validates a parsed JSON value as a payload; the error names the first offending field. */
export function parsePayload(value: unknown): Payload {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PayloadError('Invalid JSON input');
  }
  const result = payloadSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? describePath(issue.path) : 'payload';
    throw new PayloadError(`Invalid payload: ${where}: ${issue?.message ?? 'malformed'}`);
  }
  return result.data;
}
