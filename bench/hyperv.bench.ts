// Hyper-V extension cost per action: extorch (one WinRM shell per invocation, one PowerShell script per
// action) against the reference's pattern (a new shell per PowerShell snippet: `create` with 2 NICs sends
// 5 + 3·2 = 11 snippets, `status` one), both through the same WinRM client against the in-process emulator
// running the PowerShell interpreter. Run: node --import tsx bench/hyperv.bench.ts
import { WinRmClient } from '../src/clients/winrm/index.ts';
import { Deadline } from '../src/contract/deadline.ts';
import { parsePayload } from '../src/contract/payload.ts';
import { startHyperVEmulator } from '../src/emulators/hyperv/index.ts';
import { createHyperVExtension } from '../src/extensions/hyperv/index.ts';
import { winRmSession } from '../src/extensions/hyperv/session.ts';
import { createPayload, testUuid } from '../test/helpers/payloads.ts';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 10);
const emulator = await startHyperVEmulator({ port: 0 });
const { host } = emulator;
const USER = emulator.username;
const PASSWORD = emulator.password;
const hostDetails = { url: emulator.url, username: USER, password: PASSWORD, verify_tls_certificate: 'false', network_bridge: host.defaults.switchName, vhd_path: host.defaults.vhdPath, vm_path: host.defaults.vmPath };

interface Figure {
  requests: number;
  handshakes: number;
  ms: number;
}

/** extorch: the real extension, counting the requests of the client its session uses. */
async function extorch(action: 'create' | 'status', uuid: string): Promise<Figure> {
  let client: WinRmClient | undefined;
  const extension = createHyperVExtension({
    sessionFactory: (connection) => {
      const session = winRmSession(connection);
      client = session.client;
      return session;
    },
  });
  const payload = parsePayload(createPayload({ host: hostDetails, uuid, virtualmachine: { template_type: 'template', generation: '2', template_path: host.defaults.templatePath } }));
  const started = performance.now();
  const result = await extension.run(action, payload, { deadline: Deadline.after(60_000) });
  const ms = performance.now() - started;
  if (!result.success) throw new Error(JSON.stringify(result.output));
  return { requests: client!.requestCounts.afterHandshake, handshakes: client!.requestCounts.handshake, ms };
}

/** The reference's snippets (values in double quotes, as it sends them), each in a shell of its own. */
function referenceSnippets(action: 'create' | 'status', vm: string): string[] {
  if (action === 'status') return [`(Get-VM -Name "${vm}").State`];
  const vhd = `${host.defaults.vhdPath}\\${vm}.vhdx`;
  const nics = [['02:01:00:cc:00:01', 1577], ['02:01:00:cc:00:02', 1578]] as const;
  return [
    `Copy-Item "${host.defaults.templatePath}" "${vhd}"`,
    `New-VM -Name "${vm}" -MemoryStartupBytes 512.0MB -Generation 2 -Path "${host.defaults.vmPath}" -VHDPath "${vhd}"`,
    `Remove-VMNetworkAdapter -VMName "${vm}" -Name "Network Adapter" -ErrorAction SilentlyContinue`,
    `Set-VMProcessor -VMName "${vm}" -Count "1"`,
    ...nics.flatMap(([mac, vlan], index) => [
      `Add-VMNetworkAdapter -VMName "${vm}" -SwitchName "${host.defaults.switchName}" -Name "NIC${index + 1}"`,
      `Set-VMNetworkAdapter -VMName "${vm}" -Name "NIC${index + 1}" -StaticMacAddress "${mac}"`,
      `Set-VMNetworkAdapterVlan -VMName "${vm}" -VMNetworkAdapterName "NIC${index + 1}" -Access -VlanId "${vlan}"`,
    ]),
    `Start-VM -Name "${vm}"`,
  ];
}

async function reference(action: 'create' | 'status', vm: string): Promise<Figure> {
  const client = new WinRmClient({ url: new URL(emulator.url), username: USER, password: PASSWORD, verifyTls: false });
  const started = performance.now();
  for (const snippet of referenceSnippets(action, vm)) {
    const shell = await client.openShell();
    const result = await shell.runPowerShell(snippet);
    await shell.close();
    if (result.exitCode !== 0) throw new Error(`${snippet}: ${result.errors.join('; ')}`);
  }
  const ms = performance.now() - started;
  await client.close();
  return { requests: client.requestCounts.afterHandshake, handshakes: client.requestCounts.handshake, ms };
}

const results = new Map<string, Figure[]>();
const record = (name: string, figure: Figure) => results.set(name, [...(results.get(name) ?? []), figure]);
for (let round = -1; round < ROUNDS; round++) {
  const uuid = testUuid();
  const referenceVm = `ref-${uuid}`;
  // Interleaved so that machine noise hits both alike; round -1 warms up (TLS, JIT) and is not recorded.
  const figures: Array<[string, Figure]> = [
    ['create: extorch', await extorch('create', uuid)],
    ['create: reference pattern', await reference('create', referenceVm)],
    ['status: extorch', await extorch('status', uuid)],
    ['status: reference pattern', await reference('status', referenceVm)],
  ];
  if (round >= 0) for (const [name, figure] of figures) record(name, figure);
}
await emulator.close();

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
console.log(`Hyper-V actions (create: template, generation 2, 2 NICs), ${ROUNDS} rounds, median wall time`);
for (const action of ['create', 'status']) {
  const ours = median(results.get(`${action}: extorch`)!.map((figure) => figure.ms));
  for (const variant of ['extorch', 'reference pattern']) {
    const figures = results.get(`${action}: ${variant}`)!;
    const ms = median(figures.map((figure) => figure.ms));
    console.log(
      `${`${action}: ${variant}`.padEnd(28)} requests after handshake ${String(figures[0]!.requests).padStart(3)}  handshake legs ${String(figures[0]!.handshakes).padStart(2)}  ` +
        `${ms.toFixed(1).padStart(7)} ms  ×${(ms / ours).toFixed(2)}`,
    );
  }
}
