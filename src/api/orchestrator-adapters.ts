// Adapters from the orchestrator's services to the API layer's narrow interfaces: authentication (API keys,
// passwords) and async jobs (the orchestrator persists them; the API renders them as CloudStack does).
import type { Caller, CustomActionResult, Instance, Job, Orchestrator } from '../orchestrator/index.ts';
import { ApiErrorCode, errorBody, toApiError } from './errors.ts';
import type { ApiJobs, AsyncJobView } from './jobs.ts';
import type { ApiAuthenticator, ApiPrincipal } from './principal.ts';
import { customActionResultResponse, virtualMachineResponse } from './responses/catalog.ts';
import { formatCloudStackDate } from './signing.ts';

export function principalOf(caller: Caller): ApiPrincipal<Caller> {
  return {
    userId: caller.userId,
    username: caller.userName,
    accountId: caller.accountId,
    accountName: caller.accountName,
    domainId: caller.domainId,
    domainName: caller.domainPath,
    roleType: caller.roleType,
    caller,
  };
}

/** The orchestrator's caller behind an authenticated principal. */
export function callerOf(principal: ApiPrincipal): Caller {
  return principal.caller as Caller;
}

/** Errors that mean "wrong credentials" rather than a fault of ours. */
const CREDENTIAL_ERRORS = new Set(['not-found', 'invalid-parameter', 'permission-denied']);

export function orchestratorAuthenticator(orchestrator: Orchestrator): ApiAuthenticator {
  return {
    async byApiKey(apiKey) {
      const found = await orchestrator.iam.authenticateApiKey(apiKey);
      return found ? { principal: principalOf(found.caller), secretKey: found.secretKey } : undefined;
    },
    async byPassword(username, password, domain) {
      try {
        let domainPath = domain.path;
        if (domain.id !== undefined) {
          const admin = await orchestrator.iam.systemAdmin();
          const found = await orchestrator.iam.listDomains(admin, { id: domain.id });
          domainPath = found.items[0] ? domainPathForLogin(found.items[0].path) : undefined;
          if (domainPath === undefined) return undefined;
        }
        return principalOf(await orchestrator.iam.login(username, password, domainPath));
      } catch (error) {
        if (error instanceof Error && CREDENTIAL_ERRORS.has(String((error as { kind?: unknown }).kind))) return undefined;
        throw error;
      }
    },
  };
}

/** `ROOT/child` (domain path) → `/child` (the login `domain` parameter form). */
function domainPathForLogin(path: string): string {
  return path === 'ROOT' ? '/' : `/${path.replace(/^ROOT\/?/, '')}`;
}

/** Job kinds the orchestrator creates itself, and how their results become CloudStack `jobresult` objects. */
const RESULT_RENDERERS: Record<string, (result: unknown) => Record<string, unknown>> = {
  deployVirtualMachine: renderInstance,
  startVirtualMachine: renderInstance,
  stopVirtualMachine: renderInstance,
  rebootVirtualMachine: renderInstance,
  destroyVirtualMachine: renderInstance,
  // CloudStack's expungeVirtualMachine answers a SuccessResponse.
  expungeVirtualMachine: () => ({ success: true }),
  runCustomAction: (result) => ({ [customActionResultResponse.name]: customActionResultResponse.map(result as CustomActionResult) }),
};

function renderInstance(result: unknown): Record<string, unknown> {
  return { [virtualMachineResponse.name]: virtualMachineResponse.map(result as Instance) };
}

/** Jobs the API submits itself already carry their rendered `jobresult`; their kind gets this prefix. */
const API_JOB_PREFIX = 'api.';

/** CloudStack's instance types for `jobinstancetype`. */
const INSTANCE_TYPES: Record<string, string> = { VirtualMachine: 'VirtualMachine', Instance: 'VirtualMachine' };

export function renderJob(job: Job): AsyncJobView {
  const command = job.kind.startsWith(API_JOB_PREFIX) ? job.kind.slice(API_JOB_PREFIX.length) : job.kind;
  const view: AsyncJobView = {
    jobid: job.id,
    accountid: job.accountId,
    userid: job.userId,
    cmd: command,
    jobstatus: job.status === 'pending' ? 0 : job.status === 'succeeded' ? 1 : 2,
    // CloudStack reports progress only while a job is pending; a finished job answers 0.
    jobprocstatus: job.status === 'pending' ? job.progress.percent : 0,
    jobprocstep: job.status === 'pending' ? (job.progress.step ?? undefined) : undefined,
    jobresultcode: 0,
    jobresulttype: 'object',
    jobinstancetype: job.resourceType ? (INSTANCE_TYPES[job.resourceType] ?? job.resourceType) : undefined,
    jobinstanceid: job.resourceId ?? undefined,
    created: formatCloudStackDate(job.created),
    completed: job.completed ? formatCloudStackDate(job.completed) : undefined,
  };
  if (job.status === 'succeeded') {
    const render = job.kind.startsWith(API_JOB_PREFIX) ? undefined : RESULT_RENDERERS[job.kind];
    view.jobresult = render ? render(job.result) : ((job.result as Record<string, unknown> | null) ?? { success: true });
  } else if (job.status === 'failed') {
    const failure = Object.assign(new Error(job.error?.message ?? 'Job failed'), { kind: job.error?.kind ?? 'internal' });
    const apiError = toApiError(failure);
    // Job errors are shown verbatim: the orchestrator phrases them for operators.
    const text = job.error?.message ?? apiError.message;
    view.jobresultcode = apiError.errorCode === ApiErrorCode.unauthorized ? ApiErrorCode.internalError : apiError.errorCode;
    view.jobresult = { errorcode: errorBody(apiError).errorcode, errortext: text };
  }
  return view;
}

export function orchestratorJobs(orchestrator: Orchestrator, observe?: (command: string, outcome: 'succeeded' | 'failed') => void): ApiJobs {
  return {
    async submit(submission) {
      const job = await orchestrator.jobs.submit(
        `${API_JOB_PREFIX}${submission.command}`,
        callerOf(submission.principal),
        { type: submission.instanceType ?? null, id: submission.instanceId ?? null },
        async () => {
          try {
            const result = await submission.run();
            observe?.(submission.command, 'succeeded');
            return result;
          } catch (error) {
            observe?.(submission.command, 'failed');
            throw error;
          }
        },
      );
      return job.id;
    },
    async get(jobId, principal) {
      try {
        return renderJob(await orchestrator.jobs.get(callerOf(principal), jobId));
      } catch (error) {
        if ((error as { kind?: unknown }).kind === 'not-found') return undefined;
        throw error;
      }
    },
    async list(principal, { offset, limit }) {
      const pageSize = limit;
      const page = pageSize === undefined ? undefined : Math.floor(offset / pageSize) + 1;
      const found = await orchestrator.jobs.list(callerOf(principal), { page, pageSize });
      return { items: found.items.map(renderJob), count: found.count };
    },
    async drain() {
      // The orchestrator waits for its running jobs when it is closed.
    },
  };
}
