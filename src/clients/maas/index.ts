export { parseMaasApiKey, MaasApiKeyFormatError, type MaasApiKey } from './api-key.ts';
export { MaasClient, machinePath, type AllocateConstraints, type DeployParams, type ReleaseParams, type MaasClientOptions } from './client.ts';
export { parseMaasEndpoint, maasApiBaseUrl, maasMachineUiUrl, MAAS_DEFAULT_PORT } from './endpoint.ts';
export { MaasApiError, describeErrorBody } from './errors.ts';
export { DEFAULT_MAAS_RETRY_POLICY, DEFAULT_MAAS_TIMEOUTS, type MaasRetryPolicy, type MaasTimeouts } from './policy.ts';
export { MaasNodeStatus, type MaasInterface, type MaasMachine, type MaasPowerState, type MaasUser, type MaasVersion } from './types.ts';
