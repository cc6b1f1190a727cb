// One instance: state, lifecycle buttons, NICs (MAC, VLAN, IP), details, events, custom actions and console.
import { useState } from 'react';
import type { ApiObject } from '../api/client.ts';
import { useConsole } from '../app/context.ts';
import { useLoad } from '../app/hooks.ts';
import { navigate } from '../app/router.ts';
import { DataTable, DetailsList } from '../components/DataTable.tsx';
import { EventsTable } from '../components/EventsTable.tsx';
import { Modal, StateBadge, Tabs } from '../components/Modal.tsx';
import { CustomActionRunner } from './CustomActionRunner.tsx';
import { INSTANCE_LIST_REFRESH_MS, type InstanceRow } from './InstancesPage.tsx';

type Tab = 'details' | 'nics' | 'events' | 'actions';

interface LifecycleAction {
  id: string;
  label: string;
  command: string;
  when: (state: string) => boolean;
  params?: ApiParamsFor;
  danger?: boolean;
}
type ApiParamsFor = Record<string, string | boolean>;

const LIFECYCLE: readonly LifecycleAction[] = [
  { id: 'start', label: 'Start', command: 'startVirtualMachine', when: (state) => state === 'Stopped' },
  { id: 'stop', label: 'Stop', command: 'stopVirtualMachine', when: (state) => state === 'Running' },
  { id: 'reboot', label: 'Reboot', command: 'rebootVirtualMachine', when: (state) => state === 'Running' },
  { id: 'destroy', label: 'Destroy', command: 'destroyVirtualMachine', when: (state) => !['Destroyed', 'Expunging', 'Expunged'].includes(state), danger: true },
  { id: 'recover', label: 'Recover', command: 'recoverVirtualMachine', when: (state) => state === 'Destroyed' },
  { id: 'expunge', label: 'Expunge', command: 'expungeVirtualMachine', when: (state) => state === 'Destroyed', danger: true },
];

/** `vlan://1577` → `1577` (CloudStack's broadcast URI of a VLAN network). */
export function vlanOf(broadcastUri: unknown): string {
  const match = /^vlan:\/\/(.+)$/i.exec(String(broadcastUri ?? ''));
  return match?.[1] ?? '—';
}

export function InstanceDetailPage({ id }: { id: string }) {
  const { session, can, isAdmin } = useConsole();
  const [tab, setTab] = useState<Tab>('details');
  const [busy, setBusy] = useState('');
  const [error, setError] = useState('');
  const [console_, setConsole] = useState<ApiObject>();
  const loaded = useLoad(async () => (await session.list<InstanceRow>('listVirtualMachines', 'virtualmachine', { id, listall: true })).items[0] ?? null, [session, id], INSTANCE_LIST_REFRESH_MS);
  const vm = loaded.data;

  async function run(action: LifecycleAction) {
    if (action.danger && !window.confirm(`${action.label} ${vm?.name ?? 'this instance'}?`)) return;
    setError('');
    setBusy(action.label);
    try {
      await session.callAsync(action.command, { id, ...(action.id === 'destroy' ? { expunge: false } : {}) });
      if (action.id === 'expunge') navigate('instances');
      else await loaded.reload();
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setBusy('');
    }
  }

  async function openConsole() {
    setError('');
    try {
      const answer = await session.call('createConsoleEndpoint', { virtualmachineid: id });
      const endpoint = (answer.consoleendpoint ?? answer) as ApiObject;
      // A direct console opens in a new tab; the dialog keeps a link in case the browser blocked the tab.
      if (typeof endpoint.url === 'string') window.open(endpoint.url, '_blank', 'noopener,noreferrer');
      setConsole(endpoint);
    } catch (failure) {
      setError((failure as Error).message);
    }
  }

  if (loaded.error && !vm) return <p className="form-error">{loaded.error}</p>;
  if (vm === undefined) return <p className="loading">Loading…</p>;
  if (vm === null) return <p className="notice">This instance does not exist or is not yours.</p>;
  const state = vm.state ?? '';

  return (
    <section data-page="instance-detail">
      <header className="page-header">
        <h1>
          {vm.name} <StateBadge state={state} /> <StateBadge state={vm.powerstate} />
        </h1>
        <div className="buttons" data-testid="lifecycle-buttons">
          {LIFECYCLE.filter((action) => can(action.command) && action.when(state)).map((action) => (
            <button key={action.id} type="button" className={action.danger ? 'danger' : ''} disabled={busy !== ''} data-action={action.id} onClick={() => void run(action)}>
              {busy === action.label ? `${action.label}…` : action.label}
            </button>
          ))}
          {can('createConsoleEndpoint') && state === 'Running' && (
            <button type="button" className="secondary" data-action="console" onClick={() => void openConsole()}>
              Console
            </button>
          )}
        </div>
      </header>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <Tabs<Tab>
        active={tab}
        onChange={setTab}
        tabs={[
          { id: 'details', label: 'Details' },
          { id: 'nics', label: 'NICs' },
          { id: 'events', label: 'Events' },
          { id: 'actions', label: 'Custom actions' },
        ]}
      />
      {tab === 'details' && (
        <>
          <DetailsList
            testId="instance-details"
            values={{
              id: vm.id,
              name: vm.name,
              displayname: vm.displayname,
              ...(isAdmin ? { instancename: vm.instancename, hostname: vm.hostname } : {}),
              state,
              powerstate: vm.powerstate,
              zonename: vm.zonename,
              templatename: vm.templatename,
              serviceofferingname: vm.serviceofferingname,
              extensionname: vm.extensionname,
              account: vm.account,
              created: vm.created,
            }}
          />
          <h3>Instance details</h3>
          <DetailsList testId="vm-details" values={vm.details ?? {}} />
        </>
      )}
      {tab === 'nics' && (
        <DataTable
          testId="nics-table"
          rows={vm.nic ?? []}
          rowName="macaddress"
          columns={[
            { key: 'networkname', label: 'Network' },
            { key: 'macaddress', label: 'MAC address' },
            { key: 'vlan', label: 'VLAN', render: (nic) => vlanOf(nic.broadcasturi) },
            { key: 'ipaddress', label: 'IP address' },
            { key: 'netmask', label: 'Netmask' },
            { key: 'gateway', label: 'Gateway' },
            { key: 'isdefault', label: 'Default', render: (nic) => (nic.isdefault ? 'Yes' : 'No') },
          ]}
        />
      )}
      {tab === 'events' && <InstanceEvents id={id} />}
      {tab === 'actions' && <CustomActionRunner instanceId={id} instanceName={vm.name} />}
      {console_ && <ConsoleDialog endpoint={console_} close={() => setConsole(undefined)} />}
    </section>
  );
}

function InstanceEvents({ id }: { id: string }) {
  const { session } = useConsole();
  const events = useLoad(() => session.list('listEvents', 'event', { resourceid: id, listall: true, page: 1, pagesize: 100 }), [session, id]);
  return (
    <>
      {events.error && <p className="form-error">{events.error}</p>}
      <EventsTable testId="instance-events" rows={events.data?.items ?? []} who={[{ key: 'username', label: 'By' }]} />
    </>
  );
}

/** The console the extension returned: a direct URL to open, or the VNC connection details. */
function ConsoleDialog({ endpoint, close }: { endpoint: ApiObject; close: () => void }) {
  const url = typeof endpoint.url === 'string' ? endpoint.url : undefined;
  const vnc = (endpoint.websocket ?? {}) as ApiObject;
  const password = typeof vnc.password === 'string' ? vnc.password : undefined;
  const oneTime = vnc.passwordonetimeuseonly === true;
  return (
    <Modal title="Console" onClose={close} testId="console-dialog">
      {url ? (
        <p>
          <a href={url} target="_blank" rel="noreferrer noopener" data-testid="console-url">
            Open the console
          </a>{' '}
          (opened in a new tab)
        </p>
      ) : (
        <>
          <p>Connect a {String(vnc.protocol ?? 'vnc').toUpperCase()} client to the instance's console with these details.</p>
          <DetailsList testId="console-vnc" values={{ protocol: vnc.protocol ?? 'vnc', host: vnc.host, port: vnc.port, 'one-time password': oneTime ? 'Yes' : 'No' }} />
          {password !== undefined && (
            <p>
              Password: <code data-testid="console-password">{password}</code> <CopyButton text={password} />
            </p>
          )}
          {oneTime && <p className="notice">The password is a one-time ticket: it is valid for one connection and expires after about 10 seconds (Proxmox). Ask for a new one if it has expired.</p>}
        </>
      )}
    </Modal>
  );
}

function CopyButton({ text }: { text: string }) {
  const [copied, setCopied] = useState(false);
  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  }
  return (
    <button type="button" className="secondary" data-action="copy-password" onClick={() => void copy()}>
      {copied ? 'Copied' : 'Copy'}
    </button>
  );
}
