export const ROOT_DOMAIN = 'ROOT';

/** CloudStack's login `domain` is `/` for ROOT or `/child/grandchild`; stored paths are `ROOT/child/…`. */
export function domainPathFromApi(domain: string): string {
  const trimmed = domain.trim().replace(/^\/+|\/+$/g, '');
  if (trimmed === '' || trimmed.toUpperCase() === ROOT_DOMAIN) return ROOT_DOMAIN;
  return trimmed.toUpperCase().startsWith(`${ROOT_DOMAIN}/`) ? `${ROOT_DOMAIN}/${trimmed.slice(ROOT_DOMAIN.length + 1)}` : `${ROOT_DOMAIN}/${trimmed}`;
}
