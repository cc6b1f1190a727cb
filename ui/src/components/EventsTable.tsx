// Events as listEvents gives them: in the audit trail and on an instance's Events tab.
import type { ApiObject } from '../api/client.ts';
import { DataTable, type Column } from './DataTable.tsx';

/** `who` are the columns naming who caused each event (the audit trail also names the account). */
export function EventsTable({ testId, rows, who }: { testId: string; rows: readonly ApiObject[]; who: ReadonlyArray<Column<ApiObject>> }) {
  return (
    <DataTable
      testId={testId}
      rows={rows}
      rowName="type"
      columns={[{ key: 'created', label: 'When' }, { key: 'type', label: 'Event' }, { key: 'state', label: 'State' }, { key: 'level', label: 'Level' }, ...who, { key: 'description', label: 'Description' }]}
    />
  );
}
