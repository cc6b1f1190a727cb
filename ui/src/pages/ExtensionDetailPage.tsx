// One extension: details (edit, enable/disable, delete), registered resources (register/unregister a cluster)
// and custom actions (add/edit/delete, enable/disable, parameter definitions).
import { Fragment, useState } from 'react';
import type { ApiObject } from '../api/client.ts';
import { keyValueLines, mapParam } from '../api/params.ts';
import { useConsole } from '../app/context.ts';
import { useAction, useLoad } from '../app/hooks.ts';
import { navigate } from '../app/router.ts';
import { DataTable, DetailsList, display } from '../components/DataTable.tsx';
import { optionsOf } from '../components/fields.ts';
import { FormDialog } from '../components/FormDialog.tsx';
import { StateBadge, Tabs } from '../components/Modal.tsx';
import { CustomActionDialog, type CustomActionRow } from './CustomActionDialog.tsx';
import type { ExtensionRow } from './ExtensionsPage.tsx';
import { keyValueField, keyValuesOf } from './extension-forms.ts';

type Tab = 'details' | 'resources' | 'customactions';

export function ExtensionDetailPage({ id }: { id: string }) {
  const { session, can } = useConsole();
  const [tab, setTab] = useState<Tab>('details');
  const [dialog, setDialog] = useState<'edit' | 'register' | undefined>();
  const loaded = useLoad(async () => (await session.list<ExtensionRow>('listExtensions', 'extension', { id, details: 'all' })).items[0], [session, id]);
  const extension = loaded.data;
  const { error: actionError, act } = useAction(loaded.reload);

  if (loaded.error) return <p className="form-error">{loaded.error}</p>;
  if (!extension) return <p className="loading">Loading…</p>;

  return (
    <section data-page="extension-detail">
      <header className="page-header">
        <h1>
          {extension.name} <StateBadge state={extension.state} />
        </h1>
        <div className="buttons">
          {can('updateExtension') && (
            <>
              <button type="button" data-action={extension.state === 'Enabled' ? 'disable' : 'enable'} onClick={() => void act(() => session.call('updateExtension', { id, state: extension.state === 'Enabled' ? 'Disabled' : 'Enabled' }))}>
                {extension.state === 'Enabled' ? 'Disable' : 'Enable'}
              </button>
              <button type="button" className="secondary" onClick={() => setDialog('edit')} data-action="edit">
                Edit
              </button>
            </>
          )}
          {can('deleteExtension') && extension.isuserdefined && (
            <button
              type="button"
              className="danger"
              onClick={() =>
                void act(async () => {
                  if (!window.confirm(`Delete extension ${extension.name}?`)) return;
                  await session.call('deleteExtension', { id, cleanup: false });
                  navigate('extensions');
                })
              }
            >
              Delete
            </button>
          )}
        </div>
      </header>
      {actionError && <p className="form-error" role="alert">{actionError}</p>}
      <Tabs<Tab>
        active={tab}
        onChange={setTab}
        tabs={[
          { id: 'details', label: 'Details' },
          { id: 'resources', label: 'Resources' },
          { id: 'customactions', label: 'Custom actions' },
        ]}
      />
      {tab === 'details' && (
        <>
          <DetailsList
            testId="extension-details"
            values={{
              name: extension.name,
              description: extension.description,
              id: extension.id,
              type: extension.type,
              path: extension.path,
              pathready: extension.pathready,
              isuserdefined: extension.isuserdefined,
              orchestratorrequirespreparevm: extension.orchestratorrequirespreparevm,
              created: extension.created,
            }}
          />
          <h3>Details</h3>
          <DetailsList values={extension.details ?? {}} />
        </>
      )}
      {tab === 'resources' && (
        <>
          {can('registerExtension') && (
            <button type="button" onClick={() => setDialog('register')} data-testid="register-cluster">
              Register cluster
            </button>
          )}
          <DataTable
            testId="resources-table"
            rows={extension.resources ?? []}
            empty="No resource is registered with this extension."
            columns={[
              { key: 'name', label: 'Name', render: (row) => <a href={`#/infrastructure/clusters`}>{row.name}</a> },
              { key: 'type', label: 'Type' },
              { key: 'details', label: 'Details', render: (row) => keyValueLines(row.details) || '—' },
              { key: 'created', label: 'Created' },
              {
                key: 'actions',
                label: '',
                render: (row) =>
                  can('unregisterExtension') && (
                    <button type="button" className="small danger" data-action="unregister" onClick={() => void act(() => session.call('unregisterExtension', { extensionid: id, resourceid: row.id, resourcetype: row.type || 'Cluster' }))}>
                      Unregister
                    </button>
                  ),
              },
            ]}
          />
        </>
      )}
      {tab === 'customactions' && <CustomActionsTab extension={extension} />}
      {dialog === 'edit' && (
        <FormDialog
          title={`Edit ${extension.name}`}
          testId="edit-extension-dialog"
          onClose={() => setDialog(undefined)}
          submitLabel="Save"
          initial={{ description: extension.description ?? '', orchestratorrequirespreparevm: extension.orchestratorrequirespreparevm === true, details: keyValueLines(extension.details) }}
          fields={[
            { name: 'description', label: 'Description' },
            { name: 'orchestratorrequirespreparevm', label: 'Orchestrator requires prepare VM', kind: 'checkbox' },
            keyValueField('details', undefined, 'Replaces all visible details'),
          ]}
          onSubmit={async (values) => {
            const details = keyValuesOf(values, 'details');
            await session.call('updateExtension', {
              id,
              description: values.description as string | undefined,
              orchestratorrequirespreparevm: values.orchestratorrequirespreparevm === true,
              ...(Object.keys(details).length > 0 ? mapParam('details', details) : { cleanupdetails: true }),
            });
            setDialog(undefined);
            await loaded.reload();
          }}
        />
      )}
      {dialog === 'register' && <RegisterClusterDialog extension={extension} onClose={() => setDialog(undefined)} onDone={loaded.reload} />}
    </section>
  );
}

function RegisterClusterDialog({ extension, onClose, onDone }: { extension: ExtensionRow; onClose: () => void; onDone: () => Promise<void> }) {
  const { session } = useConsole();
  const clusters = useLoad(() => session.list<ApiObject>('listClusters', 'cluster', { hypervisor: 'External' }), [session]);
  if (!clusters.data) return null;
  return (
    <FormDialog
      title={`Register ${extension.name} with a cluster`}
      testId="register-dialog"
      onClose={onClose}
      submitLabel="Register"
      fields={[
        { name: 'resourceid', label: 'Cluster', kind: 'select', required: true, options: optionsOf(clusters.data.items, (cluster) => cluster.extensionname) },
        keyValueField('details'),
      ]}
      onSubmit={async (values) => {
        await session.call('registerExtension', { extensionid: extension.id, resourceid: String(values.resourceid), resourcetype: 'Cluster', ...mapParam('details', keyValuesOf(values, 'details')) });
        onClose();
        await onDone();
      }}
    />
  );
}

function CustomActionsTab({ extension }: { extension: ExtensionRow }) {
  const { session, can } = useConsole();
  const actions = useLoad(() => session.list<CustomActionRow>('listCustomActions', 'extensioncustomaction', { extensionid: extension.id }), [session, extension.id]);
  const [editing, setEditing] = useState<CustomActionRow | 'new' | undefined>();
  const [expanded, setExpanded] = useState<string>();
  const { error, act } = useAction(actions.reload);

  return (
    <>
      {can('addCustomAction') && (
        <button type="button" onClick={() => setEditing('new')} data-testid="add-custom-action">
          Add custom action
        </button>
      )}
      {(error || actions.error) && <p className="form-error" role="alert">{error || actions.error}</p>}
      <DataTable<CustomActionRow>
        testId="custom-actions-table"
        rows={actions.data?.items ?? []}
        empty="This extension has no custom actions."
        columns={[
          {
            key: 'name',
            label: 'Name',
            render: (row) => (
              <button type="button" className="link" onClick={() => setExpanded(expanded === row.id ? undefined : row.id)} aria-expanded={expanded === row.id}>
                {row.name}
              </button>
            ),
          },
          { key: 'enabled', label: 'State', render: (row) => <StateBadge state={row.enabled ? 'Enabled' : 'Disabled'} /> },
          { key: 'resourcetype', label: 'Resource type' },
          { key: 'allowedroletypes', label: 'Allowed roles', render: (row) => (row.allowedroletypes ?? []).join(', ') },
          { key: 'timeout', label: 'Timeout (s)' },
          { key: 'created', label: 'Created' },
          {
            key: 'actions',
            label: '',
            render: (row) => (
              <span className="buttons">
                {can('updateCustomAction') && (
                  <>
                    <button type="button" className="small secondary" data-action="edit" onClick={() => setEditing(row)}>
                      Edit
                    </button>
                    <button type="button" className="small secondary" data-action={row.enabled ? 'disable' : 'enable'} onClick={() => void act(() => session.call('updateCustomAction', { id: row.id, enabled: !row.enabled }))}>
                      {row.enabled ? 'Disable' : 'Enable'}
                    </button>
                  </>
                )}
                {can('deleteCustomAction') && (
                  <button type="button" className="small danger" data-action="delete" onClick={() => void act(async () => window.confirm(`Delete custom action ${row.name}?`) && session.call('deleteCustomAction', { id: row.id }))}>
                    Delete
                  </button>
                )}
              </span>
            ),
          },
        ]}
      />
      {(actions.data?.items ?? [])
        .filter((row) => row.id === expanded)
        .map((row) => (
          <Fragment key={row.id}>
            <h3>Parameters of {row.name}</h3>
            <DataTable
              testId="parameters-table"
              rowName="name"
              rowKey="name"
              rows={row.parameters ?? []}
              empty="No parameters."
              columns={[
                { key: 'name', label: 'Name' },
                { key: 'type', label: 'Type' },
                { key: 'validationformat', label: 'Validation format' },
                { key: 'valueoptions', label: 'Options', render: (parameter) => (parameter.valueoptions ?? []).join(', ') || '—' },
                { key: 'required', label: 'Required', render: (parameter) => display(parameter.required) },
              ]}
            />
            <DetailsList values={{ description: row.description, successmessage: row.successmessage, errormessage: row.errormessage, ...(row.details ?? {}) }} />
          </Fragment>
        ))}
      {editing && <CustomActionDialog extension={extension} action={editing === 'new' ? undefined : editing} onClose={() => setEditing(undefined)} onDone={actions.reload} />}
    </>
  );
}
