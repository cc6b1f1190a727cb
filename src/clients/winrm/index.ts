export { WinRmClient, WINRM_TIMEOUTS } from './client.ts';
export type { CommandResult, PowerShellResult, WinRmClientOptions, WinRmShell } from './client.ts';
export { WinRmFaultError, WSMAN_TIMED_OUT } from './faults.ts';
export { decodeStderr, unescapeClixmlString } from './clixml.ts';
export { encodePowerShellCommand } from './powershell.ts';
export { SoapFormatError } from './soap.ts';
export { WinRmAuthenticationError, WinRmTransportError } from './transport.ts';
export type { RequestCounts } from './transport.ts';
