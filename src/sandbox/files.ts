// Names of the sandbox's files, kept apart from the sandbox itself so the CLI can use them without loading it.
export const DEFAULT_SANDBOX_DIRECTORY = '.extorch';
/** The connection details for clients: `{apiurl, apikey, secretkey, username, password[, ui]}` (mode 0600). */
export const SANDBOX_INFO_FILE = 'sandbox.json';
