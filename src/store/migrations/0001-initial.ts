import type { CreateTableBuilder, Kysely } from 'kysely';
import type { StoreDialect, StoreMigration } from './types.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Table = CreateTableBuilder<any, any>;

function withId(table: Table, dialect: StoreDialect): Table {
  return dialect === 'sqlite'
    ? table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    : table.addColumn('id', 'serial', (c) => c.primaryKey());
}

function withUuid(table: Table): Table {
  return table.addColumn('uuid', 'varchar(40)', (c) => c.notNull().unique());
}

function withTimestamps(table: Table, removable = true): Table {
  const created = table.addColumn('created', 'varchar(40)', (c) => c.notNull());
  return removable ? created.addColumn('removed', 'varchar(40)') : created;
}

const text = 'text';
const int = 'integer';

/** The orchestrator's initial schema (see `../schema.ts` for what each column holds). */
export const initialMigration: StoreMigration = {
  name: '0001-initial',
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>, dialect: StoreDialect) {
    const table = (name: string) => withUuid(withId(db.schema.createTable(name), dialect));

    await withTimestamps(
      table('domains')
        .addColumn('name', text, (c) => c.notNull())
        .addColumn('path', text, (c) => c.notNull())
        .addColumn('parent_id', int)
        .addColumn('level', int, (c) => c.notNull()),
    ).execute();

    await table('roles')
      .addColumn('name', text, (c) => c.notNull())
      .addColumn('role_type', text, (c) => c.notNull())
      .addColumn('description', text, (c) => c.notNull())
      .addColumn('is_default', int, (c) => c.notNull())
      .execute();

    await withTimestamps(
      table('accounts')
        .addColumn('name', text, (c) => c.notNull())
        .addColumn('account_type', text, (c) => c.notNull())
        .addColumn('domain_id', int, (c) => c.notNull())
        .addColumn('role_id', int, (c) => c.notNull())
        .addColumn('state', text, (c) => c.notNull()),
    ).execute();

    await withTimestamps(
      table('users')
        .addColumn('username', text, (c) => c.notNull())
        .addColumn('password_hash', text, (c) => c.notNull())
        .addColumn('first_name', text, (c) => c.notNull())
        .addColumn('last_name', text, (c) => c.notNull())
        .addColumn('email', text)
        .addColumn('account_id', int, (c) => c.notNull())
        .addColumn('state', text, (c) => c.notNull())
        .addColumn('api_key', 'varchar(128)', (c) => c.unique())
        .addColumn('secret_key', text),
    ).execute();

    await withTimestamps(
      table('zones')
        .addColumn('name', text, (c) => c.notNull())
        .addColumn('description', text)
        .addColumn('network_type', text, (c) => c.notNull())
        .addColumn('dns1', text, (c) => c.notNull())
        .addColumn('dns2', text)
        .addColumn('internal_dns1', text, (c) => c.notNull())
        .addColumn('internal_dns2', text)
        .addColumn('guest_cidr', text)
        .addColumn('allocation_state', text, (c) => c.notNull()),
    ).execute();

    await withTimestamps(
      table('pods')
        .addColumn('name', text, (c) => c.notNull())
        .addColumn('zone_id', int, (c) => c.notNull())
        .addColumn('gateway', text)
        .addColumn('netmask', text)
        .addColumn('start_ip', text)
        .addColumn('end_ip', text)
        .addColumn('allocation_state', text, (c) => c.notNull()),
    ).execute();

    await withTimestamps(
      table('clusters')
        .addColumn('name', text, (c) => c.notNull())
        .addColumn('zone_id', int, (c) => c.notNull())
        .addColumn('pod_id', int, (c) => c.notNull())
        .addColumn('hypervisor', text, (c) => c.notNull())
        .addColumn('cluster_type', text, (c) => c.notNull())
        .addColumn('allocation_state', text, (c) => c.notNull()),
    ).execute();

    await withTimestamps(
      table('hosts')
        .addColumn('name', text, (c) => c.notNull())
        .addColumn('zone_id', int, (c) => c.notNull())
        .addColumn('pod_id', int, (c) => c.notNull())
        .addColumn('cluster_id', int, (c) => c.notNull())
        .addColumn('url', text, (c) => c.notNull())
        .addColumn('guid', text, (c) => c.notNull())
        .addColumn('host_tags', text, (c) => c.notNull())
        .addColumn('external_details', text, (c) => c.notNull())
        .addColumn('status', text, (c) => c.notNull())
        .addColumn('resource_state', text, (c) => c.notNull())
        .addColumn('last_pinged', 'varchar(40)'),
    ).execute();

    await withTimestamps(
      table('service_offerings')
        .addColumn('name', text, (c) => c.notNull())
        .addColumn('display_text', text, (c) => c.notNull())
        .addColumn('cpu_number', int, (c) => c.notNull())
        .addColumn('cpu_speed', int, (c) => c.notNull())
        .addColumn('memory', int, (c) => c.notNull())
        .addColumn('host_tags', text)
        .addColumn('external_details', text, (c) => c.notNull()),
    ).execute();

    await withTimestamps(
      table('network_offerings')
        .addColumn('name', text, (c) => c.notNull())
        .addColumn('display_text', text, (c) => c.notNull())
        .addColumn('guest_ip_type', text, (c) => c.notNull())
        .addColumn('specify_vlan', int, (c) => c.notNull())
        .addColumn('state', text, (c) => c.notNull()),
    ).execute();

    await withTimestamps(
      table('networks')
        .addColumn('name', text, (c) => c.notNull())
        .addColumn('display_text', text, (c) => c.notNull())
        .addColumn('zone_id', int, (c) => c.notNull())
        .addColumn('network_offering_id', int, (c) => c.notNull())
        .addColumn('vlan', int)
        .addColumn('cidr', text)
        .addColumn('gateway', text)
        .addColumn('netmask', text)
        .addColumn('dns1', text)
        .addColumn('dns2', text)
        .addColumn('state', text, (c) => c.notNull())
        .addColumn('account_id', int, (c) => c.notNull()),
    ).execute();

    await withTimestamps(
      table('templates')
        .addColumn('name', text, (c) => c.notNull())
        .addColumn('display_text', text, (c) => c.notNull())
        .addColumn('format', text, (c) => c.notNull())
        .addColumn('url', text, (c) => c.notNull())
        .addColumn('zone_id', int)
        .addColumn('os_type_id', text)
        .addColumn('extension_id', int, (c) => c.notNull())
        .addColumn('external_details', text, (c) => c.notNull())
        .addColumn('details', text, (c) => c.notNull())
        .addColumn('is_public', int, (c) => c.notNull())
        .addColumn('is_featured', int, (c) => c.notNull())
        .addColumn('is_extractable', int, (c) => c.notNull())
        .addColumn('password_enabled', int, (c) => c.notNull())
        .addColumn('requires_hvm', int, (c) => c.notNull())
        .addColumn('account_id', int, (c) => c.notNull()),
    ).execute();

    await withTimestamps(
      table('instances')
        .addColumn('name', text, (c) => c.notNull())
        .addColumn('display_name', text, (c) => c.notNull())
        .addColumn('instance_name', 'varchar(255)', (c) => c.notNull().unique())
        .addColumn('state', 'varchar(32)', (c) => c.notNull())
        .addColumn('power_state', 'varchar(32)', (c) => c.notNull())
        .addColumn('power_state_updated', 'varchar(40)')
        .addColumn('zone_id', int, (c) => c.notNull())
        .addColumn('host_id', int)
        .addColumn('last_host_id', int)
        .addColumn('template_id', int, (c) => c.notNull())
        .addColumn('service_offering_id', int, (c) => c.notNull())
        .addColumn('account_id', int, (c) => c.notNull())
        .addColumn('user_id', int, (c) => c.notNull())
        .addColumn('vnc_password', text, (c) => c.notNull())
        .addColumn('details', text, (c) => c.notNull()),
    ).execute();
    await db.schema.createIndex('instances_host').on('instances').columns(['host_id']).execute();
    await db.schema.createIndex('instances_last_host').on('instances').columns(['last_host_id']).execute();
    await db.schema.createIndex('instances_account').on('instances').columns(['account_id', 'removed']).execute();

    await withTimestamps(
      table('nics')
        .addColumn('instance_id', int, (c) => c.notNull())
        .addColumn('network_id', int, (c) => c.notNull())
        .addColumn('device_id', int, (c) => c.notNull())
        .addColumn('mac', 'varchar(17)', (c) => c.notNull().unique())
        .addColumn('ip', 'varchar(64)')
        .addColumn('ip6', 'varchar(64)')
        .addColumn('is_default', int, (c) => c.notNull())
        .addUniqueConstraint('nics_network_ip', ['network_id', 'ip']),
      false,
    ).execute();
    await db.schema.createIndex('nics_instance').on('nics').columns(['instance_id']).execute();

    await db.schema
      .createTable('sequences')
      .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('value', int, (c) => c.notNull())
      .execute();

    await withTimestamps(
      table('extensions')
        .addColumn('name', text, (c) => c.notNull())
        .addColumn('description', text, (c) => c.notNull())
        .addColumn('type', text, (c) => c.notNull())
        .addColumn('relative_path', text, (c) => c.notNull())
        .addColumn('path_ready', int, (c) => c.notNull())
        .addColumn('is_user_defined', int, (c) => c.notNull())
        .addColumn('state', text, (c) => c.notNull())
        .addColumn('details', text, (c) => c.notNull())
        .addColumn('hidden_details', text, (c) => c.notNull()),
    ).execute();

    await withTimestamps(
      withId(db.schema.createTable('extension_resource_map'), dialect)
        .addColumn('extension_id', int, (c) => c.notNull())
        .addColumn('resource_id', int, (c) => c.notNull())
        .addColumn('resource_type', 'varchar(32)', (c) => c.notNull())
        .addColumn('details', text, (c) => c.notNull())
        .addColumn('hidden_details', text, (c) => c.notNull())
        .addUniqueConstraint('extension_resource_unique', ['resource_id', 'resource_type']),
      false,
    ).execute();

    await withTimestamps(
      table('custom_actions')
        .addColumn('name', text, (c) => c.notNull())
        .addColumn('description', text, (c) => c.notNull())
        .addColumn('extension_id', int, (c) => c.notNull())
        .addColumn('resource_type', text, (c) => c.notNull())
        .addColumn('allowed_role_types', int, (c) => c.notNull())
        .addColumn('success_message', text)
        .addColumn('error_message', text)
        .addColumn('enabled', int, (c) => c.notNull())
        .addColumn('timeout', int, (c) => c.notNull())
        .addColumn('parameters', text, (c) => c.notNull())
        .addColumn('details', text, (c) => c.notNull()),
    ).execute();

    await table('jobs')
      .addColumn('kind', text, (c) => c.notNull())
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('result', text)
      .addColumn('error', text)
      .addColumn('account_uuid', 'varchar(40)', (c) => c.notNull())
      .addColumn('user_uuid', 'varchar(40)', (c) => c.notNull())
      .addColumn('resource_type', text)
      .addColumn('resource_uuid', 'varchar(40)')
      .addColumn('params', text, (c) => c.notNull())
      .addColumn('steps', text, (c) => c.notNull())
      .addColumn('resumable', int, (c) => c.notNull())
      .addColumn('created', 'varchar(40)', (c) => c.notNull())
      .addColumn('updated', 'varchar(40)', (c) => c.notNull())
      .addColumn('completed', 'varchar(40)')
      .execute();
    await db.schema.createIndex('jobs_status').on('jobs').columns(['status']).execute();

    await table('events')
      .addColumn('type', text, (c) => c.notNull())
      .addColumn('level', 'varchar(16)', (c) => c.notNull())
      .addColumn('description', text, (c) => c.notNull())
      .addColumn('outcome', 'varchar(16)', (c) => c.notNull())
      .addColumn('account_uuid', 'varchar(40)')
      .addColumn('account_name', text)
      .addColumn('domain_uuid', 'varchar(40)')
      .addColumn('user_uuid', 'varchar(40)')
      .addColumn('user_name', text)
      .addColumn('resource_type', text)
      .addColumn('resource_uuid', 'varchar(40)')
      .addColumn('created', 'varchar(40)', (c) => c.notNull())
      .execute();
  },
};
