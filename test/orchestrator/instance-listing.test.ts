// Listing instances: who sees what (role scope, account and domain filters) and paging newest first, on every
// test database. The list query reads a page's ids first and then its rows, with the owner filters as id
// subqueries; these cases pin the results that shape must keep.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Caller } from '../../src/orchestrator/caller.ts';
import { insertInstances } from '../helpers/bulk-instances.ts';
import { testDatabases } from '../helpers/databases.ts';
import { createTestBed, provision, TEST_SECRETS_KEY, type Infrastructure, type TestBed } from '../helpers/orchestrator.ts';

type Owner = 'admin' | 'alice' | 'dave' | 'bob';

for (const backend of testDatabases()) {
  describe(`instance listing on ${backend.name}`, () => {
    let bed: TestBed;
    let infra: Infrastructure;
    let dispose: () => Promise<void>;
    /** Every instance with its owner, in deploy order. */
    const deployed: Array<{ owner: Owner; id: string }> = [];
    const accounts: Record<string, string> = {};
    const domains: Record<string, string> = {};
    let alice: Caller;
    let carol: Caller;

    before(async () => {
      const created = await backend.create();
      dispose = created.dispose;
      bed = await createTestBed(created.config);
      infra = await provision(bed.orchestrator, bed.admin);
      const { iam, instances } = bed.orchestrator;
      const sales = await iam.createDomain(bed.admin, { name: 'Sales' });
      const east = await iam.createDomain(bed.admin, { name: 'East', parentDomainId: sales.id });
      // A sibling whose path starts like Sales's must stay outside Sales's subtree.
      const salesforce = await iam.createDomain(bed.admin, { name: 'SalesForce' });
      Object.assign(domains, { sales: sales.id, east: east.id });
      const account = async (username: string, domainId: string, accountType: 'NORMAL' | 'DOMAIN_ADMIN' = 'NORMAL') => {
        const made = await iam.createAccount(bed.admin, { username, password: `${username}-password`, firstName: username, lastName: 'T', domainId, accountType });
        accounts[username] = made.account.id;
        return iam.callerForUser(made.user.id);
      };
      alice = await account('alice', sales.id);
      await account('dave', east.id);
      await account('bob', salesforce.id);
      carol = await account('carol', sales.id, 'DOMAIN_ADMIN');
      // Interleaved so that each owner's instances are spread over the id order.
      for (const owner of ['admin', 'alice', 'dave', 'admin', 'bob', 'alice'] satisfies Owner[]) {
        const { instance, job } = await instances.deploy(bed.admin, {
          zoneId: infra.zoneId,
          templateId: infra.templateId,
          serviceOfferingId: infra.offeringId,
          networkIds: [infra.networkId],
          startVm: false,
          accountId: owner === 'admin' ? undefined : accounts[owner],
        });
        await bed.orchestrator.jobs.wait(bed.admin, job.id);
        deployed.push({ owner, id: instance.id });
      }
    });
    after(async () => {
      await bed?.dispose();
      await dispose?.();
    });

    /** The given owners' instance ids, newest first (the list order). */
    const newestFirst = (...owners: Owner[]) => deployed.filter(({ owner }) => owners.includes(owner)).map(({ id }) => id).reverse();

    test('an admin pages through every instance newest first, with the full count on every page', async () => {
      const { instances } = bed.orchestrator;
      const everything = newestFirst('admin', 'alice', 'dave', 'bob');
      const first = await instances.list(bed.admin, { listAll: true, page: 1, pageSize: 4 });
      const second = await instances.list(bed.admin, { listAll: true, page: 2, pageSize: 4 });
      const beyond = await instances.list(bed.admin, { listAll: true, page: 3, pageSize: 4 });
      assert.deepEqual(first.items.map((item) => item.id), everything.slice(0, 4));
      assert.deepEqual(second.items.map((item) => item.id), everything.slice(4));
      assert.deepEqual(beyond.items, []);
      assert.deepEqual([first.count, second.count, beyond.count], [6, 6, 6]);
      const unpaged = await instances.list(bed.admin, { listAll: true });
      assert.deepEqual(unpaged.items.map((item) => item.id), everything);
      // Every row carries its owner and its NIC (the display joins are made for the page's ids).
      const alicesOnPage = first.items.filter((item) => item.accountId === accounts.alice);
      assert.ok(alicesOnPage.length > 0);
      for (const item of alicesOnPage) {
        assert.equal(item.accountName, 'alice');
        assert.equal(item.domainName, 'Sales');
        assert.equal(item.nics.length, 1);
      }
    });

    test('without listall an admin sees its own account; account and domain filters narrow exactly', async () => {
      const { instances } = bed.orchestrator;
      const ids = async (caller: Caller, filter: Parameters<typeof instances.list>[1]) => {
        const page = await instances.list(caller, filter);
        assert.equal(page.count, page.items.length);
        return page.items.map((item) => item.id);
      };
      assert.deepEqual(await ids(bed.admin, {}), newestFirst('admin'));
      assert.deepEqual(await ids(bed.admin, { accountId: accounts.alice }), newestFirst('alice'));
      assert.deepEqual(await ids(bed.admin, { listAll: true, domainId: domains.sales }), newestFirst('alice'), 'a domain filter is not recursive');
      assert.deepEqual(await ids(bed.admin, { listAll: true, domainId: domains.east }), newestFirst('dave'));
      assert.deepEqual(await ids(bed.admin, { listAll: true, accountId: 'no-such-account' }), []);
    });

    test('a user sees only its own instances, whatever it asks for', async () => {
      const { instances } = bed.orchestrator;
      const page = await instances.list(alice, { listAll: true, page: 1, pageSize: 1 });
      assert.deepEqual(page.items.map((item) => item.id), newestFirst('alice').slice(0, 1));
      assert.equal(page.count, 2);
      assert.equal((await instances.list(alice, { listAll: true, accountId: accounts.bob })).count, 0);
      assert.equal((await instances.list(alice, { ids: [...newestFirst('bob'), ...newestFirst('alice')] })).count, 2);
      await assert.rejects(instances.get(alice, newestFirst('bob')[0]!), { kind: 'not-found' });
    });

    test('a domain admin sees its domain and the domains below it, not a sibling with a similar name', async () => {
      const { instances } = bed.orchestrator;
      const page = await instances.list(carol, { listAll: true });
      assert.deepEqual(page.items.map((item) => item.id), newestFirst('alice', 'dave'));
      assert.equal(page.count, 3);
      assert.equal((await instances.list(carol, { listAll: true, accountId: accounts.bob })).count, 0);
    });

    test('bad paging is refused with the parameter named', async () => {
      const { instances } = bed.orchestrator;
      await assert.rejects(instances.list(bed.admin, { listAll: true, page: 1, pageSize: 0 }), { kind: 'invalid-parameter', parameter: 'pagesize' });
      await assert.rejects(instances.list(bed.admin, { listAll: true, page: 0, pageSize: 10 }), { kind: 'invalid-parameter', parameter: 'page' });
      await assert.rejects(instances.list(bed.admin, { listAll: true, page: 1.5, pageSize: 10 }), { kind: 'invalid-parameter', parameter: 'page' });
    });
  });

  describe(`listing more instances than one statement binds, on ${backend.name}`, () => {
    // More than the 1,000 ids the list binds per statement: the unpaged list reads NICs in batches, and a page
    // that large is read through its subquery. On SQLite also more than the 32,766 parameters it allows in one
    // statement, which the unpaged list used to exceed (the server databases stop at 65,535: too slow to seed here).
    const total = backend.name === 'sqlite' ? 33_000 : 2_500;
    let bed: TestBed;
    let infra: Infrastructure;
    let dispose: () => Promise<void>;

    before(async () => {
      const created = await backend.create();
      dispose = created.dispose;
      bed = await createTestBed(created.config);
      infra = await provision(bed.orchestrator, bed.admin);
      await insertInstances(created.config, total, { secretsKey: TEST_SECRETS_KEY, networkId: infra.networkId });
    });
    after(async () => {
      await bed?.dispose();
      await dispose?.();
    });

    test('every instance comes back with its NIC, unpaged and in pages larger than a batch', async () => {
      const { instances } = bed.orchestrator;
      const unpaged = await instances.list(bed.admin, { listAll: true });
      assert.equal(unpaged.count, total);
      assert.equal(unpaged.items.length, total);
      assert.equal(unpaged.items.filter((item) => item.nics.length === 1 && item.nics[0]!.networkId === infra.networkId).length, total);
      const names = unpaged.items.map((item) => item.name);
      assert.equal(names[0], `${names[0]!.replace(/b\d+-VM$/, '')}b${total - 1}-VM`, 'newest first');
      const first = await instances.list(bed.admin, { listAll: true, page: 1, pageSize: 1_500 });
      const second = await instances.list(bed.admin, { listAll: true, page: 2, pageSize: 1_500 });
      assert.deepEqual([first.count, first.items.length, second.items.length], [total, 1_500, Math.min(1_500, total - 1_500)]);
      assert.deepEqual([...first.items, ...second.items].map((item) => item.id), unpaged.items.slice(0, 3_000).map((item) => item.id));
      assert.ok(second.items.every((item) => item.nics.length === 1));
    });
  });
}
