/**
 * Form encoding for Proxmox API parameters. Proxmox wants booleans as `0`/`1` (it rejects `true`), and every
 * value — names, descriptions, property strings such as `virtio=…,bridge=…` — must be encoded for a form body.
 */
export type FormValue = string | number | boolean | undefined;
export type FormParameters = Readonly<Record<string, FormValue>>;

/** Encodes parameters as `application/x-www-form-urlencoded`, skipping undefined values. */
export function encodeForm(parameters: FormParameters): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(parameters)) {
    if (value === undefined) continue;
    search.append(key, typeof value === 'boolean' ? (value ? '1' : '0') : String(value));
  }
  return search.toString();
}

/** Builds a query string (with the leading `?`) from parameters, or '' when there are none. */
export function encodeQuery(parameters: FormParameters | undefined): string {
  if (!parameters) return '';
  const encoded = encodeForm(parameters);
  return encoded === '' ? '' : `?${encoded}`;
}

/** Builds an API path from literal parts and values, encoding every value as one path segment. */
export function apiPath(strings: TemplateStringsArray, ...values: ReadonlyArray<string | number>): string {
  let path = strings[0] ?? '';
  values.forEach((value, index) => {
    path += encodeURIComponent(String(value)) + (strings[index + 1] ?? '');
  });
  return path;
}
