// A plain table: columns as data, one `data-row` attribute per row (its name) for tests and links.
import type { ReactNode } from 'react';
import { StateBadge } from './Modal.tsx';

export interface Column<T> {
  key: string;
  label: string;
  render?: (row: T) => ReactNode;
}

/** A column showing a state (`state`, `allocationstate`, …) as a badge. */
export function stateColumn<T extends Record<string, unknown>>(key: string, label: string): Column<T> {
  return { key, label, render: (row) => <StateBadge state={row[key]} /> };
}

export function DataTable<T extends Record<string, unknown>>({
  columns,
  rows,
  rowKey = 'id',
  rowName = 'name',
  empty = 'Nothing here yet.',
  testId,
}: {
  columns: ReadonlyArray<Column<T>>;
  rows: readonly T[];
  rowKey?: string;
  rowName?: string;
  empty?: string;
  testId?: string;
}) {
  return (
    <table className="table" data-testid={testId}>
      <thead>
        <tr>
          {columns.map((column) => (
            <th key={column.key}>{column.label}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.length === 0 && (
          <tr>
            <td colSpan={columns.length} className="empty">
              {empty}
            </td>
          </tr>
        )}
        {rows.map((row, index) => (
          <tr key={String(row[rowKey] ?? index)} data-row={String(row[rowName] ?? '')}>
            {columns.map((column) => (
              <td key={column.key} data-col={column.key}>
                {column.render ? column.render(row) : display(row[column.key])}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function display(value: unknown): string {
  if (value === undefined || value === null || value === '') return '—';
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Key/value details (`details{}`), one row each. */
export function DetailsList({ values, testId }: { values: Record<string, unknown>; testId?: string }) {
  const entries = Object.entries(values);
  if (entries.length === 0) return <p className="muted">No details.</p>;
  return (
    <dl className="details" data-testid={testId}>
      {entries.map(([key, value]) => (
        <div key={key} data-detail={key}>
          <dt>{key}</dt>
          <dd>{display(value)}</dd>
        </div>
      ))}
    </dl>
  );
}
