// Zones, pods, External clusters bound to an extension, and hosts with each extension's details.
import { useState, type ReactNode } from 'react';
import type { ApiObject } from '../api/client.ts';
import { mapParam, parseKeyValueLines } from '../api/params.ts';
import { useConsole } from '../app/context.ts';
import { useLoad } from '../app/hooks.ts';
import { navigate } from '../app/router.ts';
import { DataTable } from '../components/DataTable.tsx';
import { Form, type FieldSpec } from '../components/Form.tsx';
import { Modal, StateBadge, Tabs } from '../components/Modal.tsx';
import { builtinKind, externalDetailsFrom, HOST_DETAIL_FIELDS, SECRET_DETAIL_KEYS } from './extension-forms.ts';

type Tab = 'zones' | 'pods' | 'clusters' | 'hosts';
const TABS: ReadonlyArray<{ id: Tab; label: string }> = [
  { id: 'zones', label: 'Zones' },
  { id: 'pods', label: 'Pods' },
  { id: 'clusters', label: 'Clusters' },
  { id: 'hosts', label: 'Hosts' },
];

const options = (items: readonly ApiObject[] | undefined) => (items ?? []).map((item) => ({ value: String(item.id), label: String(item.name) }));

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

/** A list with an "Add" dialog: the shape every tab shares. */
function ListWithCreate({ command, listKey, params = {}, columns, createLabel, createCommand, dialog }: {
  command: string;
  listKey: string;
  params?: Record<string, string>;
  columns: Parameters<typeof DataTable<ApiObject>>[0]['columns'];
  createLabel: string;
  createCommand: string;
  dialog: (close: () => void, reload: () => Promise<void>) => ReactNode;
}) {
  const { session, can } = useConsole();
  const list = useLoad(() => session.list(command, listKey, params), [session, command]);
  const [open, setOpen] = useState(false);
  return (
    <>
      {can(createCommand) && (
        <button type="button" onClick={() => setOpen(true)} data-testid={`create-${listKey}`}>
          {createLabel}
        </button>
      )}
      {list.error && <p className="form-error">{list.error}</p>}
      <DataTable testId={`${listKey}-table`} rows={list.data?.items ?? []} columns={columns} />
      {open && dialog(() => setOpen(false), list.reload)}
    </>
  );
}

function ZonesTab() {
  const { session } = useConsole();
  return (
    <ListWithCreate
      command="listZones"
      listKey="zone"
      createLabel="Add zone"
      createCommand="createZone"
      columns={[
        { key: 'name', label: 'Name' },
        { key: 'networktype', label: 'Network type' },
        { key: 'allocationstate', label: 'Allocation state', render: (row) => <StateBadge state={row.allocationstate} /> },
        { key: 'dns1', label: 'DNS 1' },
      ]}
      dialog={(close, reload) => (
        <Modal title="Add zone" onClose={close} testId="zone-dialog">
          <Form
            submitLabel="Add"
            onCancel={close}
            fields={[
              { name: 'name', label: 'Name', required: true },
              { name: 'networktype', label: 'Network type', kind: 'select', required: true, defaultValue: 'Advanced', options: [{ value: 'Advanced', label: 'Advanced' }, { value: 'Basic', label: 'Basic' }] },
              { name: 'dns1', label: 'DNS 1', required: true, placeholder: '8.8.8.8' },
              { name: 'internaldns1', label: 'Internal DNS 1', required: true, placeholder: '10.0.0.2' },
            ]}
            onSubmit={async (values) => {
              await session.call('createZone', values);
              close();
              await reload();
            }}
          />
        </Modal>
      )}
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
      columns={[
        { key: 'name', label: 'Name' },
        { key: 'zonename', label: 'Zone' },
        { key: 'gateway', label: 'Gateway' },
        { key: 'allocationstate', label: 'Allocation state', render: (row) => <StateBadge state={row.allocationstate} /> },
      ]}
      dialog={(close, reload) => (
        <Modal title="Add pod" onClose={close} testId="pod-dialog">
          <Form
            submitLabel="Add"
            onCancel={close}
            fields={[
              { name: 'zoneid', label: 'Zone', kind: 'select', required: true, options: options(zones.data?.items) },
              { name: 'name', label: 'Name', required: true },
              { name: 'gateway', label: 'Gateway' },
              { name: 'netmask', label: 'Netmask' },
              { name: 'startip', label: 'Start IP' },
              { name: 'endip', label: 'End IP' },
            ]}
            onSubmit={async (values) => {
              await session.call('createPod', values);
              close();
              await reload();
            }}
          />
        </Modal>
      )}
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
        { key: 'allocationstate', label: 'Allocation state', render: (row) => <StateBadge state={row.allocationstate} /> },
      ]}
      dialog={(close, reload) => (
        <Modal title="Add External cluster" onClose={close} testId="cluster-dialog">
          <Form
            submitLabel="Add"
            onCancel={close}
            fields={[
              { name: 'podid', label: 'Pod', kind: 'select', required: true, options: (pods.data?.items ?? []).map((pod) => ({ value: String(pod.id), label: `${String(pod.name)} (${String(pod.zonename)})` })) },
              { name: 'clustername', label: 'Name', required: true },
              { name: 'extensionid', label: 'Extension', kind: 'select', required: true, options: options(extensions.data?.items) },
              { name: 'externaldetails', label: 'Details (key=value per line)', kind: 'textarea' },
            ]}
            onSubmit={async (values) => {
              const pod = pods.data?.items.find((item) => item.id === values.podid);
              await session.call('addCluster', {
                clustername: String(values.clustername),
                podid: String(values.podid),
                zoneid: pod ? String(pod.zoneid) : undefined,
                hypervisor: 'External',
                clustertype: 'CloudManaged',
                extensionid: String(values.extensionid),
                ...mapParam('externaldetails', parseKeyValueLines(String(values.externaldetails ?? ''))),
              });
              close();
              await reload();
            }}
          />
        </Modal>
      )}
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
        { key: 'state', label: 'State', render: (row) => <StateBadge state={row.state} /> },
        { key: 'resourcestate', label: 'Resource state' },
        { key: 'clustername', label: 'Cluster' },
        { key: 'extensionname', label: 'Extension' },
        {
          key: 'externaldetails',
          label: 'Details',
          // Secrets are masked by the API; the console does not even show the masks.
          render: (row) =>
            Object.entries((row.externaldetails as Record<string, string> | undefined) ?? {})
              .filter(([key]) => !SECRET_DETAIL_KEYS.has(key))
              .map(([key, value]) => `${key}=${value}`)
              .join(', ') || '—',
        },
      ]}
      dialog={(close, reload) => <AddHostDialog close={close} reload={reload} />}
    />
  );
}

function AddHostDialog({ close, reload }: { close: () => void; reload: () => Promise<void> }) {
  const { session } = useConsole();
  const clusters = useLoad(() => session.list('listClusters', 'cluster', { hypervisor: 'External' }), [session]);
  const [clusterId, setClusterId] = useState('');
  const cluster = clusters.data?.items.find((item) => item.id === clusterId);
  const kind = builtinKind(cluster?.extensionname as string | undefined);
  const detailFields: readonly FieldSpec[] = kind ? HOST_DETAIL_FIELDS[kind] : [{ name: 'externaldetails', label: 'Details (key=value per line)', kind: 'textarea' }];
  return (
    <Modal title="Add host" onClose={close} testId="host-dialog">
      <div className="field">
        <label htmlFor="host-cluster">Cluster</label>
        <select id="host-cluster" name="clusterid" value={clusterId} onChange={(event) => setClusterId(event.target.value)}>
          <option value="">Select…</option>
          {(clusters.data?.items ?? []).map((item) => (
            <option key={String(item.id)} value={String(item.id)}>
              {String(item.name)} ({String(item.extensionname ?? 'no extension')})
            </option>
          ))}
        </select>
      </div>
      {cluster && (
        <Form
          key={String(cluster.id)}
          submitLabel="Add"
          onCancel={close}
          fields={[{ name: 'hostname', label: 'Host address', param: 'url', placeholder: 'defaults to the URL/endpoint below' }, ...detailFields]}
          onSubmit={async (values) => {
            const details = kind ? externalDetailsFrom(detailFields, values) : parseKeyValueLines(String(values.externaldetails ?? ''));
            await session.call('addHost', {
              zoneid: String(cluster.zoneid),
              podid: String(cluster.podid),
              clusterid: String(cluster.id),
              hypervisor: 'External',
              url: String(values.hostname ?? details.url ?? details.endpoint ?? 'External'),
              username: 'External',
              password: 'External',
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
