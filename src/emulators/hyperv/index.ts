import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { generateSelfSignedCertificate } from '../shared/tls.ts';
import { createHyperVHost, restoreHyperVHost, snapshotHyperVHost } from './host-state.ts';
import type { HyperVHost, HyperVHostOptions } from './host-state.ts';
import { runPowerShell } from './powershell/index.ts';
import { startWinRmEndpoint } from './winrm-endpoint.ts';
import type { WinRmEndpoint } from './winrm-endpoint.ts';

export interface HyperVEmulatorOptions extends HyperVHostOptions {
  port?: number;
  host?: string;
  username?: string;
  password?: string;
  /** Load the Hyper-V host from this file at start (when it exists) and save it there on close. */
  stateFile?: string;
}

export interface HyperVReadyInfo {
  url: string;
  username: string;
  password: string;
  network_bridge: string;
  vhd_path: string;
  vm_path: string;
  template_path: string;
  iso_path: string;
}

export interface HyperVEmulator {
  readonly url: string;
  readonly username: string;
  readonly password: string;
  readonly certificatePem: string;
  readonly host: HyperVHost;
  /** The WinRM listener: fault injection, counters and configuration for tests. */
  readonly endpoint: WinRmEndpoint;
  readyInfo(): HyperVReadyInfo;
  close(): Promise<void>;
}

export const HYPERV_EMULATOR_DEFAULTS = {
  username: 'Administrator',
  /** Only for the loopback emulator; tests and the sandbox read it from readyInfo(). */
  password: 'Passw0rd!',
} as const;

async function loadHost(options: HyperVEmulatorOptions): Promise<HyperVHost> {
  if (options.stateFile && existsSync(options.stateFile)) {
    return restoreHyperVHost(JSON.parse(await readFile(options.stateFile, 'utf8')) as unknown);
  }
  return createHyperVHost(options);
}

/** Writes through a temporary file so a crash never leaves half a state file. */
async function saveHost(host: HyperVHost, file: string): Promise<void> {
  const temporary = `${file}.tmp-${process.pid}`;
  await writeFile(temporary, `${JSON.stringify(snapshotHyperVHost(host), null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, file);
}

/** A Hyper-V host behind a WinRM HTTPS listener: the PowerShell interpreter runs what clients send. */
export async function startHyperVEmulator(options: HyperVEmulatorOptions = {}): Promise<HyperVEmulator> {
  const username = options.username ?? HYPERV_EMULATOR_DEFAULTS.username;
  const password = options.password ?? HYPERV_EMULATOR_DEFAULTS.password;
  const tls = await generateSelfSignedCertificate();
  let host = await loadHost(options);
  const endpoint = await startWinRmEndpoint({
    port: options.port ?? 0,
    ...(options.host ? { host: options.host } : {}),
    tls,
    accounts: new Map([[username, password]]),
    identity: { computerName: host.computerName.toUpperCase(), dnsName: host.computerName.toLowerCase() },
    executor: (script) => runPowerShell(host, script),
    snapshot: () => snapshotHyperVHost(host),
    reset: () => {
      host = createHyperVHost(options);
    },
  });
  return {
    url: endpoint.url,
    username,
    password,
    certificatePem: tls.cert,
    get host() {
      return host;
    },
    endpoint,
    readyInfo: () => ({
      url: endpoint.url,
      username,
      password,
      network_bridge: host.defaults.switchName,
      vhd_path: host.defaults.vhdPath,
      vm_path: host.defaults.vmPath,
      template_path: host.defaults.templatePath,
      iso_path: host.defaults.isoPath,
    }),
    async close() {
      await endpoint.close();
      if (options.stateFile) await saveHost(host, options.stateFile);
    },
  };
}
