import {
  Button,
  Input,
  Select,
  Switch,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
} from '@fluentui/react-components';
import type {
  ConnectionInfo,
  ConnectionTablesResponse,
  DroppedField,
  Json,
  TableInfo,
  TablePatch,
} from '../../../server/api/types.ts';
import { get, patch, post } from '../api.ts';
import {
  ErrorBar,
  Loading,
  NavButton,
  NavLink,
  Notice,
  PageTitle,
  StatusBadge,
  stack,
  FailureText,
} from '../components.tsx';
import { count, frequency, when } from '../format.ts';
import { useAction } from '../useAction.ts';
import { useLoad } from '../useLoad.ts';
import { useState } from 'react';

const FREQUENCIES = [5, 15, 30, 60, 120, 240, 720, 1440];

/** The tables of a connection: on or off, how often, how many rows, when last synced. */
export function TablesPage({ id }: { id: number }) {
  // The connection (a cheap read) is watched all the time; the tables, whose row counts cost a count
  // per table, are read again only while a sync runs and when one ends.
  const connection = useLoad(() => get<Json<ConnectionInfo>>(`/api/v1/connections/${id}`), [id], {
    poll: () => true,
    pollMs: 5000,
  });
  const running = (connection.data?.running ?? 0) > 0;
  const list = useLoad(
    () => get<ConnectionTablesResponse>(`/api/v1/connections/${id}/tables`),
    [id, connection.data?.lastSyncAt, running],
    { poll: () => running, pollMs: 3000 },
  );
  const { run, error } = useAction();
  const fallback = list.data?.defaultFrequencyMinutes ?? 360;
  const cost = list.data?.dailyCost;
  const change = (t: Json<TableInfo>, body: TablePatch) => {
    // Turning a table on costs at least a call a run: say so before the day's budget would be spent.
    const added = body.enabled ? Math.ceil(1440 / (t.frequencyMinutes ?? fallback)) : 0;
    if (cost && added > 0 && cost.total + added > cost.budget) {
      const ok = window.confirm(
        `With ${t.name} the schedule needs about ${count(cost.total + added)} API calls a day per division, more than the ${count(cost.budget)} Exact allows: each division would stop at the limit until midnight UTC. Turn it on anyway?`,
      );
      if (!ok) return;
    }
    void run(async () => {
      await patch(`/api/v1/connections/${id}/tables/${t.name}`, body);
      await list.reload();
    });
  };
  const callsPerDay = new Map(cost?.tables.map((t) => [t.name, t.callsPerDay]));
  return (
    <div style={stack}>
      <PageTitle
        actions={
          <>
            <NavButton to={`/connections/${id}/divisions`}>Divisions</NavButton>
            <NavButton to="/connections">All connections</NavButton>
          </>
        }
      >
        Tables
      </PageTitle>
      <ErrorBar error={error ?? list.error} onRetry={() => void list.reload()} />
      {list.loading && !list.data ? <Loading /> : null}
      {cost ? <DailyCost cost={cost} /> : null}
      {connection.data && connection.data.droppedFields.length > 0 ? (
        <DroppedFields
          fields={connection.data.droppedFields}
          retry={() =>
            run(async () => {
              await post(`/api/v1/connections/${id}/dropped-fields/retry`, {});
              await connection.reload();
            })
          }
        />
      ) : null}
      {list.data ? (
        <TablePicker tables={list.data.tables} fallback={fallback} callsPerDay={callsPerDay} change={change} />
      ) : null}
    </div>
  );
}

const AREAS = [
  'Financial',
  'CRM',
  'Sales',
  'Purchase',
  'Documents',
  'Inventory',
  'Projects',
  'HR/Payroll',
  'Manufacturing',
];

const STRATEGY: Record<string, string> = {
  sync: 'Sync API: what changed',
  modified: 'what changed since the last run',
  full: 'read whole each run',
  child: 'with its parent',
};

/** Every table, grouped by area, with a search over names and titles. */
function TablePicker({
  tables,
  fallback,
  callsPerDay,
  change,
}: {
  tables: Json<TableInfo>[];
  fallback: number;
  callsPerDay: ReadonlyMap<string, number>;
  change: (t: Json<TableInfo>, body: TablePatch) => unknown;
}) {
  const [search, setSearch] = useState('');
  const words = search.toLowerCase().trim();
  const shown = tables.filter((t) => !words || `${t.name} ${t.title} ${t.area}`.toLowerCase().includes(words));
  return (
    <>
      <Input
        aria-label="Search tables"
        placeholder="Search tables (name, what it holds, area)"
        value={search}
        onChange={(_e, d) => setSearch(d.value)}
        style={{ maxWidth: 420 }}
      />
      <Table aria-label="Tables" size="small">
        <TableHeader>
          <TableRow>
            <TableHeaderCell>Table</TableHeaderCell>
            <TableHeaderCell style={{ width: 90 }}>Enabled</TableHeaderCell>
            <TableHeaderCell style={{ width: 220 }}>Frequency</TableHeaderCell>
            <TableHeaderCell style={{ width: 110 }}>Rows</TableHeaderCell>
            <TableHeaderCell style={{ width: 110 }}>Calls a day</TableHeaderCell>
            <TableHeaderCell>Last sync</TableHeaderCell>
            <TableHeaderCell>Last run</TableHeaderCell>
          </TableRow>
        </TableHeader>
        <TableBody>
          {AREAS.flatMap((area) => {
            const rows = shown.filter((t) => t.area === area);
            if (rows.length === 0) return [];
            const on = tables.filter((t) => t.area === area && t.enabled).length;
            const all = tables.filter((t) => t.area === area).length;
            return [
              <TableRow key={`area ${area}`} data-area={area}>
                <TableCell colSpan={7} style={{ background: '#fafafa' }}>
                  <Text weight="semibold">{area}</Text>{' '}
                  <Text size={200} style={{ color: '#616161' }}>
                    {on} of {all} on
                  </Text>
                </TableCell>
              </TableRow>,
              ...rows.map((t) => (
                <TableSettingsRow
                  key={t.name}
                  t={t}
                  fallback={fallback}
                  callsPerDay={callsPerDay.get(t.name)}
                  change={change}
                />
              )),
            ];
          })}
        </TableBody>
      </Table>
      {shown.length === 0 ? <Text>No table matches “{search}”.</Text> : null}
    </>
  );
}

/** The day's API calls the tables' frequencies cost, against Exact's daily budget per division. */
function DailyCost({ cost }: { cost: NonNullable<ConnectionTablesResponse['dailyCost']> }) {
  return (
    <Notice
      intent={cost.verdict === 'ok' ? 'info' : 'warning'}
      title={`About ${count(cost.total)} of Exact's ${count(cost.budget)} API calls a day per division (${Math.round(cost.share * 100)} %)`}
    >
      <span data-daily-cost={cost.total} data-verdict={cost.verdict}>
        {cost.warning ??
          'Estimated from the frequencies below and the pages each table read in its recent runs. Every sync of a division also reads its deletes.'}
      </span>
    </Notice>
  );
}

/** Fields Exact said an endpoint no longer has: left out of the reads, their columns kept (empty from then on). */
function DroppedFields({ fields, retry }: { fields: Json<DroppedField>[]; retry: () => unknown }) {
  return (
    <Notice
      intent="warning"
      title={`Exact no longer serves ${fields.length === 1 ? 'a field' : `${fields.length} fields`} exact-sync asked for`}
    >
      <span data-dropped-fields={fields.length}>
        Syncs go on without {fields.length === 1 ? 'it' : 'them'}; the column stays and is empty from then on. They are
        asked for again a week after they went, or now:{' '}
        <Button size="small" onClick={() => void retry()}>
          Ask again on the next sync
        </Button>
        <ul style={{ margin: '6px 0 0', paddingLeft: 18 }}>
          {fields.map((f) => (
            <li key={`${f.endpoint} ${f.field}`} data-dropped-field={`${f.endpoint}:${f.field}`}>
              <code>{f.field}</code> on <code>{f.endpoint}</code> since {when(f.droppedAt)}: “{f.message}”
            </li>
          ))}
        </ul>
      </span>
    </Notice>
  );
}

function TableSettingsRow({
  t,
  fallback,
  callsPerDay,
  change,
}: {
  t: Json<TableInfo>;
  fallback: number;
  callsPerDay: number | undefined;
  change: (t: Json<TableInfo>, body: TablePatch) => unknown;
}) {
  return (
    <TableRow data-table={t.name}>
      <TableCell>
        <Text weight="semibold" block>
          {t.name}
        </Text>
        <Text size={200} style={{ color: '#616161' }}>
          {t.title}
          {t.lines ? ` (with ${t.lines})` : ''} · {STRATEGY[t.strategy] ?? t.strategy}
        </Text>
      </TableCell>
      <TableCell>
        {t.required ? (
          <Text size={200}>always</Text>
        ) : (
          <Switch
            aria-label={`Sync ${t.name}`}
            checked={t.enabled}
            onChange={(_e, d) => void change(t, { enabled: d.checked })}
          />
        )}
      </TableCell>
      <TableCell>
        <Select
          aria-label={`Frequency of ${t.name}`}
          size="small"
          value={t.frequencyMinutes === null ? '' : String(t.frequencyMinutes)}
          disabled={!t.enabled}
          onChange={(_e, d) => void change(t, { frequencyMinutes: d.value === '' ? null : Number(d.value) })}
        >
          <option value="">{frequency(null, fallback)}</option>
          {[...new Set([...FREQUENCIES, ...(t.frequencyMinutes === null ? [] : [t.frequencyMinutes])])]
            .sort((a, b) => a - b)
            .map((f) => (
              <option key={f} value={String(f)}>
                {frequency(f, fallback)}
              </option>
            ))}
        </Select>
      </TableCell>
      <TableCell data-rows={t.rows}>
        {t.rowsEstimated ? '≈ ' : ''}
        {count(t.rows)}
      </TableCell>
      <TableCell>{t.enabled && callsPerDay !== undefined ? `≈ ${count(callsPerDay)}` : '—'}</TableCell>
      <TableCell>{when(t.lastSyncAt)}</TableCell>
      <TableCell>
        {t.lastRun ? (
          <>
            <StatusBadge status={t.lastRun.status} />{' '}
            <NavLink to={`/runs/${t.lastRun.runId}`}>run {t.lastRun.runId}</NavLink>
          </>
        ) : (
          '—'
        )}
        <FailureText>{t.lastRun?.error}</FailureText>
      </TableCell>
    </TableRow>
  );
}
