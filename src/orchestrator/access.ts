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
