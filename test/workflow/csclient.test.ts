// The documented in-built extension workflow through the npm CloudStack client `csclient`, against a real
// extorch server and the three emulators.
import { csclientClient } from './clients.ts';
import { describeDocumentedWorkflow } from './suite.ts';

describeDocumentedWorkflow('documented workflow through csclient (npm)', csclientClient);
