// The IAM tables as queries, and the one mapper from each row shape to the domain object it becomes.
import { randomUUID } from 'node:crypto';
import type { InferResult, Insertable, Kysely, Selectable } from 'kysely';
import { OWNER_COLUMNS } from '../access.ts';
import type { Caller } from '../caller.ts';
import type { Database, RolesTable, UsersTable } from '../../store/schema.ts';
import type { Account, AccountType, Domain, Role, RoleType, User } from '../types.ts';

/**
 * An account with its domain and role, aliased so that a user row can carry it beside the user's own columns.
 * Needs the aliases `a` (accounts), `d` (domains) and `r` (roles).
 */
const ACCOUNT_COLUMNS = [
  ...OWNER_COLUMNS,
  'a.id as account_id',
  'a.account_type',
  'a.domain_id as account_domain_id',
  'a.state as account_state',
  'a.created as account_created',
  'r.uuid as role_uuid',
  'r.name as role_name',
  'r.role_type',
] as const;

const USER_COLUMNS = [
  'u.id',
  'u.uuid',
  'u.username',
  'u.password_hash',
  'u.first_name',
  'u.last_name',
  'u.email',
  'u.state',
  'u.api_key',
  'u.secret_key',
  'u.created',
] as const;

/** Live accounts with their domain and role. */
export function accountsQuery(db: Kysely<Database>) {
  return db
    .selectFrom('accounts as a')
    .innerJoin('domains as d', 'd.id', 'a.domain_id')
    .innerJoin('roles as r', 'r.id', 'a.role_id')
    .select(ACCOUNT_COLUMNS)
    .where('a.removed', 'is', null);
}

/** Live users of live accounts, each with everything a `Caller` and a `User` need. */
export function usersQuery(db: Kysely<Database>) {
  return db
    .selectFrom('users as u')
    .innerJoin('accounts as a', 'a.id', 'u.account_id')
    .innerJoin('domains as d', 'd.id', 'a.domain_id')
    .innerJoin('roles as r', 'r.id', 'a.role_id')
    .select([...USER_COLUMNS, ...ACCOUNT_COLUMNS])
    .where('u.removed', 'is', null)
    .where('a.removed', 'is', null);
}

export type AccountRow = InferResult<ReturnType<typeof accountsQuery>>[number];
export type UserRow = InferResult<ReturnType<typeof usersQuery>>[number];

/** A domain row with its parent's id and name (null for ROOT). */
export interface DomainRow {
  uuid: string;
  name: string;
  path: string;
  level: number;
  created: string;
  parent_uuid: string | null;
  parent_name: string | null;
}

/** The account type, domain and role that `Caller`, `User` and `Account` all carry under the same names. */
function membershipOf(row: AccountRow) {
  return {
    accountType: row.account_type as AccountType,
    domainId: row.domain_uuid,
    roleId: row.role_uuid,
    roleName: row.role_name,
    roleType: row.role_type as RoleType,
  };
}

export function accountOf(row: AccountRow): Account {
  return {
    id: row.account_uuid,
    name: row.account_name,
    ...membershipOf(row),
    domainName: row.domain_name,
    domainPath: row.domain_path,
    state: row.account_state as Account['state'],
    created: row.account_created,
  };
}

export function callerOf(row: UserRow): Caller {
  return {
    userId: row.uuid,
    userName: row.username,
    accountId: row.account_uuid,
    accountName: row.account_name,
    ...membershipOf(row),
    domainPath: row.domain_path,
  };
}

export function userOf(row: UserRow): User {
  return {
    id: row.uuid,
    username: row.username,
    firstName: row.first_name,
    lastName: row.last_name,
    email: row.email,
    accountId: row.account_uuid,
    accountName: row.account_name,
    ...membershipOf(row),
    domainName: row.domain_name,
    state: row.state as User['state'],
    apiKey: row.api_key,
    created: row.created,
  };
}

export function domainOf(row: DomainRow): Domain {
  return { id: row.uuid, name: row.name, path: row.path, parentId: row.parent_uuid, parentName: row.parent_name, level: row.level, created: row.created };
}

export function roleOf(row: Selectable<RolesTable>): Role {
  return { id: row.uuid, name: row.name, type: row.role_type as RoleType, description: row.description, isDefault: row.is_default === 1 };
}

/** A new user: enabled, without API keys until they are registered. */
export function newUserRow(user: {
  username: string;
  passwordHash: string;
  firstName: string;
  lastName: string;
  email: string | null;
  accountId: number;
  created: string;
}): Insertable<UsersTable> {
  return {
    uuid: randomUUID(),
    username: user.username,
    password_hash: user.passwordHash,
    first_name: user.firstName,
    last_name: user.lastName,
    email: user.email,
    account_id: user.accountId,
    state: 'enabled',
    api_key: null,
    secret_key: null,
    created: user.created,
    removed: null,
  };
}
