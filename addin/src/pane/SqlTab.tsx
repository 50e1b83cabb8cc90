import { Button, Field, Input, MessageBar, MessageBarBody, Select, Textarea } from '@fluentui/react-components';
import { useCallback, useEffect, useState } from 'react';
import type { QueryResult, SavedQueryInfo } from '../../../server/api/types.ts';
import { listSavedQueries, type Connection } from '../api.ts';
import { paramCount } from '../excel/layout.ts';
import type { TableSource } from '../excel/tables.ts';
import { preview as previewOf, selectedCellAddress } from '../workbook.ts';
import { Preview } from './Preview.tsx';
import { messageOf, type Target } from './shared.ts';
import { TargetChoice } from './TargetChoice.tsx';

/** SQL or a saved query: preview it, insert its result; its $1, $2, … taken from cells of the workbook. */
export function SqlTab({
  connection,
  busy,
  onInsert,
}: {
  connection: Connection;
  busy: boolean;
  onInsert: (s: TableSource, name: string, t: Target) => void;
}) {
  const [saved, setSaved] = useState<SavedQueryInfo[]>([]);
  const [sql, setSql] = useState('');
  // The saved query picked, while its SQL is unchanged: inserted by reference, so edits on the server reach the workbook.
  const [picked, setPicked] = useState<SavedQueryInfo | undefined>();
  const [name, setName] = useState('Query');
  const [where, setWhere] = useState<'new' | 'here'>('new');
  // The cell of each parameter ($1 first): a name or an address; read at each preview and refresh.
  const [cells, setCells] = useState<string[]>([]);
  const params = Array.from({ length: paramCount(sql) }, (_, i) => cells[i]?.trim() ?? '');
  const ready = sql.trim() !== '' && params.every((c) => c !== '');
  const { preview, setPreview, error, setError, show } = usePreview(connection, sql, params);
  useEffect(() => {
    listSavedQueries(connection).then(setSaved, () => setSaved([]));
  }, [connection]);
  return (
    <div style={{ display: 'flex', flexDirection: 'column', gap: 8 }}>
      <SavedQueryPicker
        saved={saved}
        onPick={(q) => {
          setPicked(q);
          setSql(q.sql);
          setName(q.name);
          setPreview(undefined);
        }}
      />
      <Field label="SQL">
        <Textarea
          name="sql"
          value={sql}
          onChange={(_e, d) => setSql(d.value)}
          rows={6}
          style={{ fontFamily: 'monospace' }}
        />
      </Field>
      <ParamCells
        cells={params}
        onChange={(i, v) => setCells((old) => Object.assign([...old], { [i]: v }))}
        onError={setError}
      />
      <Field label="Table name">
        <Input name="table-name" value={name} onChange={(_e, d) => setName(d.value)} />
      </Field>
      <div style={{ display: 'flex', gap: 8 }}>
        <Button disabled={!ready} onClick={() => void show()}>
          Preview
        </Button>
      </div>
      {error ? (
        <MessageBar intent="error" data-message="error">
          <MessageBarBody>{error}</MessageBarBody>
        </MessageBar>
      ) : null}
      {preview ? <Preview result={preview} /> : null}
      <TargetChoice value={where} onChange={setWhere} sheetName={name} />
      <Button
        appearance="primary"
        disabled={busy || !ready}
        onClick={() =>
          onInsert(
            {
              ...(picked && picked.sql === sql ? { kind: 'saved', queryId: picked.id } : { kind: 'query', sql }),
              ...(params.length ? { params } : {}),
            },
            name,
            where === 'new' ? { newSheet: name } : {},
          )
        }
      >
        Insert result
      </Button>
    </div>
  );
}

function SavedQueryPicker(p: { saved: SavedQueryInfo[]; onPick: (q: SavedQueryInfo) => void }) {
  if (p.saved.length === 0) return null;
  return (
    <Field label="Saved queries">
      <Select
        aria-label="Saved queries"
        value=""
        onChange={(_e, d) => {
          const q = p.saved.find((x) => String(x.id) === d.value);
          if (q) p.onPick(q);
        }}
      >
        <option value="">Choose…</option>
        {p.saved.map((q) => (
          <option key={q.id} value={String(q.id)}>
            {q.name}
          </option>
        ))}
      </Select>
    </Field>
  );
}

/**
 * One field per parameter of the SQL: the cell its value comes from (a name such as Period, or an
 * address such as Sheet1!B2), filled from the selection with one click.
 */
function ParamCells(p: { cells: string[]; onChange: (i: number, v: string) => void; onError: (m: string) => void }) {
  if (p.cells.length === 0) return null;
  return (
    <div style={{ display: 'flex', flexDirection: 'column', gap: 4 }} data-part="parameters">
      {p.cells.map((cell, i) => (
        <Field
          key={i}
          label={`$${i + 1} from cell`}
          hint={i === 0 ? 'A name (Formulas → Define Name) or an address; read again at every refresh.' : undefined}
        >
          <div style={{ display: 'flex', gap: 4 }}>
            <Input
              name={`param-${i + 1}`}
              value={cell}
              placeholder="Period or Sheet1!B2"
              onChange={(_e, d) => p.onChange(i, d.value)}
              style={{ flex: 1 }}
            />
            <Button
              size="small"
              onClick={() =>
                selectedCellAddress().then(
                  (a) => p.onChange(i, a),
                  (e: unknown) => p.onError(messageOf(e)),
                )
              }
            >
              Selected cell
            </Button>
          </div>
        </Field>
      ))}
    </div>
  );
}

/** The preview of the SQL as it stands (its parameters read from their cells), and its error. */
function usePreview(connection: Connection, sql: string, params: string[]) {
  const [preview, setPreview] = useState<QueryResult | undefined>();
  const [error, setError] = useState<string | undefined>();
  const key = params.join('\n');
  const show = useCallback(async () => {
    setError(undefined);
    setPreview(undefined);
    try {
      setPreview(await previewOf(connection, sql, key ? key.split('\n') : []));
    } catch (e) {
      setError(messageOf(e));
    }
  }, [connection, sql, key]);
  return { preview, setPreview, error, setError, show };
}
