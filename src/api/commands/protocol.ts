// Commands that belong to the API layer itself: discovery, async jobs, sessions, capabilities.
import { ApiError, ApiErrorCode, invalidParameter } from '../errors.ts';
import { CLOUDSTACK_VERSION } from '../envelope.ts';
import { stringParam, uuidParam } from '../params.ts';
import { ACCOUNT_TYPE_BY_ROLE, type ApiAuthenticator } from '../principal.ts';
import { ALL_ROLES, defineCommand, describeCommand, isAllowed, type AnyCommand } from '../registry.ts';
import { asyncJobFields, fields } from '../response-fields.ts';
import { SESSION_TIMEOUT_SECONDS } from '../sessions.ts';

const paramFields = fields({
  name: 'the name of the api parameter',
  description: 'description of the api parameter',
  type: 'parameter type',
  length: ['integer', 'length of the parameter'],
  required: ['boolean', 'true if this parameter is required for the api request'],
  since: 'version of CloudStack the api was introduced in',
  related: 'comma separated related apis to get the parameter',
});
const apiResponseFields = fields({
  name: 'the name of the api response field',
  description: 'description of the api response field',
  type: 'response field type',
  response: ['set', 'api response fields'],
});

export const listApisCommand = defineCommand({
  name: 'listApis',
  description: 'lists all available apis on the server, provided by the Api Discovery plugin',
  since: '4.1.0',
  roles: ALL_ROLES,
  params: { name: stringParam({ description: 'API name' }) },
  response: fields({
    name: 'the name of the api command',
    description: 'description of the api',
    isasync: ['boolean', 'true if api is asynchronous'],
    since: 'version of CloudStack the api was introduced in',
    related: 'comma separated related apis',
    params: ['set', 'the list params the api accepts', paramFields],
    response: ['set', 'api response fields', apiResponseFields],
  }),
  async handler({ name }, { principal, registry }) {
    const visible = registry.all().filter((command) => isAllowed(command, principal.roleType));
    const selected = name === undefined ? visible : visible.filter((command) => command.name === name);
    if (name !== undefined && selected.length === 0) throw invalidParameter(`Api Discovery plugin was unable to find an api by the name '${name}'`);
    return { type: 'list', name: 'api', items: selected.map(describeCommand), count: selected.length };
  },
});

export const queryAsyncJobResultCommand = defineCommand({
  name: 'queryAsyncJobResult',
  description: 'Retrieves the current status of asynchronous job.',
  roles: ALL_ROLES,
  params: { jobid: uuidParam({ description: 'the ID of the asynchronous job', required: true }) },
  response: asyncJobFields,
  async handler({ jobid }, { jobs, principal }) {
    const job = await jobs.get(jobid, principal);
    if (!job) throw invalidParameter(`Unable to find a job by id ${jobid} (parameter jobid)`);
    return { type: 'fields', value: { ...job } };
  },
});

export const listAsyncJobsCommand = defineCommand({
  name: 'listAsyncJobs',
  description: 'Lists all pending asynchronous jobs for the account.',
  roles: ALL_ROLES,
  list: true,
  params: {
    account: stringParam({ description: 'list resources by account. Must be used with the domainId parameter.' }),
    domainid: uuidParam({ description: 'list only resources belonging to the domain specified' }),
    listall: stringParam({ description: 'If set to false, list only resources belonging to the command\'s caller' }),
    startdate: stringParam({ description: 'the start date of the async job (use format "yyyy-MM-dd\'T\'HH:mm:ss")' }),
  },
  response: asyncJobFields,
  async handler(_params, { jobs, principal, paging }) {
    const page = await jobs.list(principal, { offset: paging.offset, limit: paging.pageSize });
    return { type: 'list', name: 'asyncjobs', items: page.items.map((job) => ({ ...job })), count: page.count };
  },
});

const loginFields = fields({
  username: 'Username',
  userid: 'User ID',
  domainid: 'Domain ID that the user belongs to',
  timeout: ['integer', 'the time period before the session has expired'],
  account: 'the account name the user belongs to',
  firstname: 'first name of the user',
  lastname: 'last name of the user',
  type: 'the account type (admin, domain-admin, read-only-admin, user)',
  timezone: 'user time zone',
  timezoneoffset: 'user time zone offset from UTC 00:00',
  registered: 'Is user registered',
  sessionkey: 'Session key that can be passed in subsequent Query command calls',
  is2faenabled: 'Is two factor authentication enabled',
  is2faverified: 'Is two factor authentication verified',
});

export function loginCommand(authenticator: ApiAuthenticator): AnyCommand {
  return defineCommand({
    name: 'login',
    description: 'Logs a user into the CloudStack. A successful login attempt will generate a JSESSIONID cookie value that can be passed in subsequent Query command calls until the "logout" command has been issued or the session has expired.',
    roles: ALL_ROLES,
    unauthenticated: true,
    params: {
      username: stringParam({ description: 'Username', required: true }),
      password: stringParam({ description: 'Hashed password (Default is MD5). If you wish to use any other hashing algorithm, you would need to write a custom authentication adapter See Docs section.', required: true }),
      domain: stringParam({ description: 'Path of the domain that the user belongs to. Example: domain=/com/cloud/internal. If no domain is passed in, the ROOT (/) domain is assumed.' }),
      domainid: stringParam({ description: 'The id of the domain that the user belongs to. If both domain and domainId are passed in, "domainId" parameter takes precedence.' }),
    },
    response: loginFields,
    async handler({ username, password, domain, domainid }, { session }) {
      const principal = await authenticator.byPassword(username, password, { path: domain, id: domainid });
      // CloudStack answers a failed login with 531 and a fixed text that does not say which part was wrong.
      if (!principal) throw new ApiError(ApiErrorCode.accountError, 'Failed to authenticate user ' + username + '; please provide valid credentials');
      const sessionKey = session.start(principal);
      return {
        type: 'fields',
        value: {
          username: principal.username,
          userid: principal.userId,
          domainid: principal.domainId,
          timeout: SESSION_TIMEOUT_SECONDS,
          account: principal.accountName,
          firstname: principal.firstName,
          lastname: principal.lastName,
          type: String(ACCOUNT_TYPE_BY_ROLE[principal.roleType]),
          timezone: principal.timezone,
          registered: 'false',
          sessionkey: sessionKey,
          is2faenabled: 'false',
          is2faverified: 'false',
        },
      };
    },
  });
}

export const logoutCommand = defineCommand({
  name: 'logout',
  description: 'Logs out the user',
  roles: ALL_ROLES,
  params: {},
  response: fields({ description: 'Response description' }),
  async handler(_params, { session }) {
    session.end();
    return { type: 'fields', value: { description: 'success' } };
  },
});

export const listCapabilitiesCommand = defineCommand({
  name: 'listCapabilities',
  description: 'Lists capabilities',
  roles: ALL_ROLES,
  params: {},
  response: fields({
    cloudstackversion: 'version of the cloud stack',
    apilimitinterval: ['integer', 'time interval (in seconds) to reset api count'],
    apilimitmax: ['integer', 'Max allowed number of api requests within the specified interval'],
    allowusercreateprojects: ['boolean', 'true if regular user is allowed to create projects'],
    allowuserviewdestroyedvm: ['boolean', 'true if the user is allowed to view destroyed virtualmachines'],
    allowuserexpungerecovervm: ['boolean', 'true if the user can recover and expunge virtualmachines'],
    userpublictemplateenabled: ['boolean', 'true if user and domain admins can set templates to be shared'],
    kubernetesserviceenabled: ['boolean', 'true if Kubernetes Service plugin is enabled'],
    securitygroupsenabled: ['boolean', 'true if security groups support is enabled'],
    dynamicrolesenabled: ['boolean', 'true if dynamic role-based api checker is enabled'],
    defaultuipagesize: ['long', 'default page size in the UI for various views'],
    customdiskofferingmaxsize: ['long', 'maximum size that can be specified when creating disk from disk offering with custom size'],
    extensionsenabled: ['boolean', 'true if the extensions framework is available (extorch)'],
  }),
  async handler(_params, _context) {
    return {
      type: 'object',
      name: 'capability',
      value: {
        cloudstackversion: CLOUDSTACK_VERSION,
        apilimitinterval: 1,
        apilimitmax: 0,
        allowusercreateprojects: false,
        allowuserviewdestroyedvm: true,
        allowuserexpungerecovervm: true,
        userpublictemplateenabled: true,
        kubernetesserviceenabled: false,
        securitygroupsenabled: false,
        dynamicrolesenabled: true,
        defaultuipagesize: 20,
        customdiskofferingmaxsize: 1024,
        extensionsenabled: true,
      },
    };
  },
});

export function protocolCommands(authenticator: ApiAuthenticator): AnyCommand[] {
  return [listApisCommand, queryAsyncJobResultCommand, listAsyncJobsCommand, loginCommand(authenticator), logoutCommand, listCapabilitiesCommand];
}

