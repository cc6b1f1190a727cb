// The details each in-built extension needs on hosts and templates (builtin-extensions.md, orchestrator.md §19.2),
// as form fields. Their values go to the API as `externaldetails[0].<name>`; user-defined extensions get a free
// key=value editor instead.
import { parseKeyValueLines } from '../api/params.ts';
import type { FieldSpec, FormValues } from '../components/fields.ts';

export type BuiltinKind = 'proxmox' | 'hyperv' | 'maas';

/** In-built extensions are recognised by name, as CloudStack's own code does for Proxmox. */
export function builtinKind(extensionName: string | undefined): BuiltinKind | undefined {
  const name = (extensionName ?? '').toLowerCase();
  if (name.includes('proxmox')) return 'proxmox';
  if (name.includes('hyperv') || name.includes('hyper-v')) return 'hyperv';
  if (name.includes('maas')) return 'maas';
  return undefined;
}

/** Detail keys whose values are secrets: typed into password inputs and never shown back. */
export const SECRET_DETAIL_KEYS: ReadonlySet<string> = new Set(['token', 'secret', 'password', 'apikey']);

const external = (name: string) => `externaldetails[0].${name}`;
const detail = (spec: Omit<FieldSpec, 'param'> & { name: string }): FieldSpec => ({ ...spec, param: external(spec.name) });
const isTemplateType = (type: string) => (values: FormValues) => (values.template_type ?? 'template') === type;
const TEMPLATE_TYPES = [
  { value: 'template', label: 'template' },
  { value: 'iso', label: 'iso' },
];

export const HOST_DETAIL_FIELDS: Record<BuiltinKind, readonly FieldSpec[]> = {
  proxmox: [
    detail({ name: 'url', label: 'Proxmox URL', required: true, placeholder: 'https://pve.example.com:8006' }),
    detail({ name: 'user', label: 'User', required: true, placeholder: 'root@pam' }),
    detail({ name: 'token', label: 'Token name', required: true }),
    detail({ name: 'secret', label: 'Token secret', kind: 'password', required: true }),
    detail({ name: 'node', label: 'Node', required: true }),
    detail({ name: 'network_bridge', label: 'Network bridge', required: true, placeholder: 'vmbr0' }),
    detail({ name: 'verify_tls_certificate', label: 'Verify TLS certificate', kind: 'checkbox', defaultValue: true }),
  ],
  hyperv: [
    detail({ name: 'url', label: 'WinRM URL', required: true, placeholder: 'https://hyperv.example.com:5986/wsman' }),
    detail({ name: 'username', label: 'Username', required: true }),
    detail({ name: 'password', label: 'Password', kind: 'password', required: true }),
    detail({ name: 'network_bridge', label: 'Virtual switch', required: true }),
    detail({ name: 'vhd_path', label: 'VHD path', required: true, placeholder: 'C:\\ProgramData\\Microsoft\\Windows\\Virtual Hard Disks' }),
    detail({ name: 'vm_path', label: 'VM path', required: true, placeholder: 'C:\\ProgramData\\Microsoft\\Windows\\Hyper-V' }),
    detail({ name: 'verify_tls_certificate', label: 'Verify TLS certificate', kind: 'checkbox', defaultValue: true }),
  ],
  maas: [
    detail({ name: 'endpoint', label: 'MAAS endpoint', required: true, placeholder: 'http://maas.example.com:5240/MAAS' }),
    detail({ name: 'apikey', label: 'API key', kind: 'password', required: true, help: 'consumer:token:secret' }),
  ],
};

export const TEMPLATE_DETAIL_FIELDS: Record<BuiltinKind, readonly FieldSpec[]> = {
  proxmox: [
    detail({ name: 'template_type', label: 'Template type', kind: 'select', required: true, defaultValue: 'template', options: TEMPLATE_TYPES }),
    detail({ name: 'template_id', label: 'Proxmox template VM id', required: true, visible: isTemplateType('template') }),
    detail({ name: 'iso_path', label: 'ISO path', required: true, placeholder: 'local:iso/ubuntu.iso', visible: isTemplateType('iso') }),
    detail({ name: 'storage', label: 'Storage', placeholder: 'local-lvm' }),
    detail({ name: 'disk_size_gb', label: 'Disk size (GB)', kind: 'number', placeholder: '64' }),
    detail({ name: 'is_full_clone', label: 'Full clone', kind: 'checkbox', visible: isTemplateType('template') }),
  ],
  hyperv: [
    detail({ name: 'template_type', label: 'Template type', kind: 'select', required: true, defaultValue: 'template', options: TEMPLATE_TYPES }),
    detail({ name: 'generation', label: 'Generation', kind: 'select', required: true, defaultValue: '2', options: [{ value: '1', label: '1' }, { value: '2', label: '2' }] }),
    detail({ name: 'template_path', label: 'Template VHDX path', required: true, visible: isTemplateType('template') }),
    detail({ name: 'iso_path', label: 'ISO path', required: true, visible: isTemplateType('iso') }),
    detail({ name: 'vhd_size_gb', label: 'VHD size (GB)', kind: 'number', required: true, visible: isTemplateType('iso') }),
  ],
  maas: [
    detail({ name: 'distro_series', label: 'Distro series', required: true, placeholder: 'jammy' }),
    detail({ name: 'os', label: 'OS', placeholder: 'ubuntu' }),
    detail({ name: 'architecture', label: 'Architecture', placeholder: 'amd64/generic' }),
  ],
};

/** The external details from a form's values: only the given fields, booleans as CloudStack's "true"/"false". */
export function externalDetailsFrom(fields: readonly FieldSpec[], values: FormValues): Record<string, string> {
  const details: Record<string, string> = {};
  for (const field of fields) {
    const value = values[field.name];
    if (value === undefined || value === '') continue;
    details[field.name] = typeof value === 'boolean' ? String(value) : value;
  }
  return details;
}

/** The free key=value editor, for details no in-built form describes. */
export function keyValueField(name: string, label = 'Details (key=value per line)', help?: string): FieldSpec {
  return { name, label, kind: 'textarea', ...(help ? { help } : {}) };
}

/** What a key=value editor holds, as a map. */
export function keyValuesOf(values: FormValues, name: string): Record<string, string> {
  return parseKeyValueLines(String(values[name] ?? ''));
}

/** The detail fields of a host or template: the in-built extension's, or the free editor for any other. */
export function detailFieldsFor(kind: BuiltinKind | undefined, builtin: Record<BuiltinKind, readonly FieldSpec[]>, freeLabel: string): readonly FieldSpec[] {
  return kind ? builtin[kind] : [keyValueField('externaldetails', freeLabel)];
}

/** The external details a form from `detailFieldsFor` holds. */
export function externalDetailsOf(kind: BuiltinKind | undefined, fields: readonly FieldSpec[], values: FormValues): Record<string, string> {
  return kind ? externalDetailsFrom(fields, values) : keyValuesOf(values, 'externaldetails');
}

/** `key=value, …` for a table cell, leaving out the `hidden` keys; a dash when nothing is left. */
export function detailsSummary(details: unknown, hidden: ReadonlySet<string> = new Set()): string {
  return (
    Object.entries((details as Record<string, string> | undefined) ?? {})
      .filter(([key]) => !hidden.has(key))
      .map(([key, value]) => `${key}=${value}`)
      .join(', ') || '—'
  );
}
