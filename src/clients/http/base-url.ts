/**
 * Normalises an endpoint detail given as a bare host (`pve1`), `host:port`, `[v6]:port` or a full URL into
 * a URL with an explicit scheme and port. The default port is added only when none was given, so it is
 * never doubled.
 */
export function parseEndpoint(raw: string, defaults: { scheme: 'http' | 'https'; port: number }): URL {
  const text = raw.trim();
  if (text === '') throw new Error('Endpoint is empty');
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text);
  let url: URL;
  try {
    url = new URL(hasScheme ? text : `${defaults.scheme}://${text}`);
  } catch {
    throw new Error(`Invalid endpoint '${raw}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`Invalid endpoint '${raw}': only http and https are supported`);
  }
  if (url.username || url.password) throw new Error(`Invalid endpoint '${raw}': credentials belong in their own details`);
  // URL drops a port equal to the scheme's default (`https://h:443`), so look at what was typed.
  const authority = (hasScheme ? text.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '') : text).split(/[/?#]/)[0] ?? '';
  const typedPort = /:(\d+)$/.test(authority) && !/^\[[^\]]*\]$/.test(authority);
  if (!typedPort) url.port = String(defaults.port);
  url.pathname = url.pathname.replace(/\/+$/, '');
  url.search = '';
  url.hash = '';
  return url;
}
