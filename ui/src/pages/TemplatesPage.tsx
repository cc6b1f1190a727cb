// Templates: list, and register with the external details of the chosen extension.
import { useState } from 'react';
import type { ApiObject } from '../api/client.ts';
import { mapParam } from '../api/params.ts';
import { useConsole } from '../app/context.ts';
import { useLoad } from '../app/hooks.ts';
import { DataTable, display } from '../components/DataTable.tsx';
import { optionsOf } from '../components/fields.ts';
import { ChooserField, Form } from '../components/Form.tsx';
import { Modal } from '../components/Modal.tsx';
import { builtinKind, detailFieldsFor, detailsSummary, externalDetailsOf, TEMPLATE_DETAIL_FIELDS } from './extension-forms.ts';

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
          { key: 'externaldetails', label: 'External details', render: (row) => detailsSummary(row.externaldetails) },
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
  const detailFields = detailFieldsFor(kind, TEMPLATE_DETAIL_FIELDS, 'External details (key=value per line)');
  return (
    <Modal title="Register template" onClose={close} testId="template-dialog">
      <ChooserField id="template-extension" name="extensionid" label="Extension" value={extensionId} options={optionsOf(extensions.data?.items)} onChange={setExtensionId} />
      {extension && (
        <Form
          key={extensionId}
          submitLabel="Register"
          onCancel={close}
          fields={[
            { name: 'name', label: 'Name', required: true },
            { name: 'displaytext', label: 'Description', required: true },
            { name: 'zoneid', label: 'Zone', kind: 'select', options: optionsOf(zones.data?.items) },
            { name: 'ispublic', label: 'Public', kind: 'checkbox', defaultValue: true },
            ...detailFields,
          ]}
          onSubmit={async (values) => {
            const details = externalDetailsOf(kind, detailFields, values);
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
