import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Database } from '../../store/schema.ts';
import { canAccessOwner, ownerOf, requireAdmin } from '../access.ts';
import type { Caller } from '../caller.ts';
import { isAdmin } from '../caller.ts';
import type { ServiceContext } from '../context.ts';
import { conflict, invalidParameter, notFound, OrchestratorError, permissionDenied } from '../errors.ts';
import type {
  AccountFilter,
  CreateAccountInput,
  CreateDomainInput,
  CreateUserInput,
  IamService,
  UpdateUserInput,
  UserFilter,
} from '../services.ts';
import { hashPassword, randomToken, verifyPassword } from '../support/crypto.ts';
import { keywordPattern, pageOf } from '../support/paging.ts';
import type { Account, ApiKeyPair, Domain, ListOptions, Page, Role, RoleType, User } from '../types.ts';
import { domainPathFromApi, ROOT_DOMAIN } from './domain-path.ts';
import { accountOf, accountsQuery, callerOf, domainOf, newUserRow, roleOf, userOf, usersQuery, type UserRow } from './records.ts';
import { ACCOUNT_TYPE_FOR_ROLE, DEFAULT_ROLES, ROLE_FOR_ACCOUNT_TYPE } from './roles.ts';

const API_KEY_BYTES = 64;
const SECRET_KEY_BYTES = 64;
export const ADMIN_USERNAME = 'admin';

/** Accounts, users, domains, roles, API keys and passwords (scrypt). */
export class IamServiceImpl implements IamService {
  readonly #context: ServiceContext;

  constructor(context: ServiceContext) {
    this.#context = context;
  }

  get #db(): Kysely<Database> {
    return this.#context.db;
  }

  /** Creates roles, the ROOT domain, the `system` and `admin` accounts on an empty database. */
  async seed(adminPassword: string): Promise<void> {
    const existing = await this.#db.selectFrom('roles').select('id').limit(1).executeTakeFirst();
    if (existing) return;
    const now = this.#context.nowIso();
    await this.#db.transaction().execute(async (trx) => {
      for (const role of DEFAULT_ROLES) {
        await trx
          .insertInto('roles')
          .values({ uuid: randomUUID(), name: role.name, role_type: role.type, description: role.description, is_default: 1 })
          .execute();
      }
      const adminRole = await trx.selectFrom('roles').select('id').where('role_type', '=', 'Admin').executeTakeFirstOrThrow();
      const domain = await trx
        .insertInto('domains')
        .values({ uuid: randomUUID(), name: ROOT_DOMAIN, path: ROOT_DOMAIN, parent_id: null, level: 0, created: now, removed: null })
        .returning('id')
        .executeTakeFirstOrThrow();
      for (const name of ['system', ADMIN_USERNAME]) {
        const account = await trx
          .insertInto('accounts')
          .values({ uuid: randomUUID(), name, account_type: 'ADMIN', domain_id: domain.id, role_id: adminRole.id, state: 'enabled', created: now, removed: null })
          .returning('id')
          .executeTakeFirstOrThrow();
        await trx
          .insertInto('users')
          .values(
            newUserRow({
              username: name,
              // The system user cannot log in: its hash matches no password.
              passwordHash: name === 'system' ? 'disabled' : await hashPassword(adminPassword),
              firstName: name,
              lastName: 'cloud',
              email: null,
              accountId: account.id,
              created: now,
            }),
          )
          .execute();
      }
    });
  }

  async authenticateApiKey(apiKey: string): Promise<{ caller: Caller; secretKey: string } | null> {
    if (!apiKey) return null;
    const row = await usersQuery(this.#db).where('u.api_key', '=', apiKey).executeTakeFirst();
    if (!row || row.state !== 'enabled' || row.account_state !== 'enabled' || !row.secret_key) return null;
    return { caller: callerOf(row), secretKey: this.#context.secrets.open(row.secret_key) };
  }

  async login(username: string, password: string, domainPath = '/'): Promise<Caller> {
    const path = domainPathFromApi(domainPath);
    const row = await usersQuery(this.#db).where('u.username', '=', username).where('d.path', '=', path).executeTakeFirst();
    const failure = new OrchestratorError('permission-denied', 'Failed to authenticate user ' + username + '; please provide valid credentials');
    if (!row || row.state !== 'enabled' || row.account_state !== 'enabled') throw failure;
    if (!(await verifyPassword(password, row.password_hash))) throw failure;
    return callerOf(row);
  }

  async callerForUser(userId: string): Promise<Caller> {
    const row = await usersQuery(this.#db).where('u.uuid', '=', userId).executeTakeFirst();
    if (!row) throw notFound('user', userId, 'userid');
    return callerOf(row);
  }

  async systemAdmin(): Promise<Caller> {
    const row = await usersQuery(this.#db).where('u.username', '=', ADMIN_USERNAME).where('d.path', '=', ROOT_DOMAIN).executeTakeFirstOrThrow();
    return callerOf(row);
  }

  /** The internal `system` caller used for background work (power sync, recovery). */
  async systemCaller(): Promise<Caller> {
    const row = await usersQuery(this.#db).where('u.username', '=', 'system').where('d.path', '=', ROOT_DOMAIN).executeTakeFirstOrThrow();
    return callerOf(row);
  }

  async listDomains(caller: Caller, filter: ListOptions & { id?: string; name?: string } = {}): Promise<Page<Domain>> {
    const rows = await this.#db
      .selectFrom('domains as d')
      .leftJoin('domains as p', 'p.id', 'd.parent_id')
      .select(['d.uuid', 'd.name', 'd.path', 'd.level', 'd.created', 'p.uuid as parent_uuid', 'p.name as parent_name'])
      .where('d.removed', 'is', null)
      .orderBy('d.id')
      .execute();
    const domains = rows
      .filter((row) => isAdmin(caller) || row.path === caller.domainPath || row.path.startsWith(`${caller.domainPath}/`))
      .filter((row) => !filter.id || row.uuid === filter.id)
      .filter((row) => !filter.name || row.name === filter.name)
      .filter((row) => !filter.keyword || row.name.toLowerCase().includes(filter.keyword.toLowerCase()))
      .map(domainOf);
    return pageOf(domains, filter);
  }

  async createDomain(caller: Caller, input: CreateDomainInput): Promise<Domain> {
    requireAdmin(caller);
    const name = input.name?.trim();
    if (!name) throw invalidParameter('Domain name is required', 'name');
    if (name.includes('/')) throw invalidParameter('Domain name cannot contain "/"', 'name');
    const parent = input.parentDomainId
      ? await this.#liveDomain(input.parentDomainId)
      : await this.#db.selectFrom('domains').selectAll().where('path', '=', ROOT_DOMAIN).executeTakeFirst();
    if (!parent) throw notFound('domain', input.parentDomainId ?? ROOT_DOMAIN, 'parentdomainid');
    const path = `${parent.path}/${name}`;
    const duplicate = await this.#db.selectFrom('domains').select('id').where('path', '=', path).where('removed', 'is', null).executeTakeFirst();
    if (duplicate) throw conflict(`Domain with name ${name} already exists for the parent id=${parent.uuid}`, 'name');
    const row = await this.#db
      .insertInto('domains')
      .values({ uuid: randomUUID(), name, path, parent_id: parent.id, level: parent.level + 1, created: this.#context.nowIso(), removed: null })
      .returningAll()
      .executeTakeFirstOrThrow();
    return domainOf({ ...row, parent_uuid: parent.uuid, parent_name: parent.name });
  }

  async listRoles(caller: Caller, filter: ListOptions & { id?: string; name?: string; type?: RoleType } = {}): Promise<Page<Role>> {
    void caller;
    const rows = await this.#db.selectFrom('roles').selectAll().orderBy('id').execute();
    const roles = rows
      .map(roleOf)
      .filter((role) => (!filter.id || role.id === filter.id) && (!filter.name || role.name === filter.name) && (!filter.type || role.type === filter.type))
      .filter((role) => !filter.keyword || role.name.toLowerCase().includes(filter.keyword.toLowerCase()));
    return pageOf(roles, filter);
  }

  async listAccounts(caller: Caller, filter: AccountFilter = {}): Promise<Page<Account>> {
    let query = accountsQuery(this.#db).where('a.name', '!=', 'system');
    if (filter.id) query = query.where('a.uuid', '=', filter.id);
    if (filter.name) query = query.where('a.name', '=', filter.name);
    if (filter.domainId) query = query.where('d.uuid', '=', filter.domainId);
    if (filter.keyword) query = query.where(sql`lower(a.name)`, 'like', keywordPattern(filter.keyword));
    const rows = await query.orderBy('a.id').execute();
    const accounts = rows.filter((row) => canAccessOwner(caller, ownerOf(row))).map(accountOf);
    return pageOf(accounts, filter);
  }

  async createAccount(caller: Caller, input: CreateAccountInput): Promise<{ account: Account; user: User }> {
    if (caller.roleType !== 'Admin' && caller.roleType !== 'DomainAdmin') throw permissionDenied();
    const username = input.username?.trim();
    if (!username) throw invalidParameter('Username is required', 'username');
    if (!input.password) throw invalidParameter('Password is required', 'password');
    const accountName = input.accountName?.trim() || username;
    const domain = input.domainId
      ? await this.#liveDomain(input.domainId)
      : await this.#db.selectFrom('domains').selectAll().where('uuid', '=', caller.domainId).executeTakeFirst();
    if (!domain) throw notFound('domain', input.domainId ?? caller.domainId, 'domainid');
    if (!canAccessOwner(caller, { accountId: '', domainPath: domain.path })) throw permissionDenied();
    let role;
    if (input.roleId) {
      role = await this.#db.selectFrom('roles').selectAll().where('uuid', '=', input.roleId).executeTakeFirst();
      if (!role) throw notFound('role', input.roleId, 'roleid');
    } else {
      const accountType = input.accountType ?? 'NORMAL';
      const roleType = ROLE_FOR_ACCOUNT_TYPE[accountType];
      if (!roleType) throw invalidParameter(`Invalid account type ${String(accountType)}`, 'accounttype');
      role = await this.#db.selectFrom('roles').selectAll().where('role_type', '=', roleType).where('is_default', '=', 1).executeTakeFirstOrThrow();
    }
    if (caller.roleType !== 'Admin' && role.role_type === 'Admin') throw permissionDenied('Only an admin can create admin accounts');
    const duplicate = await this.#db
      .selectFrom('accounts')
      .select('id')
      .where('name', '=', accountName)
      .where('domain_id', '=', domain.id)
      .where('removed', 'is', null)
      .executeTakeFirst();
    if (duplicate) throw conflict(`The specified account: ${accountName} already exists`, 'account');
    await this.#assertUsernameFree(username, domain.id);
    const passwordHash = await hashPassword(input.password);
    const now = this.#context.nowIso();
    const userUuid = await this.#db.transaction().execute(async (trx) => {
      const account = await trx
        .insertInto('accounts')
        .values({
          uuid: randomUUID(),
          name: accountName,
          account_type: ACCOUNT_TYPE_FOR_ROLE[role.role_type as RoleType],
          domain_id: domain.id,
          role_id: role.id,
          state: 'enabled',
          created: now,
          removed: null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const user = await trx
        .insertInto('users')
        .values(newUserRow({ ...userDetails(input), username, passwordHash, accountId: account.id, created: now }))
        .returning('uuid')
        .executeTakeFirstOrThrow();
      return user.uuid;
    });
    const user = await this.#userByUuid(userUuid);
    const account = (await this.listAccounts(await this.systemAdmin(), { id: user.accountId })).items[0];
    if (!account) throw new OrchestratorError('internal', 'Account vanished after creation');
    await this.#context.recordEvent(caller, { type: 'ACCOUNT.CREATE', description: `Created account ${accountName}`, outcome: 'success', resourceType: 'Account', resourceId: account.id });
    return { account, user };
  }

  async listUsers(caller: Caller, filter: UserFilter = {}): Promise<Page<User>> {
    let query = usersQuery(this.#db).where('a.name', '!=', 'system');
    if (filter.id) query = query.where('u.uuid', '=', filter.id);
    if (filter.username) query = query.where('u.username', '=', filter.username);
    if (filter.accountId) query = query.where('a.uuid', '=', filter.accountId);
    if (filter.domainId) query = query.where('d.uuid', '=', filter.domainId);
    if (filter.keyword) query = query.where(sql`lower(u.username)`, 'like', keywordPattern(filter.keyword));
    const rows = await query.orderBy('u.id').execute();
    const users = rows.filter((row) => canAccessOwner(caller, ownerOf(row))).map(userOf);
    return pageOf(users, filter);
  }

  async createUser(caller: Caller, input: CreateUserInput): Promise<User> {
    const account = await accountsQuery(this.#db).where('a.uuid', '=', input.accountId).executeTakeFirst();
    if (!account) throw notFound('account', input.accountId, 'account');
    if (caller.roleType === 'User' || !canAccessOwner(caller, ownerOf(account))) throw permissionDenied();
    const username = input.username?.trim();
    if (!username) throw invalidParameter('Username is required', 'username');
    if (!input.password) throw invalidParameter('Password is required', 'password');
    await this.#assertUsernameFree(username, account.account_domain_id);
    const passwordHash = await hashPassword(input.password);
    const row = await this.#db
      .insertInto('users')
      .values(newUserRow({ ...userDetails(input), username, passwordHash, accountId: account.account_id, created: this.#context.nowIso() }))
      .returning('uuid')
      .executeTakeFirstOrThrow();
    return this.#userByUuid(row.uuid);
  }

  async updateUser(caller: Caller, userId: string, input: UpdateUserInput): Promise<User> {
    const user = await this.#accessibleUser(caller, userId);
    const changes: Partial<{ first_name: string; last_name: string; email: string; password_hash: string }> = {};
    if (input.firstName !== undefined) changes.first_name = input.firstName;
    if (input.lastName !== undefined) changes.last_name = input.lastName;
    if (input.email !== undefined) changes.email = input.email;
    if (input.password !== undefined) {
      if (!input.password) throw invalidParameter('Password cannot be empty', 'password');
      changes.password_hash = await hashPassword(input.password);
    }
    if (Object.keys(changes).length > 0) await this.#db.updateTable('users').set(changes).where('id', '=', user.id).execute();
    return this.#userByUuid(userId);
  }

  async deleteUser(caller: Caller, userId: string): Promise<void> {
    const user = await this.#accessibleUser(caller, userId);
    if (user.username === ADMIN_USERNAME && user.domain_path === ROOT_DOMAIN) throw invalidParameter('The admin user cannot be deleted', 'id');
    await this.#db.updateTable('users').set({ removed: this.#context.nowIso(), api_key: null, secret_key: null }).where('id', '=', user.id).execute();
  }

  async registerUserKeys(caller: Caller, userId: string): Promise<ApiKeyPair> {
    const user = await this.#accessibleUser(caller, userId);
    const pair = { apiKey: randomToken(API_KEY_BYTES), secretKey: randomToken(SECRET_KEY_BYTES) };
    await this.#db
      .updateTable('users')
      .set({ api_key: pair.apiKey, secret_key: this.#context.secrets.seal(pair.secretKey) })
      .where('id', '=', user.id)
      .execute();
    await this.#context.recordEvent(caller, { type: 'REGISTER.USER.KEY', description: `Registered API keys of user ${user.username}`, outcome: 'success', resourceType: 'User', resourceId: userId });
    return pair;
  }

  async getUserKeys(caller: Caller, userId: string): Promise<ApiKeyPair | null> {
    const user = await this.#accessibleUser(caller, userId);
    if (!user.api_key || !user.secret_key) return null;
    return { apiKey: user.api_key, secretKey: this.#context.secrets.open(user.secret_key) };
  }

  async #accessibleUser(caller: Caller, userId: string): Promise<UserRow> {
    const row = await usersQuery(this.#db).where('u.uuid', '=', userId).executeTakeFirst();
    if (!row || !canAccessOwner(caller, ownerOf(row))) throw notFound('user', userId, 'id');
    if (caller.roleType === 'User' && row.uuid !== caller.userId) throw permissionDenied();
    return row;
  }

  async #liveDomain(uuid: string) {
    return this.#db.selectFrom('domains').selectAll().where('uuid', '=', uuid).where('removed', 'is', null).executeTakeFirst();
  }

  async #userByUuid(uuid: string): Promise<User> {
    const row = await usersQuery(this.#db).where('u.uuid', '=', uuid).executeTakeFirst();
    if (!row) throw notFound('user', uuid, 'id');
    return userOf(row);
  }

  async #assertUsernameFree(username: string, domainId: number): Promise<void> {
    const taken = await this.#db
      .selectFrom('users as u')
      .innerJoin('accounts as a', 'a.id', 'u.account_id')
      .select('u.id')
      .where('u.username', '=', username)
      .where('a.domain_id', '=', domainId)
      .where('u.removed', 'is', null)
      .executeTakeFirst();
    if (taken) throw conflict(`The user ${username} already exists in domain`, 'username');
  }
}

/** The optional personal details of a new user, as stored. */
function userDetails(input: CreateUserInput | CreateAccountInput): { firstName: string; lastName: string; email: string | null } {
  return { firstName: input.firstName ?? '', lastName: input.lastName ?? '', email: input.email ?? null };
}
