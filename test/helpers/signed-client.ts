// A small signed CloudStack API client for test setup (what a script with the admin's keys would do): list
// commands as a signed GET, the others as a signed POST so passwords stay out of URLs. A refused call throws
// with the API's own error text and never with the parameters, which may hold passwords.
import { callSigned } from './cloudstack-signing.ts';

export type Json = Record<string, unknown>;

export interface SignedClient {
  /** A synchronous command: the response object without its `<command>response` envelope. */
  call(command: string, params?: Record<string, string>): Promise<Json>;
}

export function signedClient(apiUrl: string, keys: { apiKey: string; secretKey: string }): SignedClient {
  return {
    async call(command, params = {}) {
      const answer = await callSigned(apiUrl, keys, { command, ...params }, { method: command.startsWith('list') ? 'GET' : 'POST' });
      const body = answer.json[`${command.toLowerCase()}response`];
      if (answer.status !== 200 || !body) throw new Error(`${command} refused (HTTP ${answer.status}): ${String(body?.errortext ?? answer.text.slice(0, 200))}`);
      return body;
    },
  };
}

/** The items of a list response (CloudStack leaves the list key out when it is empty). */
export function listed(response: Json, key: string): Json[] {
  return (response[key] as Json[] | undefined) ?? [];
}
