import { Button, Field, Input, MessageBar, MessageBarBody, Select, Textarea } from '@fluentui/react-components';
import { useCallback, useEffect, useState } from 'react';
import type { QueryResult, SavedQueryInfo } from '../../../server/api/types.ts';
import { listSavedQueries, previewQuery, type Connection } from '../api.ts';
import type { TableSource } from '../excel/tables.ts';
import { Preview } from './Preview.tsx';
import { messageOf, type Target } from './shared.ts';
import { TargetChoice } from './TargetChoice.tsx';

/** SQL or a saved query: preview it, insert its result. */
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
  const [preview, setPreview] = useState<QueryResult | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [where, setWhere] = useState<'new' | 'here'>('new');
  useEffect(() => {
    listSavedQueries(connection).then(setSaved, () => setSaved([]));
  }, [connection]);
  const show = useCallback(async () => {
    setError(undefined);
    setPreview(undefined);
    try {
      setPreview(await previewQuery(connection, sql));
    } catch (e) {
      setError(messageOf(e));
    }
  }, [connection, sql]);
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
      <Field label="Table name">
        <Input name="table-name" value={name} onChange={(_e, d) => setName(d.value)} />
      </Field>
      <div style={{ display: 'flex', gap: 8 }}>
        <Button disabled={!sql.trim()} onClick={() => void show()}>
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
        disabled={busy || !sql.trim()}
        onClick={() =>
          onInsert(
            picked && picked.sql === sql ? { kind: 'saved', queryId: picked.id } : { kind: 'query', sql },
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
