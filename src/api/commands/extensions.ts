// The Extensions framework API (orchestrator.md §11, §19.1): extensions, registrations and custom actions.
import type { CustomActionParameterInput, Orchestrator } from '../../orchestrator/index.ts';
import { invalidParameter } from '../errors.ts';
import { callerOf } from '../orchestrator-adapters.ts';
import { booleanParam, integerParam, listParam, mapParam, objectListParam, stringParam, uuidParam } from '../params.ts';
import { ADMIN_ONLY, ALL_ROLES, defineCommand, type AnyCommand } from '../registry.ts';
import { successFields } from '../response-fields.ts';
import { customActionResponse, customActionResultResponse, extensionResponse } from '../responses/catalog.ts';
import type { ExtensionInfo } from '../../orchestrator/index.ts';
import { listed, listOptions, single, SUCCESS } from './shared.ts';

/** The extension ↔ resource pair that register/unregister/updateRegisteredExtension all address. */
const resourceBindingParams = {
  extensionid: uuidParam({ description: 'ID of the extension', required: true }),
  resourceid: stringParam({ description: 'ID of the resource the extension is registered with', required: true }),
  resourcetype: stringParam({ description: 'Type of the resource', required: true }),
};

const DETAIL_VIEWS = ['all', 'resource', 'external', 'min'] as const;

/** listExtensions `details`: `resource` shows resources[], `external` shows details{}, `all` both, `min` neither. */
function extensionView(views: string[] | undefined) {
  const selected = new Set((views ?? ['all']).map((view) => view.toLowerCase()));
  const all = selected.has('all');
  return (extension: ExtensionInfo) => {
    const rendered = extensionResponse.map(extension);
    if (!all && !selected.has('resource')) delete rendered.resources;
    if (!all && !selected.has('external')) delete rendered.details;
    return rendered;
  };
}

/** `parameters[i].name/type/validationformat/required/valueoptions` → domain parameter definitions. */
function parameterDefinitions(list: Array<Record<string, string>> | undefined): CustomActionParameterInput[] | undefined {
  return list?.map((entry) => {
    const lower = Object.fromEntries(Object.entries(entry).map(([key, value]) => [key.toLowerCase(), value]));
    return { name: lower.name, type: lower.type, validationFormat: lower.validationformat, valueOptions: lower.valueoptions, required: lower.required };
  });
}

export function extensionCommands(orchestrator: Orchestrator): AnyCommand[] {
  const extensions = orchestrator.extensions;
  return [
    defineCommand({
      name: 'listExtensions',
      description: 'Lists extensions',
      since: '4.21.0',
      roles: ADMIN_ONLY,
      list: true,
      params: {
        id: uuidParam({ description: 'uuid of the extension' }),
        name: stringParam({ description: 'Name of the extension' }),
        details: listParam({ description: 'comma separated list of extension details requested, value can be a list of [all, resource, external, min]. When no parameters are passed, all the details are returned.' }),
      },
      response: extensionResponse.fields,
      async handler({ id, name, details, keyword }, { principal, paging }) {
        for (const view of details ?? []) {
          if (!DETAIL_VIEWS.includes(view.toLowerCase() as (typeof DETAIL_VIEWS)[number])) {
            throw invalidParameter(`Unable to execute API command listextensions due to invalid value ${view} for parameter details`);
          }
        }
        const page = await extensions.listExtensions(callerOf(principal), { id, name, ...listOptions(paging, keyword) });
        return { type: 'list', name: extensionResponse.name, items: page.items.map(extensionView(details)), count: page.count };
      },
    }),
    defineCommand({
      name: 'createExtension',
      description: 'Create an extension',
      since: '4.21.0',
      roles: ADMIN_ONLY,
      params: {
        name: stringParam({ description: 'Name of the extension', required: true }),
        description: stringParam({ description: 'Description of the extension', length: 4096 }),
        type: stringParam({ description: 'Type of the extension', required: true }),
        path: stringParam({ description: 'Relative path for the extension', length: 2048 }),
        orchestratorrequirespreparevm: booleanParam({ description: 'Only honored when type is Orchestrator. Whether prepare VM is needed or not' }),
        state: stringParam({ description: 'State of the extension' }),
        details: mapParam({ description: 'Details in key/value pairs using format details[i].keyname=keyvalue. Example: details[0].endpoint.url=urlvalue' }),
      },
      response: extensionResponse.fields,
      async handler(p, { principal }) {
        const extension = await extensions.createExtension(callerOf(principal), {
          name: p.name,
          type: p.type,
          description: p.description,
          path: p.path,
          orchestratorRequiresPrepareVm: p.orchestratorrequirespreparevm,
          state: p.state,
          details: p.details,
        });
        return single(extensionResponse, extension);
      },
    }),
    defineCommand({
      name: 'updateExtension',
      description: 'Update the extension',
      since: '4.21.0',
      roles: ADMIN_ONLY,
      params: {
        id: uuidParam({ description: 'The ID of the extension', required: true }),
        description: stringParam({ description: 'Description of the extension', length: 4096 }),
        orchestratorrequirespreparevm: booleanParam({ description: 'Only honored when type is Orchestrator. Whether prepare VM is needed or not' }),
        state: stringParam({ description: 'State of the extension' }),
        details: mapParam({ description: 'Details in key/value pairs using format details[i].keyname=keyvalue. Example: details[0].endpoint.url=urlvalue' }),
        cleanupdetails: booleanParam({ description: 'Optional boolean field, which indicates if details should be cleaned up or not (If set to true, details removed for this resource, details field ignored; if false or not set, no action)' }),
      },
      response: extensionResponse.fields,
      async handler(p, { principal }) {
        const extension = await extensions.updateExtension(callerOf(principal), p.id, {
          description: p.description,
          orchestratorRequiresPrepareVm: p.orchestratorrequirespreparevm,
          state: p.state,
          details: p.details,
          cleanupDetails: p.cleanupdetails,
        });
        return single(extensionResponse, extension);
      },
    }),
    defineCommand({
      name: 'deleteExtension',
      description: 'Delete the extensions',
      since: '4.21.0',
      roles: ADMIN_ONLY,
      params: {
        id: uuidParam({ description: 'ID of the extension', required: true }),
        cleanup: booleanParam({ description: 'Whether cleanup entry-point files for the extension' }),
      },
      response: successFields,
      async handler({ id, cleanup }, { principal }) {
        await extensions.deleteExtension(callerOf(principal), id, { cleanup });
        return SUCCESS;
      },
    }),
    defineCommand({
      name: 'registerExtension',
      description: 'Register an extension with a resource',
      since: '4.21.0',
      roles: ADMIN_ONLY,
      params: {
        ...resourceBindingParams,
        details: mapParam({ description: 'Details in key/value pairs using format details[i].keyname=keyvalue. Example: details[0].endpoint.url=urlvalue' }),
      },
      response: extensionResponse.fields,
      async handler(p, { principal }) {
        const extension = await extensions.registerExtension(callerOf(principal), {
          extensionId: p.extensionid,
          resourceId: p.resourceid,
          resourceType: p.resourcetype,
          details: p.details,
        });
        return single(extensionResponse, extension);
      },
    }),
    defineCommand({
      name: 'unregisterExtension',
      description: 'Unregister an extension with a resource',
      since: '4.21.0',
      roles: ADMIN_ONLY,
      params: {
        ...resourceBindingParams,
      },
      response: extensionResponse.fields,
      async handler(p, { principal }) {
        const extension = await extensions.unregisterExtension(callerOf(principal), {
          extensionId: p.extensionid,
          resourceId: p.resourceid,
          resourceType: p.resourcetype,
        });
        return single(extensionResponse, extension);
      },
    }),
    defineCommand({
      name: 'updateRegisteredExtension',
      description: 'Update details for an extension registered with a resource',
      since: '4.23.0',
      roles: ADMIN_ONLY,
      params: {
        ...resourceBindingParams,
        details: mapParam({ description: 'Details in key/value pairs using format details[i].keyname=keyvalue. Example: details[0].endpoint.url=urlvalue' }),
        cleanupdetails: booleanParam({ description: 'Optional boolean field, which indicates if details should be cleaned up or not' }),
      },
      response: extensionResponse.fields,
      async handler(p, { principal }) {
        const extension = await extensions.updateRegisteredExtension(callerOf(principal), {
          extensionId: p.extensionid,
          resourceId: p.resourceid,
          resourceType: p.resourcetype,
          details: p.details,
          cleanupDetails: p.cleanupdetails,
        });
        return single(extensionResponse, extension);
      },
    }),
    defineCommand({
      name: 'addCustomAction',
      description: 'Add a custom action for an extension',
      since: '4.21.0',
      roles: ADMIN_ONLY,
      params: {
        extensionid: uuidParam({ description: 'The ID of the extension to associate the action with', required: true }),
        name: stringParam({ description: 'Name of the action', required: true }),
        description: stringParam({ description: 'Description of the action', length: 4096 }),
        resourcetype: stringParam({ description: 'Resource type for which the action is available' }),
        allowedroletypes: listParam({ description: 'List of role types allowed for the action' }),
        parameters: objectListParam({ description: 'Parameters mapping for the action using keys - name, type, required. \'name\' is mandatory. If \'type\' is not specified then STRING will be used. If \'required\' is not specified then false will be used. Example: parameters[0].name=xxx&parameters[0].type=BOOLEAN&parameters[0].required=true' }),
        successmessage: stringParam({ description: 'Success message that will be used on successful execution of the action. Name of the action, extension, resource can be used as variables. Example: Successfully complete {{actionName}} for {{resourceName}} with {{extensionName}}', length: 4096 }),
        errormessage: stringParam({ description: 'Error message that will be used on failure during execution of the action. Name of the action, extension, resource can be used as variables. Example: Failed to complete {{actionName}} for {{resourceName}} with {{extensionName}}', length: 4096 }),
        timeout: integerParam({ description: 'Specifies the timeout in seconds to wait for the action to complete before failing. Default value is 5 seconds' }),
        enabled: booleanParam({ description: 'Whether the action is enabled or not. Default is disabled.' }),
        details: mapParam({ description: 'Details in key/value pairs using format details[i].keyname=keyvalue. Example: details[0].vendor=xxx&&details[0].version=2.0' }),
      },
      response: customActionResponse.fields,
      async handler(p, { principal }) {
        const action = await extensions.addCustomAction(callerOf(principal), {
          extensionId: p.extensionid,
          name: p.name,
          description: p.description,
          resourceType: p.resourcetype,
          allowedRoleTypes: p.allowedroletypes,
          parameters: parameterDefinitions(p.parameters),
          successMessage: p.successmessage,
          errorMessage: p.errormessage,
          timeout: p.timeout,
          enabled: p.enabled,
          details: p.details,
        });
        return single(customActionResponse, action);
      },
    }),
    defineCommand({
      name: 'listCustomActions',
      description: 'Lists the custom actions',
      since: '4.21.0',
      roles: ALL_ROLES,
      list: true,
      params: {
        id: uuidParam({ description: 'uuid of the custom action' }),
        name: stringParam({ description: 'Name of the custom action' }),
        extensionid: uuidParam({ description: 'uuid of the extension' }),
        resourcetype: stringParam({ description: 'Type of the resource for actions' }),
        resourceid: stringParam({ description: 'ID of a resource for actions' }),
        enabled: booleanParam({ description: 'List actions whether they are enabled or not' }),
      },
      response: customActionResponse.fields,
      async handler(p, { principal, paging }) {
        const page = await extensions.listCustomActions(callerOf(principal), {
          id: p.id,
          name: p.name,
          extensionId: p.extensionid,
          resourceType: p.resourcetype,
          resourceId: p.resourceid,
          enabled: p.enabled,
          ...listOptions(paging, p.keyword),
        });
        return listed(customActionResponse, page);
      },
    }),
    defineCommand({
      name: 'updateCustomAction',
      description: 'Update the custom action',
      since: '4.21.0',
      roles: ADMIN_ONLY,
      params: {
        id: uuidParam({ description: 'ID of the custom action', required: true }),
        description: stringParam({ description: 'The description of the command', length: 4096 }),
        resourcetype: stringParam({ description: 'Type of the resource for actions' }),
        allowedroletypes: listParam({ description: 'List of role types allowed for the action' }),
        enabled: booleanParam({ description: 'Whether the action is enabled or not' }),
        parameters: objectListParam({ description: 'Parameters mapping for the action using keys - name, type, required. \'name\' is mandatory. If \'type\' is not specified then STRING will be used. If \'required\' is not specified then false will be used. Example: parameters[0].name=xxx&parameters[0].type=BOOLEAN&parameters[0].required=true' }),
        cleanupparameters: booleanParam({ description: 'Optional boolean field, which indicates if parameters should be cleaned up or not (If set to true, parameters will be removed for this action, parameters field ignored; if false or not set, no action)' }),
        successmessage: stringParam({ description: 'Success message that will be used on successful execution of the action. Name of the action, extension, resource can be used as variables. Example: Successfully complete {{actionName}} for {{resourceName}} with {{extensionName}}', length: 4096 }),
        errormessage: stringParam({ description: 'Error message that will be used on failure during execution of the action. Name of the action, extension, resource can be used as variables. Example: Failed to complete {{actionName}} for {{resourceName}} with {{extensionName}}', length: 4096 }),
        timeout: integerParam({ description: 'Specifies the timeout in seconds to wait for the action to complete before failing. Default value is 5 seconds' }),
        details: mapParam({ description: 'Details in key/value pairs using format details[i].keyname=keyvalue. Example: details[0].vendor=xxx&&details[0].version=2.0' }),
        cleanupdetails: booleanParam({ description: 'Optional boolean field, which indicates if details should be cleaned up or not (If set to true, details removed for this action, details field ignored; if false or not set, no action)' }),
      },
      response: customActionResponse.fields,
      async handler(p, { principal }) {
        const action = await extensions.updateCustomAction(callerOf(principal), p.id, {
          description: p.description,
          resourceType: p.resourcetype,
          allowedRoleTypes: p.allowedroletypes,
          enabled: p.enabled,
          parameters: parameterDefinitions(p.parameters),
          cleanupParameters: p.cleanupparameters,
          successMessage: p.successmessage,
          errorMessage: p.errormessage,
          timeout: p.timeout,
          details: p.details,
          cleanupDetails: p.cleanupdetails,
        });
        return single(customActionResponse, action);
      },
    }),
    defineCommand({
      name: 'deleteCustomAction',
      description: 'Delete the custom action',
      since: '4.21.0',
      roles: ADMIN_ONLY,
      params: { id: uuidParam({ description: 'uuid of the custom action', required: true }) },
      response: successFields,
      async handler({ id }, { principal }) {
        await extensions.deleteCustomAction(callerOf(principal), id);
        return SUCCESS;
      },
    }),
    defineCommand({
      name: 'runCustomAction',
      description: 'Run the custom action',
      since: '4.21.0',
      roles: ALL_ROLES,
      isAsync: true,
      params: {
        customactionid: uuidParam({ description: 'ID of the custom action', required: true }),
        resourcetype: stringParam({ description: 'Type of the resource' }),
        resourceid: stringParam({ description: 'ID of the instance', required: true }),
        parameters: mapParam({ description: 'Parameters in key/value pairs using format parameters[i].keyname=keyvalue. Example: parameters[0].endpoint.url=urlvalue' }),
      },
      response: customActionResultResponse.fields,
      async handler(p, { principal }) {
        const job = await extensions.runCustomAction(callerOf(principal), {
          customActionId: p.customactionid,
          resourceId: p.resourceid,
          resourceType: p.resourcetype,
          parameters: p.parameters,
        });
        return { type: 'job', jobid: job.id };
      },
    }),
  ];
}
