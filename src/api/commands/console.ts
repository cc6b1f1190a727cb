// createConsoleEndpoint (orchestrator.md §8): the console an instance's extension hands out.
import type { InstanceConsole, Orchestrator } from '../../orchestrator/index.ts';
import { callerOf } from '../orchestrator-adapters.ts';
import { stringParam, uuidParam } from '../params.ts';
import { ALL_ROLES, defineCommand, type AnyCommand } from '../registry.ts';
import { fields } from '../response-fields.ts';

const websocketFields = fields({
  host: 'the console websocket host (extorch: the VNC host the extension returned)',
  port: 'the console websocket port (extorch: the VNC port the extension returned)',
  path: 'the console websocket path',
  token: 'the console websocket token',
  extra: 'the console websocket extra field for validation (if enabled)',
  protocol: 'extorch: the console protocol the extension returned (e.g. vnc)',
  password: 'extorch: the VNC password the extension returned (a short-lived ticket for Proxmox)',
  passwordonetimeuseonly: ['boolean', 'extorch: true if the VNC password is valid for one connection only'],
});

const consoleEndpointFields = fields({
  success: ['boolean', 'true if the console endpoint is generated properly'],
  details: 'details in case of an error',
  url: 'the console url',
  websocket: ['consoleendpointwebsocketresponse', 'the console websocket options', websocketFields],
});

/**
 * `direct` consoles are handed out as CloudStack does (the URL as-is). extorch has no console proxy VM, so a
 * VNC console is not wrapped into a CPVM URL: its target and password are returned under `websocket`
 * (docs/compatibility.md).
 */
export function consoleEndpointResponse(console_: InstanceConsole): Record<string, unknown> {
  if (console_.url !== undefined) return { success: true, url: console_.url, details: `Console of protocol ${console_.protocol}` };
  return {
    success: true,
    details: `Connect a ${console_.protocol.toUpperCase()} client to ${console_.host ?? ''}:${console_.port ?? ''}`,
    websocket: {
      host: console_.host,
      port: console_.port === undefined ? undefined : String(console_.port),
      protocol: console_.protocol,
      ...(console_.password !== undefined ? { password: console_.password } : {}),
      passwordonetimeuseonly: console_.passwordOneTimeUseOnly,
    },
  };
}

export function consoleCommands(orchestrator: Orchestrator): AnyCommand[] {
  return [
    defineCommand({
      name: 'createConsoleEndpoint',
      description: 'Create a console endpoint to connect to a VM console',
      roles: ALL_ROLES,
      params: {
        virtualmachineid: uuidParam({ description: 'ID of the VM', required: true }),
        token: stringParam({ description: '(optional) extra security token, valid when the extra validation is enabled' }),
      },
      response: consoleEndpointFields,
      async handler({ virtualmachineid }, { principal }) {
        const console_ = await orchestrator.instances.console(callerOf(principal), virtualmachineid);
        return { type: 'object', name: 'consoleendpoint', value: consoleEndpointResponse(console_) };
      },
    }),
  ];
}
