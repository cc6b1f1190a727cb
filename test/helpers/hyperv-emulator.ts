/**
 * A Hyper-V emulator for tests: the WinRM HTTPS endpoint with NTLM in front of the PowerShell interpreter
 * and an in-memory host, on 127.0.0.1 with a free port.
 */
import { createHyperVHost } from '../../src/emulators/hyperv/host-state.ts';
import type { HyperVHost } from '../../src/emulators/hyperv/host-state.ts';
import { runPowerShell } from '../../src/emulators/hyperv/powershell/index.ts';
import { startWinRmEndpoint } from '../../src/emulators/hyperv/winrm-endpoint.ts';
import type { RequestCounters } from '../../src/emulators/hyperv/winrm-endpoint.ts';
import { testTls, TEST_PASSWORD, TEST_USER } from './winrm-endpoint.ts';

export interface TestHyperV {
  readonly url: string;
  readonly username: string;
  readonly password: string;
  readonly host: HyperVHost;
  readonly counters: () => RequestCounters;
  /** Host details as an operator would enter them for this emulator. */
  hostDetails(): Record<string, string>;
  close(): Promise<void>;
}

export async function startTestHyperV(): Promise<TestHyperV> {
  const tls = await testTls();
  const host = createHyperVHost();
  const endpoint = await startWinRmEndpoint({
    port: 0,
    tls,
    accounts: new Map([[TEST_USER, TEST_PASSWORD]]),
    executor: (script) => runPowerShell(host, script),
  });
  return {
    url: endpoint.url,
    username: TEST_USER,
    password: TEST_PASSWORD,
    host,
    counters: () => endpoint.counters,
    hostDetails: () => ({
      url: endpoint.url,
      username: TEST_USER,
      password: TEST_PASSWORD,
      verify_tls_certificate: 'false',
      network_bridge: host.defaults.switchName,
      vhd_path: host.defaults.vhdPath,
      vm_path: host.defaults.vmPath,
    }),
    close: () => endpoint.close(),
  };
}
