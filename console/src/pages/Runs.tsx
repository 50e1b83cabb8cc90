import {
  Button,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
} from '@fluentui/react-components';
import type { RunResponse, RunsResponse } from '../../../server/api/types.ts';
import { get } from '../api.ts';
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
import { count, duration, when } from '../format.ts';
import { useLoad } from '../useLoad.ts';

/** The sync history, newest first; live while something runs. */
export function RunsPage({ connection }: { connection: string | null }) {
  const q = connection ? `?connection=${encodeURIComponent(connection)}&limit=100` : '?limit=100';
  const list = useLoad(() => get<RunsResponse>(`/api/v1/runs${q}`), [q], {
    poll: (d) => d.runs.some((r) => r.status === 'running'),
    pollMs: 1500,
  });
  return (
    <div style={stack}>
      <PageTitle actions={connection ? <NavButton to="/runs">All connections</NavButton> : undefined}>
        Runs{connection ? ` of connection ${connection}` : ''}
      </PageTitle>
      <ErrorBar error={list.error} onRetry={() => void list.reload()} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data && list.data.runs.length === 0 ? <Notice>No sync has run yet.</Notice> : null}
      {list.data && list.data.runs.length > 0 ? (
        <Table aria-label="Runs" size="small">
          <TableHeader>
            <TableRow>
              <TableHeaderCell style={{ width: 70 }}>Run</TableHeaderCell>
              <TableHeaderCell>Division</TableHeaderCell>
              <TableHeaderCell>Status</TableHeaderCell>
              <TableHeaderCell>Started</TableHeaderCell>
              <TableHeaderCell>Took</TableHeaderCell>
              <TableHeaderCell>API calls</TableHeaderCell>
              <TableHeaderCell>Rows new / updated / deleted</TableHeaderCell>
            </TableRow>
          </TableHeader>
          <TableBody>
            {list.data.runs.map((r) => (
              <TableRow key={r.id} data-run={r.id}>
                <TableCell>
                  <NavLink to={`/runs/${r.id}`}>{r.id}</NavLink>
                </TableCell>
                <TableCell>
                  {r.divisionName ?? r.division}{' '}
                  <Text size={200} style={{ color: '#616161' }}>
                    ({r.division}, connection {r.connectionId})
                  </Text>
                </TableCell>
                <TableCell>
                  <StatusBadge status={r.status} />
                  <FailureText>{r.errorMessage}</FailureText>
                </TableCell>
                <TableCell>
                  {when(r.startedAt)}{' '}
                  <Text size={200} style={{ color: '#616161' }}>
                    ({r.trigger})
                  </Text>
                </TableCell>
                <TableCell>{duration(r.startedAt, r.finishedAt)}</TableCell>
                <TableCell>{count(r.apiCalls)}</TableCell>
                <TableCell>
                  {count(r.rowsInserted)} / {count(r.rowsUpdated)} / {count(r.rowsDeleted)}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      ) : null}
    </div>
  );
}

export function RunPage({ id }: { id: number }) {
  const run = useLoad(() => get<RunResponse>(`/api/v1/runs/${id}`), [id], {
    poll: (r) => r.status === 'running',
    pollMs: 1500,
  });
  const r = run.data;
  return (
    <div style={stack}>
      <PageTitle actions={<Button onClick={() => history.back()}>Back</Button>}>Run {id}</PageTitle>
      <ErrorBar error={run.error} onRetry={() => void run.reload()} />
      {run.loading && !r ? <Loading /> : null}
      {r ? (
        <>
          <Text>
            Division {r.divisionName ?? r.division} ({r.division}) of{' '}
            <NavLink to={`/connections/${r.connectionId}/divisions`}>connection {r.connectionId}</NavLink>, started{' '}
            {when(r.startedAt)} ({r.trigger}),{' '}
            {r.finishedAt
              ? `took ${duration(r.startedAt, r.finishedAt)}`
              : `running for ${duration(r.startedAt, null)}`}
            , {count(r.apiCalls)} API calls. <StatusBadge status={r.status} />
          </Text>
          {r.errorMessage ? (
            <ErrorBar
              error={new Error(r.errorMessage)}
              title={r.status === 'daily_limit' ? 'Daily limit reached' : 'The run did not complete'}
            />
          ) : null}
          <Table aria-label="Tables of the run" size="small">
            <TableHeader>
              <TableRow>
                <TableHeaderCell>Table</TableHeaderCell>
                <TableHeaderCell>Status</TableHeaderCell>
                <TableHeaderCell>Rows read</TableHeaderCell>
                <TableHeaderCell>New</TableHeaderCell>
                <TableHeaderCell>Updated</TableHeaderCell>
                <TableHeaderCell>Deleted</TableHeaderCell>
                <TableHeaderCell>Pages</TableHeaderCell>
              </TableRow>
            </TableHeader>
            <TableBody>
              {r.tables.map((t) => (
                <TableRow key={t.table}>
                  <TableCell>{t.table}</TableCell>
                  <TableCell>
                    <StatusBadge status={t.status} />
                    <FailureText>{t.errorMessage}</FailureText>
                  </TableCell>
                  <TableCell>{count(t.rows)}</TableCell>
                  <TableCell>{count(t.inserted)}</TableCell>
                  <TableCell>{count(t.updated)}</TableCell>
                  <TableCell>{count(t.deleted)}</TableCell>
                  <TableCell>{count(t.pages)}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
          {r.status === 'running' ? <Text>Tables appear here as they finish.</Text> : null}
        </>
      ) : null}
    </div>
  );
}
