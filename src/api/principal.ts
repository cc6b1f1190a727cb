// Who is calling: what the API layer needs to authorize, envelope and log a request. `caller` is the
// domain's own caller object, handed through to the orchestrator's services unchanged.

export const ROLE_TYPES = ['Admin', 'ResourceAdmin', 'DomainAdmin', 'User'] as const;
export type RoleType = (typeof ROLE_TYPES)[number];

export interface ApiPrincipal<TCaller = unknown> {
  userId: string;
  username: string;
  accountId: string;
  accountName: string;
  domainId: string;
  domainName?: string;
  roleType: RoleType;
  firstName?: string;
  lastName?: string;
  timezone?: string;
  caller: TCaller;
}

export interface ApiAuthenticator {
  /** The enabled user owning `apiKey`, with their secret key; undefined when unknown or disabled. */
  byApiKey(apiKey: string): Promise<{ principal: ApiPrincipal; secretKey: string } | undefined>;
  /** Password login (`command=login`); undefined when the credentials are wrong. */
  byPassword(username: string, password: string, domain: { path?: string; id?: string }): Promise<ApiPrincipal | undefined>;
}

/** CloudStack's account type numbers as `login` reports them (Account.Type ordinal). */
export const ACCOUNT_TYPE_BY_ROLE: Record<RoleType, number> = { User: 0, Admin: 1, DomainAdmin: 2, ResourceAdmin: 3 };
