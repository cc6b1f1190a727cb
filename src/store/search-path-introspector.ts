import { PostgresDialect, sql, type DatabaseIntrospector, type DatabaseMetadata, type DatabaseMetadataOptions, type Kysely, type SchemaMetadata, type TableMetadata } from 'kysely';

const KYSELY_MIGRATION_TABLES = new Set(['kysely_migration', 'kysely_migration_lock']);

interface ColumnRow {
  table_schema: string;
  table_name: string;
  table_kind: string;
  column_name: string;
  data_type: string;
  not_null: boolean;
  default_expression: string | null;
  is_identity: boolean;
}

/**
 * Reads only the schemas on the connection's search path. Kysely's own PostgreSQL introspector scans every
 * schema and resolves each serial column by name, which fails with "relation … does not exist" when another
 * client drops a schema meanwhile (parallel test files and tenants sharing one server do). The migrator is
 * the only user, and it only ever looks for its tables in our schema.
 */
export class SearchPathIntrospector implements DatabaseIntrospector {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly #db: Kysely<any>;

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  constructor(db: Kysely<any>) {
    this.#db = db;
  }

  async getSchemas(): Promise<SchemaMetadata[]> {
    const { rows } = await sql<{ name: string }>`select nspname as name from pg_catalog.pg_namespace where nspname = any(current_schemas(false))`.execute(this.#db);
    return rows.map((row) => ({ name: row.name }));
  }

  async getTables(options: DatabaseMetadataOptions = { withInternalKyselyTables: false }): Promise<TableMetadata[]> {
    const { rows } = await sql<ColumnRow>`
      select n.nspname as table_schema, c.relname as table_name, c.relkind as table_kind, a.attname as column_name,
             t.typname as data_type, a.attnotnull as not_null, pg_catalog.pg_get_expr(d.adbin, d.adrelid) as default_expression,
             a.attidentity <> '' as is_identity
        from pg_catalog.pg_class c
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
        join pg_catalog.pg_type t on t.oid = a.atttypid
        left join pg_catalog.pg_attrdef d on d.adrelid = c.oid and d.adnum = a.attnum
       where c.relkind in ('r', 'v', 'p') and n.nspname = any(current_schemas(false))
       order by n.nspname, c.relname, a.attnum`.execute(this.#db);
    const tables = new Map<string, TableMetadata & { columns: TableMetadata['columns'][number][] }>();
    for (const row of rows) {
      if (!options.withInternalKyselyTables && KYSELY_MIGRATION_TABLES.has(row.table_name)) continue;
      const key = `${row.table_schema}.${row.table_name}`;
      let table = tables.get(key);
      if (!table) {
        table = { name: row.table_name, schema: row.table_schema, isView: row.table_kind === 'v', columns: [] };
        tables.set(key, table);
      }
      table.columns.push({
        name: row.column_name,
        dataType: row.data_type,
        isNullable: !row.not_null,
        hasDefaultValue: row.default_expression !== null || row.is_identity,
        isAutoIncrementing: row.is_identity || (row.default_expression?.startsWith('nextval(') ?? false),
      });
    }
    return [...tables.values()];
  }

  async getMetadata(options?: DatabaseMetadataOptions): Promise<DatabaseMetadata> {
    return { tables: await this.getTables(options) };
  }
}

/** Kysely's PostgreSQL dialect with the search-path introspector. */
export class SearchPathPostgresDialect extends PostgresDialect {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SearchPathIntrospector(db);
  }
}
