'use client';
/**
 * The admin pages' tables: a header row of column names and the rows the page renders, scrolling
 * sideways on a narrow screen rather than squeezing the columns.
 */
import type { ReactNode } from 'react';

export function DataTable({ columns, children }: { columns: readonly string[]; children: ReactNode }) {
  return (
    <div className="table-scroll">
      <table className="data-table">
        <thead>
          <tr>
            {columns.map((name) => (
              <th key={name} scope="col">
                {name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
