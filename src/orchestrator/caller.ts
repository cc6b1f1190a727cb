import type { AccountType, RoleType } from './types.ts';

/**
 * Who is asking. Every service method takes one; the API layer gets it from `iam.authenticateApiKey`,
 * `iam.login` or `iam.callerForUser`. All ids are UUIDs.
 */
export interface Caller {
  readonly userId: string;
  readonly userName: string;
  readonly accountId: string;
  readonly accountName: string;
  readonly accountType: AccountType;
  readonly domainId: string;
  readonly domainPath: string;
  readonly roleId: string;
  readonly roleName: string;
  readonly roleType: RoleType;
}

export function isAdmin(caller: Caller): boolean {
  return caller.roleType === 'Admin';
}
