import {
  Button,
  Card,
  Field,
  Input,
  Radio,
  RadioGroup,
  Select,
  Switch,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  Textarea,
} from '@fluentui/react-components';
import { useState, type FormEvent } from 'react';
import type { SheetPushOutcome, SheetTargetsResponse } from '../../../server/api/types.ts';
import { del, get, patch, post } from '../api.ts';
import { ErrorBar, Loading, Notice, PageTitle, StatusBadge, stack, FailureText } from '../components.tsx';
import { when } from '../format.ts';
import { useAction } from '../useAction.ts';
import { useLoad } from '../useLoad.ts';

/** Google Sheets writeback: what is pushed where and how often, each target's last push, push now. */
export function SheetsPage() {
  const list = useLoad(() => get<SheetTargetsResponse>('/api/v1/sheets/targets'), [], {
    poll: (d) => d.targets.some((t) => t.lastPush?.status === 'running'),
    pollMs: 2000,
  });
  const [message, setMessage] = useState<string | undefined>();
  const { run, busy, error } = useAction();
  const add = (body: TargetBody, done: () => void) => {
    setMessage(undefined);
    void run(async () => {
      await post('/api/v1/sheets/targets', body);
      setMessage(`Target "${body.name}" added.`);
      done();
      await list.reload();
    });
  };
  const push = (id: number) => {
    setMessage(undefined);
    void run(async () => {
      const r = await post<SheetPushOutcome>(`/api/v1/sheets/targets/${id}/push`, {});
      setMessage(r.status === 'succeeded' ? `Pushed ${r.rows} rows.` : `The push failed: ${r.error}`);
      await list.reload();
    });
  };
  const setEnabled = (id: number, enabled: boolean) => {
    setMessage(undefined);
    void run(async () => {
      await patch(`/api/v1/sheets/targets/${id}`, { enabled });
      await list.reload();
    });
  };
  const remove = (id: number) => {
    if (!confirm('Remove this target? The spreadsheet is not touched.')) return;
    void run(async () => {
      await del(`/api/v1/sheets/targets/${id}`);
      await list.reload();
    });
  };
  return (
    <div style={stack}>
      <PageTitle>Google Sheets</PageTitle>
      <Text>
        The server pushes a table, a saved query or SQL into a sheet of a Google spreadsheet, on request or on a
        schedule, as the service account of GOOGLE_APPLICATION_CREDENTIALS: share each spreadsheet with that account's
        e-mail address as an editor.
      </Text>
      <AddTargetForm busy={busy} onAdd={add} />
      {message ? (
        <Notice intent={message.startsWith('The push failed') ? 'warning' : 'success'}>{message}</Notice>
      ) : null}
      <ErrorBar error={error ?? list.error} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data && list.data.targets.length ? (
        <TargetsTable targets={list.data.targets} busy={busy} onPush={push} onRemove={remove} onEnabled={setEnabled} />
      ) : null}
      {list.data && list.data.targets.length === 0 ? <Text>No targets yet.</Text> : null}
    </div>
  );
}

function TargetsTable({
  targets,
  busy,
  onPush,
  onRemove,
  onEnabled,
}: {
  targets: SheetTargetsResponse['targets'];
  busy: boolean;
  onPush: (id: number) => void;
  onRemove: (id: number) => void;
  onEnabled: (id: number, enabled: boolean) => void;
}) {
  return (
    <Table aria-label="Sheets targets" size="small">
      <TableHeader>
        <TableRow>
          <TableHeaderCell>Target</TableHeaderCell>
          <TableHeaderCell>Pushes</TableHeaderCell>
          <TableHeaderCell>Last push</TableHeaderCell>
          <TableHeaderCell />
        </TableRow>
      </TableHeader>
      <TableBody>
        {targets.map((t) => (
          <TableRow key={t.id} data-target={t.name}>
            <TableCell>
              <Text weight="semibold" block>
                {t.name}
              </Text>
              <Text size={200}>
                {t.sourceKind} {t.sourceKind === 'sql' ? '' : t.source} → {t.spreadsheetId.slice(0, 12)}… /{' '}
                {t.sheetName}
              </Text>
            </TableCell>
            <TableCell>
              {t.frequencyMinutes ? `every ${t.frequencyMinutes} min` : 'by hand'}
              {t.frequencyMinutes ? (
                <Switch
                  label={t.enabled ? 'on' : 'off'}
                  checked={t.enabled}
                  disabled={busy}
                  aria-label={`Scheduled pushes of ${t.name}`}
                  onChange={(_e, d) => onEnabled(t.id, d.checked)}
                />
              ) : null}
            </TableCell>
            <TableCell data-last-push={t.lastPush?.status ?? 'none'}>
              {t.lastPush ? (
                <>
                  <StatusBadge status={t.lastPush.status} /> {when(t.lastPush.startedAt)}
                  {t.lastPush.rows !== null ? `, ${t.lastPush.rows} rows` : ''}
                </>
              ) : (
                'never'
              )}
              <FailureText>{t.lastPush?.error}</FailureText>
            </TableCell>
            <TableCell>
              <Button size="small" disabled={busy} onClick={() => onPush(t.id)}>
                Push now
              </Button>{' '}
              <Button size="small" appearance="subtle" onClick={() => onRemove(t.id)}>
                Remove
              </Button>
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

type TargetBody = {
  name: string;
  spreadsheetId: string;
  sheetName: string;
  sourceKind: 'table' | 'query' | 'sql';
  source: string;
  frequencyMinutes?: number;
};

const everyLabel = (m: number) =>
  m < 60 ? `every ${m} minutes` : m === 60 ? 'every hour' : m === 1440 ? 'every day' : `every ${m / 60} hours`;

/** A new target: name, spreadsheet (its URL or id), sheet, what to push, and how often. */
function AddTargetForm({ busy, onAdd }: { busy: boolean; onAdd: (body: TargetBody, done: () => void) => void }) {
  const [form, setForm] = useState({
    name: '',
    spreadsheetId: '',
    sheetName: '',
    sourceKind: 'table' as 'table' | 'query' | 'sql',
    source: '',
    every: '',
  });
  const set = (k: keyof typeof form) => (_e: unknown, d: { value: string }) => setForm({ ...form, [k]: d.value });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onAdd(
      {
        name: form.name.trim(),
        spreadsheetId: form.spreadsheetId.trim().replace(/^.*\/d\/([^/]+).*$/, '$1'),
        sheetName: form.sheetName.trim(),
        sourceKind: form.sourceKind,
        source: form.source.trim(),
        ...(form.every ? { frequencyMinutes: Number(form.every) } : {}),
      },
      () => setForm({ ...form, name: '', source: '' }),
    );
  };
  return (
    <Card style={{ padding: 16, maxWidth: 720 }}>
      <form onSubmit={submit} style={stack}>
        <Field label="Name" required>
          <Input name="target-name" value={form.name} onChange={set('name')} />
        </Field>
        <Field label="Spreadsheet" hint="Its URL or its id (the part after /d/)." required>
          <Input name="spreadsheet" value={form.spreadsheetId} onChange={set('spreadsheetId')} />
        </Field>
        <Field label="Sheet" hint="Made when missing; its data is replaced at each push." required>
          <Input name="sheet" value={form.sheetName} onChange={set('sheetName')} />
        </Field>
        <RadioGroup
          layout="horizontal"
          value={form.sourceKind}
          onChange={(_e, d) => setForm({ ...form, sourceKind: d.value as typeof form.sourceKind })}
        >
          <Radio value="table" label="Warehouse table" />
          <Radio value="query" label="Saved query (id or name)" />
          <Radio value="sql" label="SQL" />
        </RadioGroup>
        {form.sourceKind === 'sql' ? (
          <Field label="SQL" required>
            <Textarea name="source" value={form.source} onChange={set('source')} />
          </Field>
        ) : (
          <Field label={form.sourceKind === 'table' ? 'Table' : 'Saved query'} required>
            <Input name="source" value={form.source} onChange={set('source')} />
          </Field>
        )}
        <Field label="Schedule">
          <Select aria-label="Schedule" value={form.every} onChange={set('every')}>
            <option value="">Only when pushed by hand</option>
            {[15, 60, 360, 1440].map((m) => (
              <option key={m} value={String(m)}>
                {everyLabel(m)}
              </option>
            ))}
          </Select>
        </Field>
        <div>
          <Button
            appearance="primary"
            type="submit"
            disabled={busy || !form.name || !form.spreadsheetId || !form.sheetName || !form.source}
          >
            Add target
          </Button>
        </div>
      </form>
    </Card>
  );
}
