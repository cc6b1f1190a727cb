// WinRM cost of running k PowerShell steps: one shell for all steps (extorch) against the reference's
// pattern of one shell per step, and against one connection + NTLM handshake per step, side by side in one
// process against the in-process emulator. Run: node --import tsx bench/winrm-shell-reuse.bench.ts
import { WinRmClient } from '../src/clients/winrm/index.ts';
import { generateSelfSignedCertificate } from '../src/emulators/shared/tls.ts';
import { startWinRmEndpoint } from '../src/emulators/hyperv/winrm-endpoint.ts';

const STEPS = Number(process.env['BENCH_STEPS'] ?? 11); // the reference's `create` with 2 NICs: 5 + 3·2 snippets
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 20);
const USER = 'Administrator';
const PASSWORD = 'bench-Passw0rd';

const endpoint = await startWinRmEndpoint({
  port: 0,
  tls: await generateSelfSignedCertificate(),
  accounts: new Map([[USER, PASSWORD]]),
  executor: async (script) => ({ stdout: `${script.length}\n`, errors: [], exitCode: 0 }),
});
const newClient = () => new WinRmClient({ url: new URL(endpoint.url), username: USER, password: PASSWORD, verifyTls: false });
const script = (step: number) => `Set-VMProcessor -VMName 'bench' -Count ${step}`;

interface Figure {
  requests: number;
  handshakes: number;
  ms: number;
}

async function oneShell(): Promise<Figure> {
  const client = newClient();
  const started = performance.now();
  const shell = await client.openShell();
  for (let step = 0; step < STEPS; step++) await shell.runPowerShell(script(step));
  await shell.close();
  const ms = performance.now() - started;
  await client.close();
  return { requests: client.requestCounts.afterHandshake, handshakes: client.requestCounts.handshake, ms };
}

async function shellPerStep(): Promise<Figure> {
  const client = newClient();
  const started = performance.now();
  for (let step = 0; step < STEPS; step++) {
    const shell = await client.openShell();
    await shell.runPowerShell(script(step));
    await shell.close();
  }
  const ms = performance.now() - started;
  await client.close();
  return { requests: client.requestCounts.afterHandshake, handshakes: client.requestCounts.handshake, ms };
}

async function connectionPerStep(): Promise<Figure> {
  const total: Figure = { requests: 0, handshakes: 0, ms: 0 };
  for (let step = 0; step < STEPS; step++) {
    const client = newClient();
    const started = performance.now();
    const shell = await client.openShell();
    await shell.runPowerShell(script(step));
    await shell.close();
    total.ms += performance.now() - started;
    await client.close();
    total.requests += client.requestCounts.afterHandshake;
    total.handshakes += client.requestCounts.handshake;
  }
  return total;
}

const variants = { 'one shell (extorch)': oneShell, 'shell per step (reference)': shellPerStep, 'connection per step': connectionPerStep };
const results = new Map<string, Figure[]>();
await oneShell(); // warm-up: TLS session set-up, JIT
for (let round = 0; round < ROUNDS; round++) {
  // Interleaved so that machine noise hits every variant alike.
  for (const [name, run] of Object.entries(variants)) results.set(name, [...(results.get(name) ?? []), await run()]);
}
await endpoint.close();

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const baseline = median(results.get('one shell (extorch)')!.map((figure) => figure.ms));
console.log(`${STEPS} PowerShell steps, ${ROUNDS} rounds, median wall time`);
for (const [name, figures] of results) {
  const first = figures[0]!;
  const ms = median(figures.map((figure) => figure.ms));
  console.log(
    `${name.padEnd(28)} requests after handshake ${String(first.requests).padStart(3)}  handshake legs ${String(first.handshakes).padStart(2)}  ` +
      `${ms.toFixed(1).padStart(7)} ms  ×${(ms / baseline).toFixed(2)}`,
  );
}
