import type { Caller } from './caller.ts';
import { permissionDenied } from './errors.ts';

/** Admin-only operations (all infrastructure and extension management). */
export function requireAdmin(caller: Caller): void {
  if (caller.roleType !== 'Admin') throw permissionDenied();
}

/** Admins see everything; domain/resource admins their domain subtree; users their own account. */
export function canAccessOwner(caller: Caller, owner: { accountId: string; domainPath: string }): boolean {
  if (caller.roleType === 'Admin') return true;
  if (caller.roleType === 'DomainAdmin' || caller.roleType === 'ResourceAdmin') {
    return owner.domainPath === caller.domainPath || owner.domainPath.startsWith(`${caller.domainPath}/`);
  }
  return owner.accountId === caller.accountId;
}

/** The columns that name a row's owning account and domain; the query must alias them `a` and `d`. */
export const OWNER_COLUMNS = ['a.uuid as account_uuid', 'a.name as account_name', 'd.uuid as domain_uuid', 'd.name as domain_name', 'd.path as domain_path'] as const;

/** A row read with `OWNER_COLUMNS`. */
export interface OwnerRow {
  readonly account_uuid: string;
  readonly account_name: string;
  readonly domain_uuid: string;
  readonly domain_name: string;
  readonly domain_path: string;
}

/** A row's owner, as `canAccessOwner` takes it. */
export function ownerOf(row: Pick<OwnerRow, 'account_uuid' | 'domain_path'>): { accountId: string; domainPath: string } {
  return { accountId: row.account_uuid, domainPath: row.domain_path };
}

/** A row's owner, as the objects the services return name it. */
export function ownerFieldsOf(row: OwnerRow): { accountId: string; accountName: string; domainId: string; domainName: string } {
  return { accountId: row.account_uuid, accountName: row.account_name, domainId: row.domain_uuid, domainName: row.domain_name };
}
