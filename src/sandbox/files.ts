// Names of the sandbox's files, kept apart from the sandbox itself so the CLI can use them without loading it.
export const DEFAULT_SANDBOX_DIRECTORY = '.extorch';
/** The connection details for clients: `{apiurl, apikey, secretkey, username, password[, ui]}` (mode 0600). */
export const SANDBOX_INFO_FILE = 'sandbox.json';
/**
 * The emulators' connection details `{proxmox, hyperv, maas}` (each what `extorch emulate <name> --json` prints),
 * mode 0600: what an operator types into the console's Add host form, and what the console's end-to-end tests read.
 */
export const SANDBOX_EMULATORS_FILE = 'emulators.json';
