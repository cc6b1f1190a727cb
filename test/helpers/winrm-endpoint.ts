import { generateSelfSignedCertificate } from '../../src/emulators/shared/tls.ts';
import type { TlsMaterial } from '../../src/emulators/shared/tls.ts';
import type { ScriptExecutor, ScriptOutcome } from '../../src/emulators/hyperv/shells.ts';
import { startWinRmEndpoint } from '../../src/emulators/hyperv/winrm-endpoint.ts';
import type { WinRmEndpoint } from '../../src/emulators/hyperv/winrm-endpoint.ts';

export const TEST_USER = 'Administrator';
export const TEST_PASSWORD = 'Emul@tor-Pa55';

let tlsMaterial: Promise<TlsMaterial> | undefined;
/** One certificate per test process keeps start-up fast. */
export function testTls(): Promise<TlsMaterial> {
  tlsMaterial ??= generateSelfSignedCertificate();
  return tlsMaterial;
}

/**
 * A tiny stand-in for the PowerShell interpreter, enough to exercise the transport:
 * `Write-Output <text>`, `Start-Sleep -Milliseconds <n>`, `Fail <message>` (an error record, exit 1),
 * `exit <n>`, and `Echo-Script` (prints the script it got). Statements are separated by `;`.
 */
export const testExecutor: ScriptExecutor = async (script) => {
  if (script.startsWith('Echo-Script')) return { stdout: `${script}\n`, errors: [], exitCode: 0 };
  let stdout = '';
  const errors: Array<ScriptOutcome['errors'][number]> = [];
  let exitCode = 0;
  for (const statement of script.split(';').map((part) => part.trim()).filter(Boolean)) {
    const [verb, ...rest] = statement.split(' ');
    const argument = rest.join(' ');
    if (verb === 'Write-Output') stdout += `${argument}\n`;
    else if (verb === 'Start-Sleep') await new Promise((resolve) => setTimeout(resolve, Number(rest[1])));
    else if (verb === 'Fail') {
      errors.push({ message: argument, fullyQualifiedErrorId: 'InvalidParameter,Microsoft.HyperV.PowerShell.Commands.GetVM', category: 'InvalidArgument', targetObject: 'x' });
      exitCode = 1;
    } else if (verb === 'exit') exitCode = Number(rest[0]);
    else {
      errors.push({ message: `The term '${verb}' is not recognized as the name of a cmdlet.`, fullyQualifiedErrorId: 'CommandNotFoundException', category: 'ObjectNotFound' });
      exitCode = 1;
    }
  }
  return { stdout, errors, exitCode };
};

export async function startTestEndpoint(executor: ScriptExecutor = testExecutor): Promise<WinRmEndpoint & { certificatePem: string }> {
  const tls = await testTls();
  const endpoint = await startWinRmEndpoint({ port: 0, tls, accounts: new Map([[TEST_USER, TEST_PASSWORD]]), executor });
  return Object.assign(endpoint, { certificatePem: tls.cert });
}
