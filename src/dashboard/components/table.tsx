// Tables of API rows: column headers that sort (the server sorts when the list is paged there),
// and the pager of EMQX's `{data, meta: {page, limit, count, hasnext}}` lists.

import type { ComponentChildren } from 'preact';
import { count } from '../format.js';

export interface Column<Row> {
  key: string;
  label: string;
  sortable?: boolean;
  numeric?: boolean;
  render?: (row: Row) => ComponentChildren;
}

export interface Sort {
  key: string;
  order: 'asc' | 'desc';
}

export interface TableProps<Row> {
  caption: string;
  columns: Array<Column<Row>>;
  rows: readonly Row[] | undefined;
  rowKey: (row: Row) => string;
  sort?: Sort | undefined;
  onSort?: (sort: Sort) => void;
  empty?: ComponentChildren;
  /** Whether a request for the rows is on its way; rows still undefined once it is not: they could not be had. */
  loading?: boolean;
}

export function DataTable<Row>({ caption, columns, rows, rowKey, sort, onSort, empty = 'Nothing here.', loading = true }: TableProps<Row>) {
  return (
    <div class="table-wrap" aria-busy={loading}>
      <table>
        <caption class="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {columns.map((column) => {
              const sorted = sort?.key === column.key ? sort.order : undefined;
              return (
                <th scope="col" key={column.key} class={column.numeric === true ? 'numeric' : undefined} aria-sort={sorted === undefined ? undefined : sorted === 'asc' ? 'ascending' : 'descending'}>
                  {column.sortable === true && onSort !== undefined ? (
                    <button type="button" class="sort" onClick={() => onSort({ key: column.key, order: sorted === 'asc' ? 'desc' : 'asc' })}>
                      {column.label}
                      <span aria-hidden="true" class="sort-mark">
                        {sorted === 'asc' ? '▲' : sorted === 'desc' ? '▼' : '↕'}
                      </span>
                    </button>
                  ) : (
                    column.label
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {rows === undefined ? (
            <tr>
              <td colSpan={columns.length} class="empty">
                {loading ? 'Loading…' : 'Not available.'}
              </td>
            </tr>
          ) : rows.length === 0 ? (
            <tr>
              <td colSpan={columns.length} class="empty">
                {empty}
              </td>
            </tr>
          ) : (
            rows.map((row) => (
              <tr key={rowKey(row)}>
                {columns.map((column) => (
                  <td key={column.key} class={column.numeric === true ? 'numeric' : undefined} data-label={column.label}>
                    {column.render !== undefined ? column.render(row) : String((row as Record<string, unknown>)[column.key] ?? '–')}
                  </td>
                ))}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}

export interface PagerProps {
  page: number;
  limit: number;
  hasnext: boolean;
  /** Absent when the API does not count (EMQX omits it with fuzzy filters). */
  total?: number | undefined;
  onPage: (page: number) => void;
  onLimit?: (limit: number) => void;
}

export const PAGE_SIZES = [20, 50, 100, 500] as const;

export function Pager({ page, limit, hasnext, total, onPage, onLimit }: PagerProps) {
  const pages = total === undefined ? undefined : Math.max(1, Math.ceil(total / limit));
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" onClick={() => onPage(1)} disabled={page <= 1} aria-label="First page">
        «
      </button>
      <button type="button" onClick={() => onPage(page - 1)} disabled={page <= 1}>
        Previous
      </button>
      <span aria-live="polite">
        Page {count(page)}
        {pages === undefined ? '' : ` of ${count(pages)}`}
        {total === undefined ? '' : ` · ${count(total)} in all`}
      </span>
      <button type="button" onClick={() => onPage(page + 1)} disabled={!hasnext}>
        Next
      </button>
      {pages !== undefined ? (
        <button type="button" onClick={() => onPage(pages)} disabled={page >= pages} aria-label="Last page">
          »
        </button>
      ) : null}
      {onLimit !== undefined ? (
        <label class="inline">
          Rows
          <select value={String(limit)} onChange={(event) => onLimit(Number((event.target as HTMLSelectElement).value))}>
            {PAGE_SIZES.map((size) => (
              <option key={size} value={String(size)}>
                {size}
              </option>
            ))}
          </select>
        </label>
      ) : null}
    </nav>
  );
}
