/**
 * The Hyper-V emulator for tests (WinRM HTTPS + NTLM in front of the PowerShell interpreter and an in-memory
 * host) on 127.0.0.1 with a free port, plus the host details an operator would enter for it.
 */
import { startHyperVEmulator } from '../../src/emulators/hyperv/index.ts';
import type { HyperVHost } from '../../src/emulators/hyperv/host-state.ts';
import type { RequestCounters } from '../../src/emulators/hyperv/winrm-endpoint.ts';
import type { FaultInjector } from '../../src/emulators/shared/faults.ts';

export interface TestHyperV {
  readonly url: string;
  readonly username: string;
  readonly password: string;
  readonly host: HyperVHost;
  readonly counters: () => RequestCounters;
  readonly faults: FaultInjector;
  /** Host details as an operator would enter them for this emulator. */
  hostDetails(): Record<string, string>;
  close(): Promise<void>;
}

export async function startTestHyperV(): Promise<TestHyperV> {
  const emulator = await startHyperVEmulator({ port: 0 });
  return {
    url: emulator.url,
    username: emulator.username,
    password: emulator.password,
    get host() {
      return emulator.host;
    },
    counters: () => emulator.endpoint.counters,
    faults: emulator.endpoint.faults,
    hostDetails: () => {
      const info = emulator.readyInfo();
      return { url: info.url, username: info.username, password: info.password, verify_tls_certificate: 'false', network_bridge: info.network_bridge, vhd_path: info.vhd_path, vm_path: info.vm_path };
    },
    close: () => emulator.close(),
  };
}
