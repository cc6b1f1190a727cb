// What every page needs: the session, the caller, and the commands the caller's role may run
// (`listApis` answers only those, as CloudStack's UI uses it to hide what a role cannot do).
import { createContext, useContext } from 'react';
import type { CloudStackSession, LoginInfo } from '../api/client.ts';

export interface ConsoleContext {
  session: CloudStackSession;
  user: LoginInfo;
  apis: ReadonlySet<string>;
  isAdmin: boolean;
}

export const ConsoleContextValue = createContext<ConsoleContext | undefined>(undefined);

export function useConsole(): ConsoleContext & { can: (command: string) => boolean } {
  const value = useContext(ConsoleContextValue);
  if (!value) throw new Error('useConsole outside of the logged-in console');
  return { ...value, can: (command: string) => value.apis.has(command) };
}

export const ACCOUNT_TYPE_NAMES: Record<string, string> = { '0': 'User', '1': 'Admin', '2': 'DomainAdmin', '3': 'ResourceAdmin' };
