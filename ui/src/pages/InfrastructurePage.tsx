// Zones, pods, External clusters bound to an extension, and hosts with each extension's details.
import { useState, type ReactNode } from 'react';
import type { ApiObject, ApiParams } from '../api/client.ts';
import { mapParam } from '../api/params.ts';
import { useConsole } from '../app/context.ts';
import { useLoad } from '../app/hooks.ts';
import { navigate } from '../app/router.ts';
import { DataTable, stateColumn, type Column } from '../components/DataTable.tsx';
import { optionsOf, type FieldSpec, type FormValues } from '../components/fields.ts';
import { ChooserField, Form } from '../components/Form.tsx';
import { FormDialog } from '../components/FormDialog.tsx';
import { Modal, Tabs } from '../components/Modal.tsx';
import { builtinKind, detailFieldsFor, detailsSummary, externalDetailsOf, HOST_DETAIL_FIELDS, keyValueField, keyValuesOf, SECRET_DETAIL_KEYS } from './extension-forms.ts';

type Tab = 'zones' | 'pods' | 'clusters' | 'hosts';
const TABS: ReadonlyArray<{ id: Tab; label: string }> = [
  { id: 'zones', label: 'Zones' },
  { id: 'pods', label: 'Pods' },
  { id: 'clusters', label: 'Clusters' },
  { id: 'hosts', label: 'Hosts' },
];

const allocationStateColumn = stateColumn<ApiObject>('allocationstate', 'Allocation state');

export function InfrastructurePage({ tab: routeTab }: { tab: string | undefined }) {
  const tab: Tab = TABS.some((entry) => entry.id === routeTab) ? (routeTab as Tab) : 'zones';
  return (
    <section data-page="infrastructure">
      <header className="page-header">
        <h1>Infrastructure</h1>
      </header>
      <Tabs<Tab> tabs={TABS} active={tab} onChange={(id) => navigate('infrastructure', id)} />
      {tab === 'zones' && <ZonesTab />}
      {tab === 'pods' && <PodsTab />}
      {tab === 'clusters' && <ClustersTab />}
      {tab === 'hosts' && <HostsTab />}
    </section>
  );
}

/** Sends the create command, then closes the dialog and reloads the list. */
type Create = (params: ApiParams) => Promise<void>;

/** An "Add" dialog that is one form; its values, through `params` when given, are the create command's parameters. */
interface CreateForm {
  title: string;
  fields: readonly FieldSpec[];
  params?: (values: FormValues) => ApiParams;
}

/** A list with an "Add" dialog (`<listKey>-dialog`): the shape every tab shares. */
function ListWithCreate({ command, listKey, params = {}, columns, createLabel, createCommand, dialog }: {
  command: string;
  listKey: string;
  params?: Record<string, string>;
  columns: ReadonlyArray<Column<ApiObject>>;
  createLabel: string;
  createCommand: string;
  dialog: CreateForm | ((close: () => void, create: Create) => ReactNode);
}) {
  const { session, can } = useConsole();
  const list = useLoad(() => session.list(command, listKey, params), [session, command]);
  const [open, setOpen] = useState(false);
  const create: Create = async (createParams) => {
    await session.call(createCommand, createParams);
    setOpen(false);
    await list.reload();
  };
  return (
    <>
      {can(createCommand) && (
        <button type="button" onClick={() => setOpen(true)} data-testid={`create-${listKey}`}>
          {createLabel}
        </button>
      )}
      {list.error && <p className="form-error">{list.error}</p>}
      <DataTable testId={`${listKey}-table`} rows={list.data?.items ?? []} columns={columns} />
      {open &&
        (typeof dialog === 'function' ? (
          dialog(() => setOpen(false), create)
        ) : (
          <FormDialog
            title={dialog.title}
            testId={`${listKey}-dialog`}
            onClose={() => setOpen(false)}
            submitLabel="Add"
            fields={dialog.fields}
            onSubmit={(values) => create(dialog.params ? dialog.params(values) : values)}
          />
        ))}
    </>
  );
}

function ZonesTab() {
  return (
    <ListWithCreate
      command="listZones"
      listKey="zone"
      createLabel="Add zone"
      createCommand="createZone"
      columns={[{ key: 'name', label: 'Name' }, { key: 'networktype', label: 'Network type' }, allocationStateColumn, { key: 'dns1', label: 'DNS 1' }]}
      dialog={{
        title: 'Add zone',
        fields: [
          { name: 'name', label: 'Name', required: true },
          { name: 'networktype', label: 'Network type', kind: 'select', required: true, defaultValue: 'Advanced', options: [{ value: 'Advanced', label: 'Advanced' }, { value: 'Basic', label: 'Basic' }] },
          { name: 'dns1', label: 'DNS 1', required: true, placeholder: '8.8.8.8' },
          { name: 'internaldns1', label: 'Internal DNS 1', required: true, placeholder: '10.0.0.2' },
        ],
      }}
    />
  );
}

function PodsTab() {
  const { session } = useConsole();
  const zones = useLoad(() => session.list('listZones', 'zone'), [session]);
  return (
    <ListWithCreate
      command="listPods"
      listKey="pod"
      createLabel="Add pod"
      createCommand="createPod"
      columns={[{ key: 'name', label: 'Name' }, { key: 'zonename', label: 'Zone' }, { key: 'gateway', label: 'Gateway' }, allocationStateColumn]}
      dialog={{
        title: 'Add pod',
        fields: [
          { name: 'zoneid', label: 'Zone', kind: 'select', required: true, options: optionsOf(zones.data?.items) },
          { name: 'name', label: 'Name', required: true },
          { name: 'gateway', label: 'Gateway' },
          { name: 'netmask', label: 'Netmask' },
          { name: 'startip', label: 'Start IP' },
          { name: 'endip', label: 'End IP' },
        ],
      }}
    />
  );
}

function ClustersTab() {
  const { session } = useConsole();
  const pods = useLoad(() => session.list('listPods', 'pod'), [session]);
  const extensions = useLoad(() => session.list('listExtensions', 'extension', { details: 'min' }), [session]);
  return (
    <ListWithCreate
      command="listClusters"
      listKey="cluster"
      createLabel="Add cluster"
      createCommand="addCluster"
      columns={[
        { key: 'name', label: 'Name' },
        { key: 'hypervisortype', label: 'Hypervisor' },
        { key: 'extensionname', label: 'Extension' },
        { key: 'podname', label: 'Pod' },
        { key: 'zonename', label: 'Zone' },
        allocationStateColumn,
      ]}
      dialog={{
        title: 'Add External cluster',
        fields: [
          { name: 'podid', label: 'Pod', kind: 'select', required: true, options: optionsOf(pods.data?.items, (pod) => pod.zonename) },
          { name: 'clustername', label: 'Name', required: true },
          { name: 'extensionid', label: 'Extension', kind: 'select', required: true, options: optionsOf(extensions.data?.items) },
          keyValueField('externaldetails'),
        ],
        params: (values) => {
          const pod = pods.data?.items.find((item) => item.id === values.podid);
          return {
            clustername: String(values.clustername),
            podid: String(values.podid),
            zoneid: pod ? String(pod.zoneid) : undefined,
            hypervisor: 'External',
            clustertype: 'CloudManaged',
            extensionid: String(values.extensionid),
            ...mapParam('externaldetails', keyValuesOf(values, 'externaldetails')),
          };
        },
      }}
    />
  );
}

function HostsTab() {
  return (
    <ListWithCreate
      command="listHosts"
      listKey="host"
      createLabel="Add host"
      createCommand="addHost"
      columns={[
        { key: 'name', label: 'Name' },
        stateColumn('state', 'State'),
        { key: 'resourcestate', label: 'Resource state' },
        { key: 'clustername', label: 'Cluster' },
        { key: 'extensionname', label: 'Extension' },
        // Secrets are masked by the API; the console does not even show the masks.
        { key: 'externaldetails', label: 'Details', render: (row) => detailsSummary(row.externaldetails, SECRET_DETAIL_KEYS) },
      ]}
      dialog={(close, create) => <AddHostDialog close={close} create={create} />}
    />
  );
}

function AddHostDialog({ close, create }: { close: () => void; create: Create }) {
  const { session } = useConsole();
  const clusters = useLoad(() => session.list('listClusters', 'cluster', { hypervisor: 'External' }), [session]);
  const [clusterId, setClusterId] = useState('');
  const cluster = clusters.data?.items.find((item) => item.id === clusterId);
  const kind = builtinKind(cluster?.extensionname as string | undefined);
  const detailFields = detailFieldsFor(kind, HOST_DETAIL_FIELDS, 'Details (key=value per line)');
  return (
    <Modal title="Add host" onClose={close} testId="host-dialog">
      <ChooserField
        id="host-cluster"
        name="clusterid"
        label="Cluster"
        value={clusterId}
        options={optionsOf(clusters.data?.items, (item) => item.extensionname ?? 'no extension')}
        onChange={setClusterId}
      />
      {cluster && (
        <Form
          key={String(cluster.id)}
          submitLabel="Add"
          onCancel={close}
          fields={[{ name: 'hostname', label: 'Host address', param: 'url', placeholder: 'defaults to the URL/endpoint below' }, ...detailFields]}
          onSubmit={(values) => {
            const details = externalDetailsOf(kind, detailFields, values);
            return create({
              zoneid: String(cluster.zoneid),
              podid: String(cluster.podid),
              clusterid: String(cluster.id),
              hypervisor: 'External',
              url: String(values.hostname ?? details.url ?? details.endpoint ?? 'External'),
              username: 'External',
              password: 'External',
              ...mapParam('externaldetails', details),
            });
          }}
        />
      )}
    </Modal>
  );
}
