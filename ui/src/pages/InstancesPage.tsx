// Instances: live list (state and power state refreshed in the background), paging, and the deploy wizard.
import { useState } from 'react';
import type { ApiObject } from '../api/client.ts';
import { deployProgressMessage } from '../api/job-progress.ts';
import { mapParam } from '../api/params.ts';
import { useConsole } from '../app/context.ts';
import { useLoad } from '../app/hooks.ts';
import { href, navigate } from '../app/router.ts';
import { DataTable, stateColumn } from '../components/DataTable.tsx';
import { optionsOf } from '../components/fields.ts';
import { Form } from '../components/Form.tsx';
import { Modal } from '../components/Modal.tsx';

/** How often the list refreshes its states while it is shown. */
export const INSTANCE_LIST_REFRESH_MS = 3000;
/** CloudStack caps a page at 500 (default.page.size); -1 asks for every instance at once. */
const PAGE_SIZES = [20, 50, 100, 500, -1] as const;
const ALL = -1;
const PAGE_SIZE_STORAGE_KEY = 'extorch.instances.pagesize';

export interface InstanceRow extends ApiObject {
  id: string;
  name: string;
  displayname?: string;
  instancename?: string;
  state?: string;
  powerstate?: string;
  account?: string;
  zonename?: string;
  hostname?: string;
  templatename?: string;
  extensionname?: string;
  created?: string;
  nic?: Array<Record<string, unknown>>;
  details?: Record<string, string>;
}

function savedPageSize(): number {
  const saved = Number(localStorage.getItem(PAGE_SIZE_STORAGE_KEY));
  return PAGE_SIZES.includes(saved as (typeof PAGE_SIZES)[number]) ? saved : 50;
}

export function InstancesPage() {
  const { session, can, isAdmin } = useConsole();
  const [page, setPage] = useState(1);
  const [pageSize, setPageSize] = useState(savedPageSize);
  const [deploying, setDeploying] = useState(false);
  const instances = useLoad(() => session.list<InstanceRow>('listVirtualMachines', 'virtualmachine', { page, pagesize: pageSize, listall: true }), [session, page, pageSize], INSTANCE_LIST_REFRESH_MS);
  const count = instances.data?.count ?? 0;
  const pages = pageSize === ALL ? 1 : Math.max(1, Math.ceil(count / pageSize));

  return (
    <section data-page="instances">
      <header className="page-header">
        <h1>Instances</h1>
        {can('deployVirtualMachine') && (
          <button type="button" onClick={() => setDeploying(true)} data-testid="deploy-instance">
            Add instance
          </button>
        )}
      </header>
      {instances.error && <p className="form-error">{instances.error}</p>}
      <DataTable<InstanceRow>
        testId="instances-table"
        rows={instances.data?.items ?? []}
        empty={instances.data ? 'No instances.' : 'Loading…'}
        columns={[
          { key: 'name', label: 'Name', render: (row) => <a href={href('instances', row.id)}>{row.name}</a> },
          stateColumn('state', 'State'),
          stateColumn('powerstate', 'Power state'),
          { key: 'ipaddress', label: 'IP address', render: (row) => String(row.nic?.[0]?.ipaddress ?? '—') },
          ...(isAdmin ? [{ key: 'hostname', label: 'Host' }, { key: 'instancename', label: 'Internal name' }] : []),
          { key: 'account', label: 'Account' },
          { key: 'zonename', label: 'Zone' },
          { key: 'templatename', label: 'Template' },
        ]}
      />
      <footer className="pager" data-testid="pager">
        <span>
          {count} instance{count === 1 ? '' : 's'} · page {page} of {pages}
        </span>
        <button type="button" className="small secondary" disabled={page <= 1} onClick={() => setPage(page - 1)}>
          Previous
        </button>
        <button type="button" className="small secondary" disabled={page >= pages} onClick={() => setPage(page + 1)}>
          Next
        </button>
        <label className="inline">
          Per page{' '}
          <select
            value={pageSize}
            onChange={(event) => {
              const size = Number(event.target.value);
              localStorage.setItem(PAGE_SIZE_STORAGE_KEY, String(size));
              setPageSize(size);
              setPage(1);
            }}
          >
            {PAGE_SIZES.map((size) => (
              <option key={size} value={size}>
                {size === ALL ? 'All' : size}
              </option>
            ))}
          </select>
        </label>
      </footer>
      {deploying && <DeployWizard close={() => setDeploying(false)} />}
    </section>
  );
}

function DeployWizard({ close }: { close: () => void }) {
  const { session } = useConsole();
  const choices = useLoad(async () => {
    const [zones, templates, offerings, networks] = await Promise.all([
      session.list('listZones', 'zone'),
      session.list('listTemplates', 'template', { templatefilter: 'executable' }),
      session.list('listServiceOfferings', 'serviceoffering'),
      session.list('listNetworks', 'network'),
    ]);
    return { zones: zones.items, templates: templates.items, offerings: offerings.items, networks: networks.items };
  }, [session]);
  const [progress, setProgress] = useState('');
  const data = choices.data;
  return (
    <Modal title="Add instance" onClose={close} testId="deploy-dialog">
      {choices.error && <p className="form-error">{choices.error}</p>}
      {data && (
        <Form
          submitLabel="Launch instance"
          onCancel={close}
          fields={[
            { name: 'zoneid', label: '1. Zone', kind: 'select', required: true, options: optionsOf(data.zones), defaultValue: data.zones.length === 1 ? String(data.zones[0]?.id) : '' },
            { name: 'templateid', label: '2. Template', kind: 'select', required: true, options: optionsOf(data.templates, (template) => template.extensionname) },
            { name: 'serviceofferingid', label: '3. Compute offering', kind: 'select', required: true, options: optionsOf(data.offerings, (offering) => `${String(offering.cpunumber)} CPU, ${String(offering.memory)} MB`) },
            { name: 'networkids', label: '4. Network', kind: 'select', options: optionsOf(data.networks, (network) => (network.vlan ? `VLAN ${String(network.vlan)}` : network.cidr)) },
            { name: 'displayname', label: '5. Name', param: 'name' },
            { name: 'vm_name', label: 'Name on the hypervisor (vm_name)', param: 'externaldetails[0].vm_name', help: 'Optional; the extension derives one otherwise' },
          ]}
          onSubmit={async (values) => {
            const { vm_name: vmName, displayname, ...rest } = values;
            const started = await session.call('deployVirtualMachine', {
              ...(rest as Record<string, string>),
              name: displayname as string | undefined,
              displayname: displayname as string | undefined,
              ...(vmName ? mapParam('externaldetails', { vm_name: String(vmName) }) : {}),
            });
            setProgress('Deploying…');
            const result = await session.waitForJob(String(started.jobid), (job) => setProgress(deployProgressMessage(job)));
            const vm = result.virtualmachine as ApiObject | undefined;
            close();
            navigate('instances', String(vm?.id ?? started.id ?? ''));
          }}
        >
          {progress && <p className="progress">{progress}</p>}
        </Form>
      )}
    </Modal>
  );
}
