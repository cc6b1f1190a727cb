/**
 * What the cmd shell does with a WinRS command line: `powershell[.exe] … -EncodedCommand <b64>` runs the
 * decoded script; anything else answers like cmd.exe does for a program that does not exist.
 */

export type CommandPlan =
  | { kind: 'powershell'; script: string }
  | { kind: 'powershell-stdin' }
  | { kind: 'error'; stdout: string; stderr: string; exitCode: number };

const POWERSHELL = /^(?:.*\\)?powershell(?:\.exe)?$/i;

/** PowerShell accepts any unambiguous prefix of a parameter name; these are the ones that take a value. */
const VALUE_PARAMETERS = ['executionpolicy', 'outputformat', 'inputformat', 'windowstyle', 'configurationname', 'file', 'version', 'psconsolefile'];

function matchesParameter(argument: string, name: string, minimum: number): boolean {
  const lowered = argument.replace(/^[-/]/, '').toLowerCase();
  return lowered.length >= minimum && name.startsWith(lowered);
}

/** Splits a single cmd.exe command string (`powershell -encodedcommand AAA`) into words. */
function splitWords(commandLine: string): string[] {
  return [...commandLine.matchAll(/"([^"]*)"|(\S+)/g)].map((match) => match[1] ?? match[2] ?? '');
}

export function planCommand(command: string, args: readonly string[]): CommandPlan {
  // pywinrm sends `powershell -encodedcommand …` as one Command string; others use Arguments.
  const words = [...splitWords(command), ...args];
  const program = words[0] ?? '';
  if (!POWERSHELL.test(program)) {
    const name = program.replace(/^"|"$/g, '');
    return {
      kind: 'error',
      stdout: '',
      stderr: `'${name}' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n`,
      exitCode: 1,
    };
  }
  for (let i = 1; i < words.length; i++) {
    const word = words[i]!;
    if (!/^[-/]/.test(word)) continue;
    if (matchesParameter(word, 'encodedcommand', 2) || word.toLowerCase() === '-ec' || word.toLowerCase() === '-e') {
      const encoded = words[i + 1];
      if (!encoded) return powershellError('Cannot process the command because of a missing parameter. A command must follow -EncodedCommand.');
      const bytes = Buffer.from(encoded, 'base64');
      if (bytes.length === 0 || bytes.length % 2 !== 0) return powershellError('Cannot process the command because the value specified with -EncodedCommand is not properly encoded. The value must be Base64 encoded.');
      return { kind: 'powershell', script: bytes.toString('utf16le') };
    }
    if (matchesParameter(word, 'command', 1)) {
      const rest = words.slice(i + 1);
      if (rest.length === 1 && rest[0] === '-') return { kind: 'powershell-stdin' };
      return { kind: 'powershell', script: rest.join(' ') };
    }
    if (VALUE_PARAMETERS.some((name) => matchesParameter(word, name, 2))) i += 1;
  }
  return powershellError('This emulator runs powershell.exe only with -EncodedCommand or -Command.');
}

function powershellError(message: string): CommandPlan {
  return { kind: 'error', stdout: '', stderr: `${message}\r\n`, exitCode: 1 };
}
