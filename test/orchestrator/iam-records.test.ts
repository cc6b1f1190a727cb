import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testDatabases } from '../helpers/databases.ts';
import { createTestBed, type TestBed } from '../helpers/orchestrator.ts';

// Every field of the IAM objects comes from one mapper per row shape; these pin what each object carries.
for (const backend of testDatabases()) {
  describe(`IAM objects on ${backend.name}`, () => {
    let bed: TestBed;
    let dispose: () => Promise<void>;

    before(async () => {
      const created = await backend.create();
      dispose = created.dispose;
      bed = await createTestBed(created.config, { adminPassword: 'admin-pw' });
    });
    after(async () => {
      await bed?.dispose();
      await dispose?.();
    });

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
  });
}
