import { Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow, Text } from '@fluentui/react-components';
import { type ReactNode } from 'react';
import type { QueryResult } from '../../../server/api/types.ts';

/** The first rows of a query, as a small table. */
export function Preview({ result }: { result: QueryResult }): ReactNode {
  if (result.rows.length === 0) return <Text data-preview="empty">No rows.</Text>;
  return (
    <div style={{ overflowX: 'auto' }} data-preview={result.rows.length}>
      <Table size="extra-small" aria-label="Preview">
        <TableHeader>
          <TableRow>
            {result.columns.map((c) => (
              <TableHeaderCell key={c.name}>{c.name}</TableHeaderCell>
            ))}
          </TableRow>
        </TableHeader>
        <TableBody>
          {result.rows.map((r, i) => (
            <TableRow key={i}>
              {r.map((v, j) => (
                <TableCell key={j}>{v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v)}</TableCell>
              ))}
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </div>
  );
}
