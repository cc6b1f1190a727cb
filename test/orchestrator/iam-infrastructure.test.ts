import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openDatabase } from '../../src/store/database.ts';
import { testDatabases } from '../helpers/databases.ts';
import { createTestBed, provision, type Infrastructure, type TestBed } from '../helpers/orchestrator.ts';

for (const backend of testDatabases()) {
  describe(`IAM and infrastructure on ${backend.name}`, () => {
    let bed: TestBed;
    let infra: Infrastructure;
    let dispose: () => Promise<void>;

    before(async () => {
      const created = await backend.create();
      dispose = created.dispose;
      bed = await createTestBed(created.config, { adminPassword: 'admin-pw' });
      infra = await provision(bed.orchestrator, bed.admin);
    });
    after(async () => {
      // Also when `before` failed half-way: the database (schema) must not leak.
      await bed?.dispose();
      await dispose?.();
    });

    test('admin login, roles, accounts, API keys with the secret encrypted at rest', async () => {
      const { iam } = bed.orchestrator;
      const admin = await iam.login('admin', 'admin-pw', '/');
      assert.equal(admin.roleType, 'Admin');
      assert.equal(admin.accountType, 'ADMIN');
      await assert.rejects(iam.login('admin', 'wrong'), { kind: 'permission-denied' });
      await assert.rejects(iam.login('system', ''), { kind: 'permission-denied' });
      const roles = await iam.listRoles(admin, {});
      assert.deepEqual(roles.items.map((role) => role.type), ['Admin', 'ResourceAdmin', 'DomainAdmin', 'User']);
      const domain = await iam.createDomain(admin, { name: 'Sales' });
      assert.equal(domain.path, 'ROOT/Sales');
      const { account, user } = await iam.createAccount(admin, { username: 'carol', password: 'carol-pw', firstName: 'C', lastName: 'R', domainId: domain.id, accountType: 'DOMAIN_ADMIN' });
      assert.equal(account.roleType, 'DomainAdmin');
      assert.equal(user.domainName, 'Sales');
      await assert.rejects(iam.createAccount(admin, { username: 'carol', password: 'x', firstName: 'C', lastName: 'R', domainId: domain.id }), { kind: 'conflict' });
      const carol = await iam.login('carol', 'carol-pw', '/Sales');
      assert.equal(carol.roleType, 'DomainAdmin');
      assert.equal((await iam.listAccounts(carol, {})).items.every((a) => a.domainPath.startsWith('ROOT/Sales')), true);

      const keys = await iam.registerUserKeys(admin, user.id);
      const authenticated = await iam.authenticateApiKey(keys.apiKey);
      assert.equal(authenticated?.secretKey, keys.secretKey);
      assert.equal(authenticated?.caller.userId, user.id);
      assert.equal(await iam.authenticateApiKey('nope'), null);
      assert.deepEqual(await iam.getUserKeys(carol, user.id), keys);
      const raw = await openDatabase(bed.config.database);
      try {
        const row = await raw.db.selectFrom('users').select(['secret_key', 'password_hash']).where('uuid', '=', user.id).executeTakeFirstOrThrow();
        assert.doesNotMatch(row.secret_key ?? '', new RegExp(keys.secretKey.slice(0, 20)));
        assert.match(row.password_hash, /^scrypt\$/);
      } finally {
        await raw.close();
      }
      await iam.deleteUser(admin, user.id);
      assert.equal(await iam.authenticateApiKey(keys.apiKey), null);
    });

    // Every field of the IAM objects comes from one mapper per row shape; this pins what each object carries.
    test('domains, accounts, users and callers carry their domain, role and account', async () => {
      const { iam } = bed.orchestrator;
      const admin = bed.admin;
      const root = (await iam.listDomains(admin, { name: 'ROOT' })).items[0];
      assert.ok(root);
      assert.deepEqual({ ...root, id: 'x', created: 'x' }, { id: 'x', name: 'ROOT', path: 'ROOT', parentId: null, parentName: null, level: 0, created: 'x' });
      const engineering = await iam.createDomain(admin, { name: 'Engineering' });
      assert.deepEqual((await iam.listDomains(admin, { id: engineering.id })).items, [engineering]);
      assert.deepEqual({ ...engineering, id: 'x', created: 'x' }, { id: 'x', name: 'Engineering', path: 'ROOT/Engineering', parentId: root.id, parentName: 'ROOT', level: 1, created: 'x' });

      const userRole = (await iam.listRoles(admin, { type: 'User' })).items[0];
      assert.ok(userRole);
      assert.deepEqual({ ...userRole, id: 'x' }, { id: 'x', name: 'User', type: 'User', description: 'Default user role', isDefault: true });

      const { account, user } = await iam.createAccount(admin, { username: 'dana', password: 'dana-pw', firstName: 'Dana', lastName: 'S', email: 'dana@example.test', domainId: engineering.id });
      assert.deepEqual(
        { ...account, id: 'x', created: 'x' },
        {
          id: 'x',
          name: 'dana',
          accountType: 'NORMAL',
          domainId: engineering.id,
          domainName: 'Engineering',
          domainPath: 'ROOT/Engineering',
          roleId: userRole.id,
          roleName: 'User',
          roleType: 'User',
          state: 'enabled',
          created: 'x',
        },
      );
      assert.deepEqual((await iam.listAccounts(admin, { id: account.id })).items, [account]);

      const second = await iam.createUser(admin, { accountId: account.id, username: 'dana2', password: 'pw2', firstName: 'Dana', lastName: 'T' });
      assert.deepEqual(
        { ...second, id: 'x', created: 'x' },
        {
          id: 'x',
          username: 'dana2',
          firstName: 'Dana',
          lastName: 'T',
          email: null,
          accountId: account.id,
          accountName: 'dana',
          accountType: 'NORMAL',
          domainId: engineering.id,
          domainName: 'Engineering',
          roleId: userRole.id,
          roleName: 'User',
          roleType: 'User',
          state: 'enabled',
          apiKey: null,
          created: 'x',
        },
      );
      assert.deepEqual((await iam.listUsers(admin, { accountId: account.id })).items, [user, second]);
      assert.equal(user.email, 'dana@example.test');

      const caller = await iam.login('dana2', 'pw2', '/Engineering');
      assert.deepEqual(caller, {
        userId: second.id,
        userName: 'dana2',
        accountId: account.id,
        accountName: 'dana',
        accountType: 'NORMAL',
        domainId: engineering.id,
        domainPath: 'ROOT/Engineering',
        roleId: userRole.id,
        roleName: 'User',
        roleType: 'User',
      });
      assert.deepEqual(await iam.callerForUser(second.id), caller);
    });

    test('creating a user: unknown account, plain users, taken names and missing passwords are refused', async () => {
      const { iam } = bed.orchestrator;
      const admin = bed.admin;
      await assert.rejects(iam.createUser(admin, { accountId: 'no-such-account', username: 'x', password: 'x', firstName: '', lastName: '' }), { kind: 'not-found', parameter: 'account' });
      const { account } = await iam.createAccount(admin, { username: 'erin', password: 'erin-pw', firstName: 'E', lastName: 'F' });
      const erin = await iam.login('erin', 'erin-pw', '/');
      await assert.rejects(iam.createUser(erin, { accountId: account.id, username: 'erin2', password: 'x', firstName: '', lastName: '' }), { kind: 'permission-denied' });
      await assert.rejects(iam.createUser(admin, { accountId: account.id, username: 'erin', password: 'x', firstName: '', lastName: '' }), { kind: 'conflict', parameter: 'username' });
      await assert.rejects(iam.createUser(admin, { accountId: account.id, username: 'erin3', password: '', firstName: '', lastName: '' }), { kind: 'invalid-parameter', parameter: 'password' });
      assert.deepEqual((await iam.listUsers(admin, { accountId: account.id })).items.map((user) => user.username), ['erin']);
    });

    test('bad input gets a clear error naming the parameter and writes nothing', async () => {
      const { infrastructure, templates } = bed.orchestrator;
      const count = async () => (await infrastructure.listClusters(bed.admin, {})).count;
      const before = await count();
      await assert.rejects(infrastructure.addCluster(bed.admin, { name: 'kvm', zoneId: infra.zoneId, podId: infra.podId, hypervisor: 'KVM' }), { kind: 'invalid-parameter', parameter: 'hypervisor' });
      await assert.rejects(infrastructure.addCluster(bed.admin, { name: 'x', zoneId: 'no-such-zone', podId: infra.podId, hypervisor: 'External' }), { kind: 'not-found', parameter: 'zoneid' });
      await assert.rejects(infrastructure.addCluster(bed.admin, { name: 'x', zoneId: infra.zoneId, podId: infra.podId, hypervisor: 'External', extensionId: 'nope' }), { kind: 'not-found', parameter: 'extensionid' });
      assert.equal(await count(), before);
      await assert.rejects(infrastructure.createNetwork(bed.admin, { name: 'n', zoneId: infra.zoneId, networkOfferingId: (await infrastructure.listNetworkOfferings(bed.admin, {})).items[0]?.id ?? '', vlan: 5000 }), { parameter: 'vlan' });
      await assert.rejects(infrastructure.createNetwork(bed.admin, { name: 'n', zoneId: infra.zoneId, networkOfferingId: (await infrastructure.listNetworkOfferings(bed.admin, {})).items[0]?.id ?? '', vlan: 1577 }), /already being used/);
      await assert.rejects(templates.registerIso(bed.admin, { name: 'iso' }), /External hypervisor doesn't support ISO template/);
      await assert.rejects(templates.registerTemplate(bed.admin, { name: 't', displayText: 't', format: 'External', hypervisor: 'External', url: 'http://x' }), { parameter: 'extensionid' });
      await assert.rejects(
        infrastructure.addHost(bed.admin, { zoneId: infra.zoneId, podId: infra.podId, clusterId: infra.clusterId, hypervisor: 'External', url: 'https://node0.example.test:8006' }),
        { kind: 'conflict', parameter: 'url' },
      );
      const host = (await infrastructure.listHosts(bed.admin, { id: infra.hostIds[0] })).items[0];
      assert.match(host?.guid ?? '', /^External:[0-9a-f-]{36}$/);
      assert.equal(host?.cpuNumber, 0);
      assert.equal(host?.ipAddress, 'External');
      const updated = await infrastructure.updateHost(bed.admin, infra.hostIds[0] ?? '', { externalDetails: { secret: 'rotated', extra: 'x' } });
      assert.equal(updated.externalDetails.secret, '******');
      assert.equal(updated.externalDetails.extra, 'x');
      assert.equal(updated.externalDetails.node, 'pve0', 'update merges details');
    });

    test('deploy validates before writing; IPs and MACs are unique and released on expunge', async () => {
      const { instances, jobs } = bed.orchestrator;
      await assert.rejects(instances.deploy(bed.admin, { zoneId: infra.zoneId, templateId: 'nope', serviceOfferingId: infra.offeringId, networkIds: [infra.networkId] }), { parameter: 'templateid' });
      await assert.rejects(instances.deploy(bed.admin, { zoneId: infra.zoneId, templateId: infra.templateId, serviceOfferingId: infra.offeringId, networkIds: [] }), { parameter: 'networkids' });
      await assert.rejects(instances.deploy(bed.admin, { zoneId: infra.zoneId, templateId: infra.templateId, serviceOfferingId: infra.offeringId, networkIds: [infra.networkId], name: '-bad name' }), { parameter: 'name' });
      assert.equal((await instances.list(bed.admin, { listAll: true })).count, 0);
      const deployed = await Promise.all(
        Array.from({ length: 6 }, () => instances.deploy(bed.admin, { zoneId: infra.zoneId, templateId: infra.templateId, serviceOfferingId: infra.offeringId, networkIds: [infra.networkId], startVm: false })),
      );
      const ips = deployed.map((d) => d.instance.nics[0]?.ipAddress);
      const macs = deployed.map((d) => d.instance.nics[0]?.macAddress);
      assert.equal(new Set(ips).size, 6);
      assert.equal(new Set(macs).size, 6);
      for (const d of deployed) assert.equal((await jobs.wait(bed.admin, d.job.id)).status, 'succeeded');
      const page = await instances.list(bed.admin, { listAll: true, page: 2, pageSize: 4 });
      assert.equal(page.count, 6);
      assert.equal(page.items.length, 2);
      const first = deployed[0];
      assert.ok(first);
      // Never started: expunge needs no extension call, and the IP is free again.
      assert.equal((await jobs.wait(bed.admin, (await instances.destroy(bed.admin, first.instance.id, { expunge: true })).id)).status, 'succeeded');
      const again = await instances.deploy(bed.admin, { zoneId: infra.zoneId, templateId: infra.templateId, serviceOfferingId: infra.offeringId, networkIds: [infra.networkId], startVm: false });
      assert.equal(again.instance.nics[0]?.ipAddress, first.instance.nics[0]?.ipAddress);
      const recovered = await jobs.wait(bed.admin, (await instances.destroy(bed.admin, again.instance.id)).id);
      assert.equal((recovered.result as { state: string }).state, 'Destroyed');
      assert.equal((await instances.recover(bed.admin, again.instance.id)).state, 'Stopped');
    });
  });
}
