// The documented in-built extension workflow through Debian's python3-cs (the `cs` module), against a real
// extorch server and the three emulators.
import { pythonCsClient } from './clients.ts';
import { describeDocumentedWorkflow } from './suite.ts';

describeDocumentedWorkflow('documented workflow through python3-cs (Debian)', pythonCsClient);
