// Templates: list, and register with the external details of the chosen extension.
import { useState } from 'react';
import type { ApiObject } from '../api/client.ts';
import { mapParam, parseKeyValueLines } from '../api/params.ts';
import { useConsole } from '../app/context.ts';
import { useLoad } from '../app/hooks.ts';
import { DataTable, display } from '../components/DataTable.tsx';
import { Form, type FieldSpec } from '../components/Form.tsx';
import { Modal } from '../components/Modal.tsx';
import { builtinKind, externalDetailsFrom, TEMPLATE_DETAIL_FIELDS } from './extension-forms.ts';

export function TemplatesPage() {
  const { session, can, isAdmin } = useConsole();
  // `all` is an admin filter in CloudStack; everyone else sees what they may deploy from.
  const templates = useLoad(() => session.list('listTemplates', 'template', { templatefilter: isAdmin ? 'all' : 'executable' }), [session, isAdmin]);
  const [open, setOpen] = useState(false);
  const [error, setError] = useState('');
  return (
    <section data-page="templates">
      <header className="page-header">
        <h1>Templates</h1>
        {can('registerTemplate') && can('listExtensions') && (
          <button type="button" onClick={() => setOpen(true)} data-testid="register-template">
            Register template
          </button>
        )}
      </header>
      {(templates.error || error) && <p className="form-error">{templates.error || error}</p>}
      <DataTable
        testId="templates-table"
        rows={templates.data?.items ?? []}
        columns={[
          { key: 'name', label: 'Name' },
          { key: 'hypervisor', label: 'Hypervisor' },
          { key: 'extensionname', label: 'Extension' },
          { key: 'zonename', label: 'Zone' },
          { key: 'externaldetails', label: 'External details', render: (row) => Object.entries((row.externaldetails as Record<string, string>) ?? {}).map(([key, value]) => `${key}=${value}`).join(', ') || '—' },
          { key: 'isready', label: 'Ready', render: (row) => display(row.isready) },
          {
            key: 'actions',
            label: '',
            render: (row) =>
              can('deleteTemplate') && (
                <button
                  type="button"
                  className="small danger"
                  onClick={() => {
                    setError('');
                    session.call('deleteTemplate', { id: String(row.id) }).then(templates.reload, (failure: Error) => setError(failure.message));
                  }}
                >
                  Delete
                </button>
              ),
          },
        ]}
      />
      {open && <RegisterTemplateDialog close={() => setOpen(false)} reload={templates.reload} />}
    </section>
  );
}

function RegisterTemplateDialog({ close, reload }: { close: () => void; reload: () => Promise<void> }) {
  const { session } = useConsole();
  const zones = useLoad(() => session.list('listZones', 'zone'), [session]);
  const extensions = useLoad(() => session.list<ApiObject>('listExtensions', 'extension', { details: 'min' }), [session]);
  const [extensionId, setExtensionId] = useState('');
  const extension = extensions.data?.items.find((item) => item.id === extensionId);
  const kind = builtinKind(extension?.name as string | undefined);
  const detailFields: readonly FieldSpec[] = kind ? TEMPLATE_DETAIL_FIELDS[kind] : [{ name: 'externaldetails', label: 'External details (key=value per line)', kind: 'textarea' }];
  return (
    <Modal title="Register template" onClose={close} testId="template-dialog">
      <div className="field">
        <label htmlFor="template-extension">Extension</label>
        <select id="template-extension" name="extensionid" value={extensionId} onChange={(event) => setExtensionId(event.target.value)}>
          <option value="">Select…</option>
          {(extensions.data?.items ?? []).map((item) => (
            <option key={String(item.id)} value={String(item.id)}>
              {String(item.name)}
            </option>
          ))}
        </select>
      </div>
      {extension && (
        <Form
          key={extensionId}
          submitLabel="Register"
          onCancel={close}
          fields={[
            { name: 'name', label: 'Name', required: true },
            { name: 'displaytext', label: 'Description', required: true },
            { name: 'zoneid', label: 'Zone', kind: 'select', options: (zones.data?.items ?? []).map((zone) => ({ value: String(zone.id), label: String(zone.name) })) },
            { name: 'ispublic', label: 'Public', kind: 'checkbox', defaultValue: true },
            ...detailFields,
          ]}
          onSubmit={async (values) => {
            const details = kind ? externalDetailsFrom(detailFields, values) : parseKeyValueLines(String(values.externaldetails ?? ''));
            await session.call('registerTemplate', {
              name: String(values.name),
              displaytext: String(values.displaytext),
              zoneid: values.zoneid as string | undefined,
              ispublic: values.ispublic === true,
              format: 'External',
              hypervisor: 'External',
              // CloudStack requires a URL even for External templates; the extension reads its details instead.
              url: 'http://external.invalid/template',
              extensionid: extensionId,
              ...mapParam('externaldetails', details),
            });
            close();
            await reload();
          }}
        />
      )}
    </Modal>
  );
}
