// CloudStack error texts name the parameter at fault ("Unable to find zone (parameter zoneid)", "Missing or empty
// required parameter: snap_name"); the console uses that to put the message next to the field that caused it.

/**
 * The form field an error text points at: the field whose API parameter name (or, for map entries such as
 * `externaldetails[0].url`, the entry key) appears in the text as a whole word. Longer names win so that
 * `iso_path` is not mistaken for `path`.
 */
export function fieldForError(message: string, fieldParams: Record<string, string>): string | undefined {
  const text = message.toLowerCase();
  const candidates = Object.entries(fieldParams)
    .flatMap(([field, param]) => {
      const names = [param.toLowerCase()];
      const entry = /\]\.(.+)$/.exec(param);
      if (entry?.[1]) names.push(entry[1].toLowerCase());
      return names.map((name) => ({ field, name }));
    })
    .sort((a, b) => b.name.length - a.name.length);
  for (const { field, name } of candidates) {
    const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    if (new RegExp(`(^|[^a-z0-9_])${escaped}($|[^a-z0-9_])`).test(text)) return field;
  }
  return undefined;
}
