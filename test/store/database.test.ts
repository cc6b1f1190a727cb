import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { openDatabase, toCount } from '../../src/store/index.ts';
import { testDatabases } from '../helpers/databases.ts';

for (const backend of testDatabases()) {
  describe(`store on ${backend.name}`, () => {
    test('migrates a new database and is idempotent on reopen', async () => {
      const { config, dispose } = await backend.create();
      try {
        const first = await openDatabase(config);
        await first.db
          .insertInto('zones')
          .values({
            uuid: 'z-1',
            name: 'zone1',
            description: null,
            network_type: 'Advanced',
            dns1: '8.8.8.8',
            dns2: null,
            internal_dns1: '10.0.0.1',
            internal_dns2: null,
            guest_cidr: null,
            allocation_state: 'Enabled',
            created: new Date().toISOString(),
            removed: null,
          })
          .execute();
        await first.close();
        const second = await openDatabase(config);
        const rows = await second.db.selectFrom('zones').selectAll().execute();
        assert.equal(rows.length, 1);
        assert.equal(rows[0]?.name, 'zone1');
        assert.equal(typeof rows[0]?.id, 'number');
        const { count } = await second.db.selectFrom('zones').select((eb) => eb.fn.countAll().as('count')).executeTakeFirstOrThrow();
        assert.equal(toCount(count), 1);
        await second.close();
      } finally {
        await dispose();
      }
    });

    test('a failed transaction leaves nothing behind and unique constraints hold', async () => {
      const { config, dispose } = await backend.create();
      const store = await openDatabase(config);
      try {
        const row = { name: 'mac', value: 1 };
        await assert.rejects(
          store.db.transaction().execute(async (trx) => {
            await trx.insertInto('sequences').values(row).execute();
            await trx.insertInto('sequences').values(row).execute();
          }),
        );
        const rows = await store.db.selectFrom('sequences').selectAll().execute();
        assert.deepEqual(rows, []);
        await store.db.insertInto('sequences').values(row).execute();
        const updated = await store.db.updateTable('sequences').set({ value: 2 }).where('name', '=', 'mac').executeTakeFirst();
        assert.equal(Number(updated.numUpdatedRows), 1);
      } finally {
        await store.close();
        await dispose();
      }
    });

    test('concurrent transactions are serialised or isolated, never interleaved into lost updates', async () => {
      const { config, dispose } = await backend.create();
      const store = await openDatabase(config);
      try {
        await store.db.insertInto('sequences').values({ name: 'n', value: 0 }).execute();
        await Promise.all(
          Array.from({ length: 10 }, () =>
            store.db.transaction().execute(async (trx) => {
              await trx
                .updateTable('sequences')
                .set((eb) => ({ value: eb('value', '+', 1) }))
                .where('name', '=', 'n')
                .execute();
            }),
          ),
        );
        const row = await store.db.selectFrom('sequences').selectAll().where('name', '=', 'n').executeTakeFirstOrThrow();
        assert.equal(row.value, 10);
      } finally {
        await store.close();
        await dispose();
      }
    });

    if (backend.name !== 'sqlite') {
      test('looks only at its own schema, so another client dropping a schema meanwhile cannot fail a migration', async () => {
        const { config, dispose } = await backend.create();
        const other = `other_${Math.random().toString(36).slice(2, 10)}`;
        const opened = await openDatabase(config);
        try {
          // Kysely's stock introspector lists every schema and resolves each serial column of it by name.
          await sql.raw(`create schema "${other}"`).execute(opened.db);
          await sql.raw(`create table "${other}".stranger (id serial primary key)`).execute(opened.db);
          const tables = await opened.db.introspection.getTables({ withInternalKyselyTables: true });
          assert.deepEqual(tables.filter((table) => table.schema === other), []);
          const names = tables.map((table) => table.name);
          assert.ok(names.includes('kysely_migration') && names.includes('instances'), names.join(', '));
          const id = tables.find((table) => table.name === 'zones')?.columns.find((column) => column.name === 'id');
          assert.deepEqual([id?.isAutoIncrementing, id?.isNullable], [true, false]);
          const visible = await opened.db.introspection.getTables();
          assert.ok(!visible.some((table) => table.name === 'kysely_migration'));
        } finally {
          await sql.raw(`drop schema if exists "${other}" cascade`).execute(opened.db);
          await opened.close();
          await dispose();
        }
      });
    }
  });
}
