// The web console end to end: real headless Chromium drives the console of the real `extorch sandbox` (spawned
// from the build, exactly what `npm start` runs: the orchestrator with the in-built extensions against the
// Proxmox, Hyper-V and MAAS emulators, with their human-visible task times). Setup the console has no screen
// for goes through the signed API with the keys the sandbox prints; the emulators' credentials come from the
// `emulators.json` it writes. Secrets are compared, never printed: a failed check names the secret, not its value.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { launchChromium, screenshot, type Browser } from '../helpers/browser.ts';
import { CONSOLE_FIXTURE, extensionId, seedConsoleFixture, type ConsoleFixture } from '../helpers/console-fixture.ts';
import { startSandboxProcess, type SandboxProcess } from '../helpers/sandbox-process.ts';
import { listed } from '../helpers/signed-client.ts';

/** Generous for a loaded 2-core CI machine; every wait ends as soon as the page shows the expected state. */
const UI_TIMEOUT_MS = 30_000;
/** The sandbox seeds its own `proxmox-cluster` etc.; the clusters the console creates must not be mistaken for them. */
const CLUSTERS = { Proxmox: 'console-proxmox', HyperV: 'console-hyperv', MaaS: 'console-maas' } as const;

let sandbox: SandboxProcess;
let fixture: ConsoleFixture;
let browser: Browser;
let page: Page;

/** The instance with this id, as the admin sees it through the API (undefined once expunged). */
async function instanceState(id: string): Promise<string | undefined> {
  return listed(await sandbox.api.call('listVirtualMachines', { id, listall: 'true' }), 'virtualmachine')[0]?.state as string | undefined;
}

function assertNotShown(text: string, secret: string, what: string): void {
  assert.ok(secret.length > 0, `${what} is known`);
  assert.ok(!text.includes(secret), `${what} is displayed`);
}

async function login(target: Page, username: string, password: string): Promise<void> {
  await target.goto(sandbox.info.ui);
  const form = target.locator('[data-testid=login-form]');
  await form.locator('[name=username]').fill(username);
  await form.locator('[name=password]').fill(password);
  await form.locator('[data-testid=submit]').click();
  await target.locator('[data-testid=whoami]').waitFor();
}

async function open(target: Page, hash: string): Promise<void> {
  // Runs in the page; typed against the page's globals without pulling the DOM types into the tests.
  await target.evaluate((value) => {
    (globalThis as unknown as { location: { hash: string } }).location.hash = value;
  }, hash);
}

/** Fills a form inside `scope` from name → value (checkboxes take booleans, selects take option labels). */
async function fill(target: Page, scope: string, values: Record<string, string | boolean | { label: string }>): Promise<void> {
  for (const [name, value] of Object.entries(values)) {
    const field = target.locator(`${scope} [name="${name}"]`);
    if (typeof value === 'boolean') await field.setChecked(value);
    else if (typeof value === 'object') await field.selectOption({ label: value.label });
    else if ((await field.evaluate((element) => element.tagName)) === 'SELECT') await field.selectOption(value);
    else await field.fill(value);
  }
}

const row = (table: string, name: string) => `[data-testid=${table}] tr[data-row="${name}"]`;

async function enableExtension(name: string): Promise<void> {
  await open(page, '#/extensions');
  const extension = page.locator(row('extensions-table', name));
  await extension.waitFor();
  if ((await extension.locator('[data-action=enable]').count()) > 0) await extension.locator('[data-action=enable]').click();
  await extension.locator('.badge', { hasText: 'Enabled' }).waitFor();
}

async function createCluster(name: string, extension: string): Promise<void> {
  await open(page, '#/infrastructure/clusters');
  await page.locator('[data-testid=create-cluster]').click();
  await fill(page, '[data-testid=cluster-dialog]', { podid: { label: `${CONSOLE_FIXTURE.pod} (${CONSOLE_FIXTURE.zone})` }, clustername: name, extensionid: { label: extension } });
  await page.locator('[data-testid=cluster-dialog] [data-testid=submit]').click();
  await page.locator(row('cluster-table', name)).waitFor();
}

async function addHost(cluster: string, details: Record<string, string | boolean>): Promise<void> {
  await open(page, '#/infrastructure/hosts');
  await page.locator('[data-testid=create-host]').click();
  const clusterSelect = page.locator('[data-testid=host-dialog] [name=clusterid]');
  const clusterLabel = await clusterSelect.locator('option', { hasText: cluster }).first().textContent();
  await clusterSelect.selectOption({ label: clusterLabel ?? cluster });
  await fill(page, '[data-testid=host-dialog]', details);
  await page.locator('[data-testid=host-dialog] [data-testid=submit]').click();
  await page.locator('[data-testid=host-dialog]').waitFor({ state: 'detached' });
  await page.locator(`[data-testid=host-table] td[data-col=clustername]`, { hasText: cluster }).first().waitFor();
}

async function registerTemplate(extension: string, name: string, details: Record<string, string | boolean | { label: string }>): Promise<void> {
  await open(page, '#/templates');
  await page.locator('[data-testid=register-template]').click();
  await page.locator('[data-testid=template-dialog] [name=extensionid]').selectOption({ label: extension });
  await fill(page, '[data-testid=template-dialog]', { name, displaytext: `${name} template`, zoneid: { label: CONSOLE_FIXTURE.zone }, ...details });
  await page.locator('[data-testid=template-dialog] [data-testid=submit]').click();
  await page.locator(row('templates-table', name)).waitFor();
}

/** Deploys through the wizard and returns the new instance's id (the wizard lands on its page). */
async function deploy(template: string, name: string, vmName?: string): Promise<string> {
  await open(page, '#/instances');
  await page.locator('[data-testid=deploy-instance]').click();
  const dialog = '[data-testid=deploy-dialog]';
  await page.locator(`${dialog} [name=templateid]`).waitFor();
  const templateLabel = await page.locator(`${dialog} [name=templateid] option`, { hasText: template }).first().textContent();
  await fill(page, dialog, { zoneid: { label: CONSOLE_FIXTURE.zone }, templateid: { label: templateLabel ?? template }, serviceofferingid: fixture.offeringId, networkids: fixture.networkId, displayname: name, ...(vmName ? { vm_name: vmName } : {}) });
  await page.locator(`${dialog} [data-testid=submit]`).click();
  await page.locator('[data-page=instance-detail] h1', { hasText: name }).waitFor();
  return decodeURIComponent(new URL(page.url()).hash.split('/')[2] ?? '');
}

async function waitForState(state: string): Promise<void> {
  await page.locator('[data-page=instance-detail] h1 .badge', { hasText: new RegExp(`^${state}$`) }).first().waitFor();
}

async function lifecycle(action: string, expectedState: string): Promise<void> {
  await page.locator(`[data-testid=lifecycle-buttons] [data-action=${action}]`).click();
  await waitForState(expectedState);
}

/** Runs a custom action from the instance's Custom actions tab and returns the outcome text. */
async function runCustomAction(action: string, values: Record<string, string | boolean> = {}): Promise<string> {
  await page.locator('[role=tab]', { hasText: 'Custom actions' }).click();
  await page.locator(`[data-custom-action="${action}"]`).click();
  await fill(page, '[data-testid=run-action-dialog]', values);
  await page.locator('[data-testid=run-action-dialog] [data-testid=submit]').click();
  // The dialog closes when this run's outcome is set: only then is the outcome on the page this run's.
  await page.locator('[data-testid=run-action-dialog]').waitFor({ state: 'detached' });
  const outcome = page.locator('[data-testid=action-outcome]');
  await outcome.waitFor();
  return (await outcome.textContent()) ?? '';
}

async function destroyAndExpunge(): Promise<void> {
  await page.locator('[role=tab]', { hasText: 'Details' }).click();
  await lifecycle('destroy', 'Destroyed');
  await page.locator('[data-testid=lifecycle-buttons] [data-action=expunge]').click();
  await page.locator('[data-page=instances]').waitFor();
}

describe('web console (Chromium) against `extorch sandbox`', { timeout: 300_000 }, () => {
  before(async () => {
    sandbox = await startSandboxProcess();
    fixture = await seedConsoleFixture(sandbox.api);
    // The sandbox enables Proxmox and HyperV as it seeds; the console enables them itself here.
    for (const name of ['Proxmox', 'HyperV']) await sandbox.api.call('updateExtension', { id: await extensionId(sandbox.api, name), state: 'Disabled' });
    browser = await launchChromium();
    page = await browser.newPage();
    page.setDefaultTimeout(UI_TIMEOUT_MS);
  });

  after(async () => {
    await browser?.close();
    await sandbox?.stop();
  });

  test('login refuses a wrong password, then an admin logs in with every section in the menu', async () => {
    await page.goto(sandbox.info.ui);
    const form = page.locator('[data-testid=login-form]');
    await screenshot(page, '01-login');
    await form.locator('[name=username]').fill(sandbox.info.username);
    await form.locator('[name=password]').fill('wrong-password');
    await form.locator('[data-testid=submit]').click();
    await form.locator('[role=alert]').waitFor();
    assert.match((await form.locator('[role=alert]').textContent()) ?? '', /failed to authenticate|valid credentials/i);
    await login(page, sandbox.info.username, sandbox.info.password);
    assert.match((await page.locator('[data-testid=whoami]').textContent()) ?? '', /admin.*Admin/);
    const menu = await page.locator('[aria-label="Main menu"] a').allTextContents();
    assert.deepEqual(menu, ['Instances', 'Templates', 'Infrastructure', 'Extensions', 'Jobs & events']);
    await open(page, '#/extensions');
    await page.locator(row('extensions-table', 'MaaS')).waitFor();
    const proxmoxRow = await page.locator(row('extensions-table', 'Proxmox')).textContent();
    assert.match(proxmoxRow ?? '', /Disabled/);
    await screenshot(page, '02-extensions');
  });

  test('infrastructure: a zone and a pod are added through their forms, and a refused form names its field', async () => {
    await open(page, '#/infrastructure/zones');
    await page.locator('[data-testid=create-zone]').click();
    await fill(page, '[data-testid=zone-dialog]', { name: 'zone2', dns1: '8.8.4.4', internaldns1: '10.0.0.3' });
    await page.locator('[data-testid=zone-dialog] [data-testid=submit]').click();
    await page.locator(row('zone-table', 'zone2')).waitFor();
    // A pod named like an existing one in the same zone, or with a bad gateway, is refused by the API: the
    // message must land next to the field the API names.
    await open(page, '#/infrastructure/pods');
    await page.locator('[data-testid=create-pod]').click();
    await fill(page, '[data-testid=pod-dialog]', { zoneid: { label: 'zone2' }, name: 'pod2', gateway: 'not-an-ip', netmask: '255.255.255.0', startip: '10.2.0.10', endip: '10.2.0.20' });
    await page.locator('[data-testid=pod-dialog] [data-testid=submit]').click();
    const gatewayError = page.locator('[data-testid=pod-dialog] #field-gateway-error');
    await gatewayError.waitFor();
    assert.match((await gatewayError.textContent()) ?? '', /gateway/i);
    await fill(page, '[data-testid=pod-dialog]', { gateway: '10.2.0.1' });
    await page.locator('[data-testid=pod-dialog] [data-testid=submit]').click();
    await page.locator(row('pod-table', 'pod2')).waitFor();
    await screenshot(page, '03-infrastructure-pods');
  });

  test('Proxmox: enable, cluster, host, template, deploy, stop/start, snapshot through the custom action form, destroy', async () => {
    const proxmox = sandbox.emulators.proxmox;
    await enableExtension('Proxmox');
    await createCluster(CLUSTERS.Proxmox, 'Proxmox');
    await addHost(CLUSTERS.Proxmox, {
      hostname: 'pve1',
      'url': proxmox.url,
      user: proxmox.user,
      token: proxmox.token,
      secret: proxmox.secret,
      node: 'pve1',
      network_bridge: 'vmbr0',
      verify_tls_certificate: false,
    });
    // The token secret is never shown back (neither for this host nor for the one the sandbox seeded).
    assertNotShown((await page.locator('[data-testid=host-table]').textContent()) ?? '', proxmox.secret, 'the Proxmox token secret');
    await screenshot(page, '04-hosts');
    await registerTemplate('Proxmox', 'ubuntu-pve', { template_type: 'template', template_id: '9000' });
    await screenshot(page, '05-templates');
    const id = await deploy('ubuntu-pve', 'web-pve', 'web-pve');
    await waitForState('Running');
    await page.locator('[role=tab]', { hasText: 'NICs' }).click();
    const nic = await page.locator('[data-testid=nics-table] tbody tr[data-row]').first().textContent();
    assert.match(nic ?? '', /1577/);
    assert.match(nic ?? '', /([0-9a-f]{2}:){5}[0-9a-f]{2}/i);
    await page.locator('[role=tab]', { hasText: 'Details' }).click();
    await screenshot(page, '06-instance-detail');
    await lifecycle('stop', 'Stopped');
    await lifecycle('start', 'Running');
    // The console button: Proxmox hands out VNC details with a one-time ticket (no console proxy in extorch).
    await page.locator('[data-testid=lifecycle-buttons] [data-action=console]').click();
    const vnc = page.locator('[data-testid=console-dialog] [data-testid=console-vnc]');
    await vnc.waitFor();
    assert.match((await vnc.textContent()) ?? '', /vnc.*\d+\.\d+\.\d+\.\d+.*\d+/s);
    assert.ok(((await page.locator('[data-testid=console-password]').textContent()) ?? '').length > 8);
    await page.locator('[data-testid=console-dialog] [data-action=copy-password]').waitFor();
    assert.match((await page.locator('[data-testid=console-dialog]').textContent()) ?? '', /expires after about 10 seconds/);
    await screenshot(page, '06b-console-vnc');
    await page.locator('[data-testid=console-dialog] [aria-label=Close]').click();
    const created = await runCustomAction('CreateSnapshot', { snap_name: 'before-upgrade', snap_description: 'taken from the console' });
    assert.match(created, /Snapshot created for i-\d+-\d+-VM in Proxmox/);
    assert.equal(await page.locator('[data-testid=action-outcome].outcome-success').count(), 1);
    await runCustomAction('ListSnapshots');
    const table = page.locator('[data-testid=action-result-table]');
    await table.waitFor();
    assert.match((await table.textContent()) ?? '', /before-upgrade/);
    await screenshot(page, '07-custom-action-result');
    await destroyAndExpunge();
    assert.equal(await instanceState(id), undefined, 'expunged instance is gone');
  });

  test('Hyper-V: enable, cluster, host, template, deploy, stop/start, snapshot through the custom action form, destroy', async () => {
    const info = sandbox.emulators.hyperv;
    await enableExtension('HyperV');
    await createCluster(CLUSTERS.HyperV, 'HyperV');
    await addHost(CLUSTERS.HyperV, {
      hostname: 'hyperv1',
      'url': info.url,
      username: info.username,
      password: info.password,
      network_bridge: info.network_bridge,
      vhd_path: info.vhd_path,
      vm_path: info.vm_path,
      verify_tls_certificate: false,
    });
    assertNotShown((await page.locator('[data-testid=host-table]').textContent()) ?? '', info.password, 'the Hyper-V password');
    await registerTemplate('HyperV', 'ubuntu-hyperv', { template_type: 'template', generation: '2', template_path: info.template_path });
    await deploy('ubuntu-hyperv', 'web-hyperv');
    await waitForState('Running');
    await lifecycle('stop', 'Stopped');
    await lifecycle('start', 'Running');
    const created = await runCustomAction('CreateSnapshot', { snapshot_name: 'hv-checkpoint' });
    assert.match(created, /Snapshot created for i-\d+-\d+-VM in HyperV/);
    assert.equal(await page.locator('[data-testid=action-outcome].outcome-success').count(), 1);
    await runCustomAction('ListSnapshots');
    const table = page.locator('[data-testid=action-result-table]');
    await table.waitFor();
    assert.match((await table.textContent()) ?? '', /hv-checkpoint/);
    await destroyAndExpunge();
  });

  test('MAAS: already enabled, cluster, host, template, deploy, stop/start, destroy', async () => {
    const maas = sandbox.emulators.maas;
    await enableExtension('MaaS');
    await createCluster(CLUSTERS.MaaS, 'MaaS');
    await addHost(CLUSTERS.MaaS, { hostname: 'maas', endpoint: maas.endpoint, apikey: maas.apikey });
    assertNotShown((await page.locator('[data-testid=host-table]').textContent()) ?? '', maas.apikey.split(':')[2] ?? '', 'the secret of the MAAS API key');
    await registerTemplate('MaaS', 'ubuntu-maas', { distro_series: 'jammy', os: 'ubuntu', architecture: 'amd64/generic' });
    await deploy('ubuntu-maas', 'metal-1');
    await waitForState('Running');
    await lifecycle('stop', 'Stopped');
    await lifecycle('start', 'Running');
    // The console button: MAAS hands out the machine's page in the MAAS UI, opened in a new tab (and linked).
    const newTab = page.context().waitForEvent('page');
    await page.locator('[data-testid=lifecycle-buttons] [data-action=console]').click();
    const consoleLink = page.locator('[data-testid=console-dialog] [data-testid=console-url]');
    await consoleLink.waitFor();
    const href = (await consoleLink.getAttribute('href')) ?? '';
    assert.ok(href.startsWith(new URL(maas.endpoint).origin), href);
    assert.match(href, /\/MAAS\/r\/machine\/[^/]+\/summary$/);
    await (await newTab).close();
    await page.locator('[data-testid=console-dialog] [aria-label=Close]').click();
    await open(page, '#/instances');
    await page.locator(row('instances-table', 'metal-1'), { hasText: 'Running' }).waitFor();
    assert.equal(await page.locator(row('instances-table', 'web-pve')).count(), 0, 'the expunged Proxmox instance is no longer listed');
    await screenshot(page, '12-instances');
    await page.locator(`${row('instances-table', 'metal-1')} a`).click();
    await waitForState('Running');
    await destroyAndExpunge();
  });

  test('extension page: edit details, unregister and register a cluster on the Resources tab', async () => {
    await createCluster('spare-cluster', 'MaaS');
    await open(page, '#/extensions');
    await page.locator(`${row('extensions-table', 'MaaS')} a`).click();
    await page.locator('[data-testid=extension-details]').waitFor();
    await page.locator('[data-page=extension-detail] [data-action=edit]').click();
    await fill(page, '[data-testid=edit-extension-dialog]', { details: 'site=lab-1\nowner=ops' });
    await page.locator('[data-testid=edit-extension-dialog] [data-testid=submit]').click();
    await page.locator('[data-page=extension-detail] [data-detail=site]', { hasText: 'lab-1' }).waitFor();
    await page.locator('[role=tab]', { hasText: 'Resources' }).click();
    const spare = page.locator(row('resources-table', 'spare-cluster'));
    await spare.waitFor();
    await screenshot(page, '11-extension-resources');
    await spare.locator('[data-action=unregister]').click();
    await spare.waitFor({ state: 'detached' });
    await page.locator('[data-testid=register-cluster]').click();
    const clusterSelect = page.locator('[data-testid=register-dialog] [name=resourceid]');
    await clusterSelect.selectOption({ label: 'spare-cluster' });
    await fill(page, '[data-testid=register-dialog]', { details: 'rack=r12' });
    await page.locator('[data-testid=register-dialog] [data-testid=submit]').click();
    await page.locator(row('resources-table', 'spare-cluster'), { hasText: 'rack=r12' }).waitFor();
  });

  test('custom actions tab: add with parameters and roles (a bad name is refused at the name field), edit, delete', async () => {
    await open(page, '#/extensions');
    await page.locator(`${row('extensions-table', 'Proxmox')} a`).click();
    await page.locator('[role=tab]', { hasText: 'Custom actions' }).click();
    await page.locator(row('custom-actions-table', 'CreateSnapshot')).waitFor();
    await page.locator('[data-testid=add-custom-action]').click();
    const dialog = '[data-testid=custom-action-dialog]';
    await fill(page, dialog, { name: 'Bad/Name', description: 'Tag the VM', role_User: true, timeout: '30', successmessage: 'Tagged {{resourceName}}' });
    await page.locator('[data-testid=add-parameter]').click();
    await fill(page, dialog, { 'parameter-0-name': 'tag', 'parameter-0-valueoptions': 'blue,green', 'parameter-0-required': true });
    await page.locator(`${dialog} [data-testid=submit]`).click();
    const nameError = page.locator(`${dialog} #field-name-error`);
    await nameError.waitFor();
    assert.match((await nameError.textContent()) ?? '', /name/i);
    await fill(page, dialog, { name: 'TagVM' });
    await page.locator(`${dialog} [data-testid=submit]`).click();
    await page.locator(row('custom-actions-table', 'TagVM')).waitFor();
    const added = (await page.locator(row('custom-actions-table', 'TagVM')).textContent()) ?? '';
    assert.match(added, /Enabled/);
    assert.match(added, /Admin, User|User, Admin/);
    await page.locator(`${row('custom-actions-table', 'TagVM')} button.link`).click();
    await page.locator(row('parameters-table', 'tag')).waitFor();
    assert.match((await page.locator('[data-testid=parameters-table]').textContent()) ?? '', /tag.*STRING.*blue, green.*Yes/);
    await screenshot(page, '08-custom-actions');
    await page.locator(`${row('custom-actions-table', 'TagVM')} [data-action=edit]`).click();
    await fill(page, dialog, { timeout: '45', role_User: false });
    await page.locator(`${dialog} [data-testid=submit]`).click();
    await page.locator(dialog).waitFor({ state: 'detached' });
    // The dialog closes before the list is fetched again: wait for the edited row, not just any row.
    const editedRow = page.locator(row('custom-actions-table', 'TagVM'), { hasText: '45' });
    await editedRow.waitFor();
    const edited = (await editedRow.textContent()) ?? '';
    assert.match(edited, /45/);
    assert.doesNotMatch(edited, /User/);
    await page.locator(`${row('custom-actions-table', 'TagVM')} [data-action=delete]`).click();
    await page.locator(row('custom-actions-table', 'TagVM')).waitFor({ state: 'detached' });
  });

  test('jobs and events: a failed deploy shows its error in the wizard and under failed jobs; the audit trail is listed', async () => {
    // A template pointing at a Proxmox template VM that does not exist: the clone fails on the emulator.
    await sandbox.api.call('registerTemplate', {
      name: 'missing-pve',
      displaytext: 'missing-pve',
      format: 'External',
      hypervisor: 'External',
      url: 'http://external.invalid/template',
      zoneid: fixture.zoneId,
      extensionid: await extensionId(sandbox.api, 'Proxmox'),
      'externaldetails[0].template_type': 'template',
      'externaldetails[0].template_id': '9999',
      ispublic: 'true',
    });
    await open(page, '#/instances');
    await page.locator('[data-testid=deploy-instance]').click();
    const dialog = '[data-testid=deploy-dialog]';
    await page.locator(`${dialog} [name=templateid]`).waitFor();
    const templateLabel = await page.locator(`${dialog} [name=templateid] option`, { hasText: 'missing-pve' }).first().textContent();
    await fill(page, dialog, { zoneid: { label: CONSOLE_FIXTURE.zone }, templateid: { label: templateLabel ?? '' }, serviceofferingid: fixture.offeringId, networkids: fixture.networkId, displayname: 'doomed' });
    await page.locator(`${dialog} [data-testid=submit]`).click();
    const wizardError = page.locator(`${dialog} [role=alert]`);
    await wizardError.waitFor();
    const shown = (await wizardError.textContent()) ?? '';
    assert.match(shown, /9999|template/i, shown);
    await page.locator(`${dialog} button`, { hasText: 'Cancel' }).click();

    await open(page, '#/jobs');
    const failed = page.locator('[data-testid=failed-jobs] tbody tr[data-row]').first();
    await failed.waitFor();
    assert.match((await failed.locator('td[data-col=error]').textContent()) ?? '', /\w+/);
    await page.locator('[data-testid=all-jobs] tbody tr[data-row]').first().waitFor();
    await page.locator('[data-testid=events-table] tbody tr[data-row]').first().waitFor();
    assert.match((await page.locator('[data-testid=events-table]').textContent()) ?? '', /VM\.CREATE|VM\.START|VM\.STOP|VM\.DESTROY/);
    await screenshot(page, '09-jobs-events');
  });

  test('a User sees only their own instances and the actions their role allows, and cannot act on another account\'s', async () => {
    const createUser = async (username: string, firstname: string) => {
      const account = (await sandbox.api.call('createAccount', { username, password: `${username}-password`, firstname, lastname: firstname[0] ?? '', accounttype: '0' })).account as { user?: Array<{ id?: string }> };
      return account.user?.[0]?.id;
    };
    const alice = await createUser('alice', 'Alice');
    const bob = await createUser('bob', 'Bob');
    assert.ok(alice && bob);
    // Each user deploys one instance on Proxmox through the console.
    const users = await Promise.all([launchUserPage('alice'), launchUserPage('bob')]);
    const [alicePage, bobPage] = users;
    const aliceVm = await deployAs(alicePage, 'alice-vm');
    await deployAs(bobPage, 'bob-vm');
    // Bob's menu has no admin sections, and his list has his instance only.
    const menu = await bobPage.locator('[aria-label="Main menu"] a').allTextContents();
    assert.ok(!menu.includes('Extensions') && !menu.includes('Infrastructure'), `menu of a User: ${menu.join(', ')}`);
    await open(bobPage, '#/instances');
    await bobPage.locator(row('instances-table', 'bob-vm')).waitFor();
    assert.equal(await bobPage.locator(row('instances-table', 'alice-vm')).count(), 0);
    await screenshot(bobPage, '10-user-instances');
    // Opening Alice's instance by its address shows nothing of it.
    await open(bobPage, `#/instances/${aliceVm}`);
    await bobPage.locator('.notice', { hasText: 'does not exist or is not yours' }).waitFor();
    // And the API refuses Bob's session when he tries to stop it anyway.
    const refusal = await bobPage.evaluate(async (id) => {
      const storage = (globalThis as unknown as { sessionStorage: { getItem(key: string): string | null } }).sessionStorage;
      const key = (JSON.parse(storage.getItem('extorch.session') ?? '{}') as { sessionkey?: string }).sessionkey ?? '';
      const body = new URLSearchParams({ command: 'stopVirtualMachine', id, response: 'json', sessionkey: key });
      const response = await fetch('/client/api', { method: 'POST', body });
      return { status: response.status, text: await response.text() };
    }, aliceVm);
    assert.notEqual(refusal.status, 200, refusal.text);
    const aliceState = await instanceState(aliceVm);
    assert.equal(aliceState, 'Running');
    // The User runs only what the User role may: snapshot actions (seeded for every role), not an Admin-only one.
    await sandbox.api.call('addCustomAction', { extensionid: await extensionId(sandbox.api, 'Proxmox'), name: 'AdminOnly', allowedroletypes: 'Admin', enabled: 'true' });
    await open(bobPage, '#/instances');
    await bobPage.locator(`${row('instances-table', 'bob-vm')} a`).click();
    await bobPage.locator('[role=tab]', { hasText: 'Custom actions' }).click();
    await bobPage.locator('[data-custom-action=ListSnapshots]').waitFor();
    assert.equal(await bobPage.locator('[data-custom-action=AdminOnly]').count(), 0);
    await Promise.all(users.map((userPage) => userPage.close()));
  });

  test('logout ends the session: the console returns to the login form', async () => {
    await page.locator('[data-testid=logout]').click();
    await page.locator('[data-testid=login-form]').waitFor();
    await page.reload();
    await page.locator('[data-testid=login-form]').waitFor();
  });
});

async function launchUserPage(username: string): Promise<Page> {
  // A separate browser context each, so the two users' sessions never share cookies.
  const userPage = await browser.newPage();
  userPage.setDefaultTimeout(UI_TIMEOUT_MS);
  await login(userPage, username, `${username}-password`);
  return userPage;
}

async function deployAs(userPage: Page, name: string): Promise<string> {
  await open(userPage, '#/instances');
  await userPage.locator('[data-testid=deploy-instance]').click();
  const dialog = '[data-testid=deploy-dialog]';
  await userPage.locator(`${dialog} [name=templateid]`).waitFor();
  const templateLabel = await userPage.locator(`${dialog} [name=templateid] option`, { hasText: 'ubuntu-pve' }).first().textContent();
  await fill(userPage, dialog, { zoneid: { label: CONSOLE_FIXTURE.zone }, templateid: { label: templateLabel ?? '' }, serviceofferingid: fixture.offeringId, networkids: fixture.networkId, displayname: name });
  await userPage.locator(`${dialog} [data-testid=submit]`).click();
  await userPage.locator('[data-page=instance-detail] h1', { hasText: name }).waitFor();
  await userPage.locator('[data-page=instance-detail] h1 .badge', { hasText: /^Running$/ }).first().waitFor();
  return decodeURIComponent(new URL(userPage.url()).hash.split('/')[2] ?? '');
}
