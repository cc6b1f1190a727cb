// Accounts, users, API keys, domains, roles and the event log.
import type { AccountType, Orchestrator } from '../../orchestrator/index.ts';
import { invalidParameter } from '../errors.ts';
import { callerOf } from '../orchestrator-adapters.ts';
import { dateParam, enumParam, integerParam, stringParam, uuidParam } from '../params.ts';
import { ALL_ROLES, defineCommand, type AnyCommand } from '../registry.ts';
import { successFields } from '../response-fields.ts';
import { accountResponse, domainResponse, eventResponse, roleResponse, userKeysResponse, userResponse } from '../responses/catalog.ts';

import { listed, listOptions, single, SUCCESS } from './shared.ts';

const ACCOUNT_TYPES: Record<number, AccountType> = { 0: 'NORMAL', 1: 'ADMIN', 2: 'DOMAIN_ADMIN', 3: 'RESOURCE_DOMAIN_ADMIN' };
const ADMINS = ['Admin', 'DomainAdmin'] as const;

export function iamCommands(orchestrator: Orchestrator): AnyCommand[] {
  const { iam, events } = orchestrator;
  return [
    defineCommand({
      name: 'listAccounts',
      description: 'Lists accounts and provides detailed account information for listed accounts',
      roles: ALL_ROLES,
      list: true,
      params: {
        id: uuidParam({ description: 'list account by account ID' }),
        name: stringParam({ description: 'list account by account name' }),
        domainid: uuidParam({ description: 'list only resources belonging to the domain specified' }),
        listall: stringParam({ description: 'If set to false, list only resources belonging to the command\'s caller; if set to true - list resources that the caller is authorized to see. Default value is false' }),
      },
      response: accountResponse.fields,
      async handler({ id, name, domainid, keyword }, { principal, paging }) {
        const caller = callerOf(principal);
        const page = await iam.listAccounts(caller, { id, name, domainId: domainid, ...listOptions(paging, keyword) });
        const items = await Promise.all(
          page.items.map(async (account) => accountResponse.map({ ...account, users: (await iam.listUsers(caller, { accountId: account.id })).items })),
        );
        return { type: 'list', name: accountResponse.name, items, count: page.count };
      },
    }),
    defineCommand({
      name: 'createAccount',
      description: 'Creates an account',
      roles: ADMINS,
      params: {
        username: stringParam({ description: 'Unique username.', required: true }),
        password: stringParam({ description: 'Clear text password (Default hashed to SHA256SALT). If you wish to use any other hashing algorithm, you would need to write a custom authentication adapter See Docs section.', required: true }),
        firstname: stringParam({ description: 'firstname', required: true }),
        lastname: stringParam({ description: 'lastname', required: true }),
        email: stringParam({ description: 'email' }),
        account: stringParam({ description: 'Name of the account to be created. The user will be added to this newly created account. If no account is specified, the username will be used as the account name.' }),
        accounttype: integerParam({ description: 'Type of the account.  Specify 0 for user, 1 for root admin, and 2 for domain admin' }),
        roleid: uuidParam({ description: 'Creates the account under the specified role.' }),
        domainid: uuidParam({ description: 'Creates the user under the specified domain.' }),
        timezone: stringParam({ description: 'Specifies a timezone for this command. For more information on the timezone parameter, see Time Zone Format.' }),
      },
      response: accountResponse.fields,
      async handler(p, { principal }) {
        let accountType: AccountType | undefined;
        if (p.accounttype !== undefined) {
          accountType = ACCOUNT_TYPES[p.accounttype];
          if (accountType === undefined) throw invalidParameter(`Unable to execute API command createaccount due to invalid value ${p.accounttype} for parameter accounttype`);
        }
        const { account, user } = await iam.createAccount(callerOf(principal), {
          accountName: p.account,
          username: p.username,
          password: p.password,
          firstName: p.firstname,
          lastName: p.lastname,
          email: p.email,
          domainId: p.domainid,
          roleId: p.roleid,
          accountType,
        });
        return single(accountResponse, { ...account, users: [user] });
      },
    }),
    defineCommand({
      name: 'listUsers',
      description: 'Lists user accounts',
      roles: ALL_ROLES,
      list: true,
      params: {
        id: uuidParam({ description: 'List user by ID.' }),
        username: stringParam({ description: 'List user by the username' }),
        accountid: uuidParam({ description: 'List users by account ID' }),
        domainid: uuidParam({ description: 'list only resources belonging to the domain specified' }),
        listall: stringParam({ description: 'If set to false, list only resources belonging to the command\'s caller' }),
      },
      response: userResponse.fields,
      async handler(p, { principal, paging }) {
        const page = await iam.listUsers(callerOf(principal), { id: p.id, username: p.username, accountId: p.accountid, domainId: p.domainid, ...listOptions(paging, p.keyword) });
        return listed(userResponse, page);
      },
    }),
    defineCommand({
      name: 'createUser',
      description: 'Creates a user for an account that already exists',
      roles: ADMINS,
      params: {
        account: stringParam({ description: 'Creates the user under the specified account. If no account is specified, the username will be used as the account name.', required: true }),
        username: stringParam({ description: 'Unique username.', required: true }),
        password: stringParam({ description: 'Clear text password (Default hashed to SHA256SALT).', required: true }),
        firstname: stringParam({ description: 'firstname', required: true }),
        lastname: stringParam({ description: 'lastname', required: true }),
        email: stringParam({ description: 'email' }),
        domainid: uuidParam({ description: 'Creates the user under the specified domain. Has to be accompanied with the account parameter' }),
      },
      response: userResponse.fields,
      async handler(p, { principal }) {
        const caller = callerOf(principal);
        const account = (await iam.listAccounts(caller, { name: p.account, domainId: p.domainid })).items.find((found) => found.name === p.account);
        if (!account) throw invalidParameter(`Unable to find account ${p.account} in domain ${p.domainid ?? principal.domainId}`);
        const user = await iam.createUser(caller, { accountId: account.id, username: p.username, password: p.password, firstName: p.firstname, lastName: p.lastname, email: p.email });
        return single(userResponse, user);
      },
    }),
    defineCommand({
      name: 'updateUser',
      description: 'Updates a user account',
      roles: ALL_ROLES,
      params: {
        id: uuidParam({ description: 'User uuid', required: true }),
        firstname: stringParam({ description: 'first name' }),
        lastname: stringParam({ description: 'last name' }),
        email: stringParam({ description: 'email' }),
        password: stringParam({ description: 'Clear text password (default hashed to SHA256SALT).' }),
      },
      response: userResponse.fields,
      async handler(p, { principal }) {
        const user = await iam.updateUser(callerOf(principal), p.id, { firstName: p.firstname, lastName: p.lastname, email: p.email, password: p.password });
        return single(userResponse, user);
      },
    }),
    defineCommand({
      name: 'deleteUser',
      description: 'Deletes a user for an account',
      roles: ADMINS,
      params: { id: uuidParam({ description: 'id of the user to be deleted', required: true }) },
      response: successFields,
      async handler({ id }, { principal }) {
        await iam.deleteUser(callerOf(principal), id);
        return SUCCESS;
      },
    }),
    defineCommand({
      name: 'registerUserKeys',
      description: 'This command allows a user to register for the developer API, returning a secret key and an API key. This request is made through the integration API port, so it is a privileged command and must be made on behalf of a user. It is up to the implementer just how the username and password are entered, and then how that translates to an integration API request. Both secret key and API key should be returned to the user',
      roles: ALL_ROLES,
      params: { id: uuidParam({ description: 'User id', required: true }) },
      response: userKeysResponse.fields,
      async handler({ id }, { principal }) {
        return single(userKeysResponse, await iam.registerUserKeys(callerOf(principal), id));
      },
    }),
    defineCommand({
      name: 'getUserKeys',
      description: 'This command allows the user to query the seceret and API keys for the account',
      since: '4.10.0',
      roles: ALL_ROLES,
      params: { id: uuidParam({ description: 'ID of the user whose keys are required', required: true }) },
      response: userKeysResponse.fields,
      async handler({ id }, { principal }) {
        const keys = await iam.getUserKeys(callerOf(principal), id);
        // CloudStack answers an empty object when the user has no keys.
        return keys ? single(userKeysResponse, keys) : { type: 'fields', value: {} };
      },
    }),
    defineCommand({
      name: 'listDomains',
      description: 'Lists domains and provides detailed information for listed domains',
      roles: ALL_ROLES,
      list: true,
      params: {
        id: uuidParam({ description: 'List domain by domain ID.' }),
        name: stringParam({ description: 'List domain by domain name.' }),
        listall: stringParam({ description: 'If set to false, list only resources belonging to the command\'s caller' }),
      },
      response: domainResponse.fields,
      async handler({ id, name, keyword }, { principal, paging }) {
        return listed(domainResponse, await iam.listDomains(callerOf(principal), { id, name, ...listOptions(paging, keyword) }));
      },
    }),
    defineCommand({
      name: 'createDomain',
      description: 'Creates a domain',
      roles: ADMINS,
      params: {
        name: stringParam({ description: 'creates domain with this name', required: true }),
        parentdomainid: uuidParam({ description: 'assigns new domain a parent domain by domain ID of the parent.  If no parent domain is specified, the ROOT domain is assumed.' }),
      },
      response: domainResponse.fields,
      async handler({ name, parentdomainid }, { principal }) {
        return single(domainResponse, await iam.createDomain(callerOf(principal), { name, parentDomainId: parentdomainid }));
      },
    }),
    defineCommand({
      name: 'listRoles',
      description: 'Lists dynamic roles in CloudStack',
      since: '4.9.0',
      roles: ALL_ROLES,
      list: true,
      params: {
        id: uuidParam({ description: 'List role by role ID.' }),
        name: stringParam({ description: 'List role by role name.' }),
        type: enumParam({ description: 'List role by role type, valid options are: Admin, ResourceAdmin, DomainAdmin, User.', values: ['Admin', 'ResourceAdmin', 'DomainAdmin', 'User'] }),
      },
      response: roleResponse.fields,
      async handler({ id, name, type, keyword }, { principal, paging }) {
        return listed(roleResponse, await iam.listRoles(callerOf(principal), { id, name, type, ...listOptions(paging, keyword) }));
      },
    }),
    defineCommand({
      name: 'listEvents',
      description: 'A command to list events.',
      roles: ALL_ROLES,
      list: true,
      params: {
        type: stringParam({ description: 'the event type (see event types)' }),
        level: enumParam({ description: 'the event level (INFO, WARN, ERROR)', values: ['INFO', 'WARN', 'ERROR'], caseInsensitive: true }),
        resourceid: stringParam({ description: 'the ID of the resource associated with the event' }),
        startdate: dateParam({ description: 'the start date range of the list you want to retrieve (use format "yyyy-MM-dd" or the new format "yyyy-MM-dd HH:mm:ss")' }),
        enddate: dateParam({ description: 'the end date range of the list you want to retrieve (use format "yyyy-MM-dd" or the new format "yyyy-MM-dd HH:mm:ss")' }),
        listall: stringParam({ description: 'If set to false, list only resources belonging to the command\'s caller' }),
      },
      response: eventResponse.fields,
      async handler(p, { principal, paging }) {
        const page = await events.list(callerOf(principal), {
          type: p.type,
          level: p.level,
          resourceId: p.resourceid,
          startDate: p.startdate?.toISOString(),
          endDate: p.enddate?.toISOString(),
          ...listOptions(paging, p.keyword),
        });
        return listed(eventResponse, page);
      },
    }),
    defineCommand({
      name: 'listHypervisors',
      description: 'List hypervisors',
      roles: ALL_ROLES,
      params: { zoneid: uuidParam({ description: 'the zone id for listing hypervisors.' }) },
      response: [{ name: 'name', description: 'Hypervisor name', type: 'string' }],
      async handler() {
        // extorch orchestrates External hypervisors only.
        return { type: 'list', name: 'hypervisor', items: [{ name: 'External' }], count: 1 };
      },
    }),
  ];
}

