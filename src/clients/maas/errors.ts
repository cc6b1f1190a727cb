/** An HTTP error answered by MAAS, with the message MAAS gave (plain text, or a JSON dict of field errors). */
export class MaasApiError extends Error {
  override readonly name = 'MaasApiError';
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly operation: string,
  ) {
    super(`MAAS API error: ${status} ${detail}`);
  }
}

const MAX_DETAIL_LENGTH = 500;

/** Flattens MAAS's 400 validation dict (`{"distro_series": ["… is not a valid …"]}`) into one line. */
function describeJsonError(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map((item) => describeJsonError(item) ?? JSON.stringify(item)).join('; ');
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return undefined;
    return entries
      .map(([field, errors]) => (field === '__all__' ? describeJsonError(errors) : `${field}: ${describeJsonError(errors) ?? ''}`))
      .join('; ');
  }
  return undefined;
}

/**
 * The message of an error response: JSON bodies (validation errors) are flattened, text bodies are taken as
 * they are (HTML error pages from a proxy are reduced to their text), and an empty body falls back to the
 * status line's reason phrase.
 */
export function describeErrorBody(status: number, reason: string, contentType: string | undefined, body: Buffer): string {
  const text = body.toString('utf8').trim();
  let detail: string | undefined;
  if (text !== '' && (contentType ?? '').includes('json')) {
    try {
      detail = describeJsonError(JSON.parse(text));
    } catch {
      detail = text;
    }
  } else if (/^\s*</.test(text)) {
    detail = text.replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
  } else {
    detail = text;
  }
  if (!detail) detail = reason || `HTTP ${status}`;
  detail = detail.replace(/\s*\n\s*/g, ' ');
  return detail.length > MAX_DETAIL_LENGTH ? `${detail.slice(0, MAX_DETAIL_LENGTH)}…` : detail;
}
