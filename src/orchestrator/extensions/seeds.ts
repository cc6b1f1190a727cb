import type { CustomActionParameter, ExtensionState } from '../types.ts';

/** Every in-built action can be run by all four role types (Admin+ResourceAdmin+DomainAdmin+User). */
export const ALL_ROLES_MASK = 15;
export const BUILTIN_ACTION_TIMEOUT_SECONDS = 60;

export interface SeededAction {
  readonly name: string;
  readonly description: string;
  readonly successMessage: string;
  readonly errorMessage: string;
  readonly parameters: CustomActionParameter[];
}

export interface SeededExtension {
  readonly name: 'Proxmox' | 'HyperV' | 'MaaS';
  readonly description: string;
  readonly relativePath: string;
  /** The documented starting state: Proxmox and HyperV wait for the admin to enable them, MaaS is enabled. */
  readonly state: ExtensionState;
  readonly requiresPrepareVm: boolean;
  readonly actions: readonly SeededAction[];
}

const string = (name: string, required: boolean): CustomActionParameter => ({ name, type: 'STRING', validationFormat: 'NONE', required });
const boolean = (name: string): CustomActionParameter => ({ name, type: 'BOOLEAN', validationFormat: 'NONE', required: false });

const listSnapshots = (description: string): SeededAction => ({
  name: 'ListSnapshots',
  description,
  successMessage: 'Snapshots fetched for {{resourceName}} in {{extensionName}}',
  errorMessage: 'List Snapshots failed for {{resourceName}}',
  parameters: [],
});

function snapshotActions(parameter: string, createParameters: CustomActionParameter[], descriptions: [string, string, string, string]): SeededAction[] {
  return [
    listSnapshots(descriptions[0]),
    {
      name: 'CreateSnapshot',
      description: descriptions[1],
      successMessage: 'Snapshot created for {{resourceName}} in {{extensionName}}',
      errorMessage: 'Snapshot creation failed for {{resourceName}}',
      parameters: createParameters,
    },
    {
      name: 'RestoreSnapshot',
      description: descriptions[2],
      successMessage: 'Successfully restored snapshot for {{resourceName}} in {{extensionName}}',
      errorMessage: 'Restore snapshot failed for {{resourceName}}',
      parameters: [string(parameter, true)],
    },
    {
      name: 'DeleteSnapshot',
      description: descriptions[3],
      successMessage: 'Successfully deleted snapshot for {{resourceName}} in {{extensionName}}',
      errorMessage: 'Delete snapshot failed for {{resourceName}}',
      parameters: [string(parameter, true)],
    },
  ];
}

/** The in-built extensions and their custom actions as CloudStack's upgrade SQL seeds them (orchestrator.md §12). */
export const SEEDED_EXTENSIONS: readonly SeededExtension[] = [
  {
    name: 'Proxmox',
    description: 'Sample extension for Proxmox written in bash',
    relativePath: 'Proxmox/proxmox.sh',
    state: 'Disabled',
    requiresPrepareVm: true,
    actions: snapshotActions('snap_name', [string('snap_name', true), string('snap_description', false), boolean('snap_save_memory')], [
      'List Instance snapshots',
      'Create an Instance snapshot',
      'Restore Instance to the specific snapshot',
      'Delete the specified snapshot',
    ]),
  },
  {
    name: 'HyperV',
    description: 'Sample extension for HyperV written in python',
    relativePath: 'HyperV/hyperv.py',
    state: 'Disabled',
    requiresPrepareVm: false,
    actions: [
      ...snapshotActions('snapshot_name', [string('snapshot_name', true)], [
        'List checkpoints/snapshots for the Instance',
        'Create a checkpoint/snapshot for the Instance',
        'Restore Instance to the specified snapshot',
        'Delete the specified snapshot',
      ]),
      {
        name: 'Suspend',
        description: 'Suspend the Instance by freezing its current state in RAM',
        successMessage: 'Successfully suspended {{resourceName}} in {{extensionName}}',
        errorMessage: 'Suspend failed for {{resourceName}}',
        parameters: [],
      },
      {
        name: 'Resume',
        description: 'Resumes a suspended Instance, restoring CPU execution from memory.',
        successMessage: 'Successfully resumed {{resourceName}} in {{extensionName}}',
        errorMessage: 'Resume failed for {{resourceName}}',
        parameters: [],
      },
    ],
  },
  {
    name: 'MaaS',
    description: 'Baremetal Extension for Canonical MaaS written in Python',
    relativePath: 'MaaS/maas.py',
    state: 'Enabled',
    requiresPrepareVm: true,
    actions: [],
  },
];
