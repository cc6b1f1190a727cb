/** `-EncodedCommand` takes base64 of the UTF-16LE script: no quoting of the script for cmd.exe is needed. */
export function encodePowerShellCommand(script: string): string {
  return Buffer.from(script, 'utf16le').toString('base64');
}
