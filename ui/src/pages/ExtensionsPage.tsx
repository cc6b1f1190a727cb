// Extensions list (CloudStack: name, state, type, path, availability, created) with enable/disable and create.
import { useState } from 'react';
import type { ApiObject } from '../api/client.ts';
import { mapParam } from '../api/params.ts';
import { useConsole } from '../app/context.ts';
import { useLoad } from '../app/hooks.ts';
import { href, navigate } from '../app/router.ts';
import { DataTable, display, stateColumn } from '../components/DataTable.tsx';
import { FormDialog } from '../components/FormDialog.tsx';
import { keyValueField, keyValuesOf } from './extension-forms.ts';

export interface ExtensionRow extends ApiObject {
  id: string;
  name: string;
  description?: string;
  type: string;
  state: 'Enabled' | 'Disabled';
  path?: string;
  pathready?: boolean;
  isuserdefined?: boolean;
  orchestratorrequirespreparevm?: boolean;
  details?: Record<string, string>;
  resources?: Array<{ id: string; name: string; type: string; created?: string; details?: Record<string, string> }>;
  created?: string;
}

export function ExtensionsPage() {
  const { session, can } = useConsole();
  const extensions = useLoad(() => session.list<ExtensionRow>('listExtensions', 'extension', { details: 'min' }), [session]);
  const [creating, setCreating] = useState(false);
  const [actionError, setActionError] = useState('');

  async function setState(extension: ExtensionRow, state: 'Enabled' | 'Disabled') {
    setActionError('');
    try {
      await session.call('updateExtension', { id: extension.id, state });
      await extensions.reload();
    } catch (error) {
      setActionError(`${extension.name}: ${(error as Error).message}`);
    }
  }

  return (
    <section data-page="extensions">
      <header className="page-header">
        <h1>Extensions</h1>
        {can('createExtension') && (
          <button type="button" onClick={() => setCreating(true)} data-testid="create-extension">
            Create extension
          </button>
        )}
      </header>
      {extensions.error && <p className="form-error">{extensions.error}</p>}
      {actionError && <p className="form-error" role="alert">{actionError}</p>}
      <DataTable<ExtensionRow>
        testId="extensions-table"
        rows={extensions.data?.items ?? []}
        columns={[
          { key: 'name', label: 'Name', render: (row) => <a href={href('extensions', row.id)}>{row.name}</a> },
          stateColumn('state', 'State'),
          { key: 'type', label: 'Type' },
          { key: 'path', label: 'Path' },
          { key: 'pathready', label: 'Availability', render: (row) => (row.pathready ? 'Ready' : 'Not Ready') },
          { key: 'isuserdefined', label: 'User-defined', render: (row) => display(row.isuserdefined) },
          { key: 'created', label: 'Created' },
          {
            key: 'actions',
            label: '',
            render: (row) =>
              can('updateExtension') && (
                <button type="button" className="small" data-action={row.state === 'Enabled' ? 'disable' : 'enable'} onClick={() => void setState(row, row.state === 'Enabled' ? 'Disabled' : 'Enabled')}>
                  {row.state === 'Enabled' ? 'Disable' : 'Enable'}
                </button>
              ),
          },
        ]}
      />
      {creating && (
        <FormDialog
          title="Create extension"
          testId="create-extension-dialog"
          onClose={() => setCreating(false)}
          submitLabel="Create"
          fields={[
            { name: 'name', label: 'Name', required: true },
            { name: 'description', label: 'Description' },
            { name: 'type', label: 'Type', kind: 'select', required: true, defaultValue: 'Orchestrator', options: [{ value: 'Orchestrator', label: 'Orchestrator' }] },
            { name: 'path', label: 'Path', placeholder: '<name>/<name>.sh', help: 'Relative to the extensions directory; defaults to <name>/<name>.sh' },
            { name: 'orchestratorrequirespreparevm', label: 'Orchestrator requires prepare VM', kind: 'checkbox' },
            { name: 'enabled', label: 'Enabled', kind: 'checkbox', defaultValue: true, param: 'state' },
            keyValueField('details'),
          ]}
          onSubmit={async (values) => {
            const created = await session.call('createExtension', {
              name: String(values.name),
              description: values.description as string | undefined,
              type: String(values.type),
              path: values.path as string | undefined,
              orchestratorrequirespreparevm: values.orchestratorrequirespreparevm === true,
              state: values.enabled === true ? 'Enabled' : 'Disabled',
              ...mapParam('details', keyValuesOf(values, 'details')),
            });
            setCreating(false);
            const extension = created.extension as ExtensionRow | undefined;
            if (extension) navigate('extensions', extension.id);
            else await extensions.reload();
          }}
        />
      )}
    </section>
  );
}
