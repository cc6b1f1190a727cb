import { parseEndpoint } from '../http/base-url.ts';

/** MAAS's region API listens on plain HTTP 5240 unless TLS was enabled (then usually 5443, given explicitly). */
export const MAAS_DEFAULT_PORT = 5240;
export const MAAS_API_PATH = '/MAAS/api/2.0';

/**
 * The MAAS site root (scheme, host, port and any reverse-proxy prefix, without `/MAAS`) from an endpoint
 * detail given as a bare host, `host:port` or a full URL. A trailing `/MAAS` or `/MAAS/api/2.0` is accepted
 * and stripped, because operators copy either from the MAAS UI or CLI.
 */
export function parseMaasEndpoint(raw: string): URL {
  const url = parseEndpoint(raw, { scheme: 'http', port: MAAS_DEFAULT_PORT });
  url.pathname = url.pathname.replace(/\/MAAS(?:\/api\/2\.0)?\/?$/i, '').replace(/\/+$/, '');
  return url;
}

/** The API base (`…/MAAS/api/2.0`) under a site root from `parseMaasEndpoint`. */
export function maasApiBaseUrl(site: URL): URL {
  const url = new URL(site.href);
  url.pathname = `${site.pathname.replace(/\/+$/, '')}${MAAS_API_PATH}`;
  return url;
}

/** The MAAS web UI page of one machine, e.g. `http://maas:5240/MAAS/r/machine/abc123/summary`. */
export function maasMachineUiUrl(site: URL, systemId: string): string {
  const root = `${site.origin}${site.pathname.replace(/\/+$/, '')}`;
  return `${root}/MAAS/r/machine/${encodeURIComponent(systemId)}/summary`;
}
