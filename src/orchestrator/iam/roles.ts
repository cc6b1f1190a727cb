import type { AccountType, RoleType } from '../types.ts';

/** CloudStack's default roles (one per role type). */
export const DEFAULT_ROLES: ReadonlyArray<{ name: string; type: RoleType; description: string }> = [
  { name: 'Root Admin', type: 'Admin', description: 'Default root admin role' },
  { name: 'Resource Admin', type: 'ResourceAdmin', description: 'Default resource admin role' },
  { name: 'Domain Admin', type: 'DomainAdmin', description: 'Default domain admin role' },
  { name: 'User', type: 'User', description: 'Default user role' },
];

export const ACCOUNT_TYPE_FOR_ROLE: Readonly<Record<RoleType, AccountType>> = {
  Admin: 'ADMIN',
  ResourceAdmin: 'RESOURCE_DOMAIN_ADMIN',
  DomainAdmin: 'DOMAIN_ADMIN',
  User: 'NORMAL',
};

export const ROLE_FOR_ACCOUNT_TYPE: Readonly<Record<AccountType, RoleType>> = {
  ADMIN: 'Admin',
  RESOURCE_DOMAIN_ADMIN: 'ResourceAdmin',
  DOMAIN_ADMIN: 'DomainAdmin',
  NORMAL: 'User',
};
