import {
  Button,
  MessageBar,
  MessageBarBody,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  Switch,
} from '@fluentui/react-components';
import { useCallback, useEffect, useState } from 'react';
import { keyOf, type BoundTable } from '../excel/tables.ts';
import { pivotOf, refreshesOnOpen, setRefreshOnOpen, workbookTables } from '../workbook.ts';
import { messageOf, when } from './shared.ts';

/** The exact-sync tables of this workbook: refresh one or all. */
export function WorkbookTab({ busy, onRefresh }: { busy: boolean; onRefresh: (names?: string[]) => Promise<void> }) {
  const [state, setState] = useState<
    { tables: BoundTable[]; selected: string | undefined; gone: BoundTable[] } | undefined
  >();
  const [error, setError] = useState<string | undefined>();
  const [hint, setHint] = useState<string | undefined>();

  const load = useCallback(() => {
    workbookTables().then(setState, (e: unknown) => setError(messageOf(e)));
  }, []);
  useEffect(load, [load, busy]);
  if (error)
    return (
      <MessageBar intent="error">
        <MessageBarBody>{error}</MessageBarBody>
      </MessageBar>
    );
  if (!state) return <Text>Reading the workbook…</Text>;
  return (
    <div style={{ display: 'flex', flexDirection: 'column', gap: 8 }}>
      {state.tables.length === 0 ? (
        <Text>No exact-sync tables in this workbook yet.</Text>
      ) : (
        <Table size="extra-small" aria-label="exact-sync tables in this workbook">
          <TableHeader>
            <TableRow>
              <TableHeaderCell>Table</TableHeaderCell>
              <TableHeaderCell>Refreshed</TableHeaderCell>
              <TableHeaderCell>Data synced</TableHeaderCell>
            </TableRow>
          </TableHeader>
          <TableBody>
            {state.tables.map((t) => (
              <TableRow key={keyOf(t)} data-bound={t.name}>
                <TableCell>
                  {t.name}
                  {keyOf(t) === state.selected ? ' (selected)' : ''}
                </TableCell>
                <TableCell>{when(t.refreshedAt)}</TableCell>
                <TableCell>
                  {t.source.kind === 'query' ? 'query' : t.source.kind === 'saved' ? 'saved query' : when(t.syncedAt)}
                  {t.source.params?.map((ref, i) => ` · $${i + 1} from ${ref}`).join('')}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      <TableActions busy={busy} none={state.tables.length === 0} onRefresh={onRefresh} onHint={setHint} />
      {state.gone.length ? (
        <Text data-part="gone">
          Deleted from the workbook: {state.gone.map((g) => g.name).join(', ')}. The next refresh forgets{' '}
          {state.gone.length === 1 ? 'it' : 'them'}.
        </Text>
      ) : null}
      {hint ? <Text>{hint}</Text> : null}
      <RefreshOnOpenSwitch busy={busy} onError={setHint} />
    </div>
  );
}

/** Refresh on open for this workbook (kept in it), with Office opening the pane with the workbook. */
function RefreshOnOpenSwitch({ busy, onError }: { busy: boolean; onError: (text: string) => void }) {
  const [onOpen, setOnOpen] = useState(false);
  useEffect(() => {
    refreshesOnOpen().then(setOnOpen, () => setOnOpen(false));
  }, []);
  return (
    <Switch
      label="Refresh when this workbook opens (the pane opens with it)"
      checked={onOpen}
      disabled={busy}
      onChange={(_e, d) =>
        void setRefreshOnOpen(d.checked).then(
          () => setOnOpen(d.checked),
          (e: unknown) => onError(messageOf(e)),
        )
      }
    />
  );
}

/** Refresh the selected table or all; a PivotTable of the selected one. The selection is read at the click. */
function TableActions(p: {
  busy: boolean;
  none: boolean;
  onRefresh: (keys?: string[]) => Promise<void>;
  onHint: (text: string | undefined) => void;
}) {
  return (
    <>
      <div style={{ display: 'flex', gap: 8 }}>
        <Button
          disabled={p.busy || p.none}
          onClick={() =>
            // The selection as it is now, not as it was when this list was read.
            void workbookTables().then(
              (now) => {
                p.onHint(undefined);
                return now.selected
                  ? p.onRefresh([now.selected])
                  : p.onHint('Select a cell in an exact-sync table first, then Refresh selected.');
              },
              (e: unknown) => p.onHint(messageOf(e)),
            )
          }
        >
          Refresh selected
        </Button>
        <Button appearance="primary" disabled={p.busy || p.none} onClick={() => void p.onRefresh()}>
          Refresh all
        </Button>
      </div>
      <Button
        disabled={p.busy || p.none}
        onClick={() =>
          void workbookTables()
            .then((now) =>
              now.selected ? pivotOf(now.selected) : 'Select a cell in an exact-sync table first, then PivotTable.',
            )
            .then(p.onHint, (e: unknown) => p.onHint(messageOf(e)))
        }
      >
        PivotTable from the selected table
      </Button>
    </>
  );
}
