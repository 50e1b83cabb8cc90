import {
  Button,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  Title3,
} from '@fluentui/react-components';
import type { PublishedViewInfo, PublishedViewsResponse, StarterModelsResponse } from '../../../server/api/types.ts';
import { del, get, post } from '../api.ts';
import { ErrorBar, FailureText, Loading, NavLink, PageTitle, StatusBadge, stack } from '../components.tsx';
import { when } from '../format.ts';
import { useAction } from '../useAction.ts';
import { useLoad } from '../useLoad.ts';

/**
 * The published views (reports schema): each with its status, a broken one with PostgreSQL's words;
 * refresh (or make again) and remove. Views are published from a saved query on the SQL page.
 */
export function ViewsPage() {
  const list = useLoad(() => get<PublishedViewsResponse>('/api/v1/views'), []);
  const { run, error, busy } = useAction();
  const refresh = (name: string) =>
    void run(async () => {
      try {
        await post(`/api/v1/views/${encodeURIComponent(name)}/refresh`);
      } finally {
        await list.reload();
      }
    });
  const remove = (name: string) => {
    if (!confirm(`Remove reports.${name}? BI reports and workbooks that read it will fail.`)) return;
    void run(async () => {
      await del(`/api/v1/views/${encodeURIComponent(name)}`);
      await list.reload();
    });
  };
  return (
    <div style={stack}>
      <PageTitle>Views</PageTitle>
      <Text>
        Saved queries published as views in the <code>reports</code> schema: BI tools, Excel, Google Sheets and the
        query API read them like tables. Publish one from a saved query on the <NavLink to="/sql">SQL</NavLink> page. A
        materialized view keeps its rows and is refreshed after every sync that changed a table it reads.
      </Text>
      <ErrorBar error={error ?? list.error} title={error ? 'The view was not made' : undefined} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data && list.data.views.length ? (
        <Table aria-label="Views" size="small" style={{ tableLayout: 'auto' }}>
          <TableHeader>
            <TableRow>
              <TableHeaderCell>View</TableHeaderCell>
              <TableHeaderCell>Kind</TableHeaderCell>
              <TableHeaderCell>Status</TableHeaderCell>
              <TableHeaderCell>Refreshed</TableHeaderCell>
              <TableHeaderCell />
            </TableRow>
          </TableHeader>
          <TableBody>
            {list.data.views.map((v) => (
              <TableRow key={v.id} data-view={v.name}>
                <TableCell>
                  <ViewName v={v} />
                </TableCell>
                <TableCell>{v.materialized ? 'materialized' : 'view'}</TableCell>
                <TableCell>
                  <StatusBadge status={v.status} />
                  <FailureText>{v.error}</FailureText>
                </TableCell>
                <TableCell>{v.materialized ? when(v.refreshedAt) : '—'}</TableCell>
                <TableCell>
                  {v.materialized || v.status === 'broken' ? (
                    <Button size="small" disabled={busy} onClick={() => refresh(v.name)}>
                      {v.status === 'broken' ? 'Make again' : 'Refresh'}
                    </Button>
                  ) : null}{' '}
                  <Button size="small" disabled={busy} onClick={() => remove(v.name)}>
                    Remove
                  </Button>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      ) : null}
      {list.data && list.data.views.length === 0 ? <Text>No views published yet.</Text> : null}
      <Starters onPublished={() => void list.reload()} />
    </div>
  );
}

/** A view's name, with links to a query of it and to the saved query it came from. */
function ViewName({ v }: { v: PublishedViewInfo }) {
  return (
    <>
      <code>reports.{v.name}</code>
      <Text size={200} block>
        <NavLink to={`/sql?${new URLSearchParams({ sql: `SELECT *\nFROM reports.${v.name}\nLIMIT 1000` })}`}>
          query it
        </NavLink>
        {v.savedQueryId ? (
          <>
            {' · '}
            <NavLink to={`/sql?query=${v.savedQueryId}`}>its saved query</NavLink>
          </>
        ) : null}
      </Text>
    </>
  );
}

/** The starter models: what a finance team needs first, each a click from being a view. */
function Starters({ onPublished }: { onPublished: () => void }) {
  const starters = useLoad(() => get<StarterModelsResponse>('/api/v1/starter-models'), []);
  const { run, error, busy } = useAction();
  const publish = (name: string) =>
    void run(async () => {
      await post(`/api/v1/starter-models/${encodeURIComponent(name)}`, {});
      await starters.reload();
      onPublished();
    });
  return (
    <div style={stack}>
      <Title3 as="h2">Starter models</Title3>
      <ErrorBar error={error ?? starters.error} title={error ? 'Not published' : undefined} />
      {(starters.data?.starters ?? []).map((m) => (
        <div key={m.name} data-starter={m.name} style={{ display: 'flex', gap: 12, alignItems: 'baseline' }}>
          <div style={{ flex: 1 }}>
            <Text weight="semibold" block>
              {m.title} <code style={{ fontWeight: 'normal' }}>reports.{m.name}</code>
            </Text>
            <Text size={200} block>
              {m.description}
            </Text>
          </div>
          {m.published ? (
            <Text>published</Text>
          ) : (
            <Button size="small" disabled={busy} onClick={() => publish(m.name)}>
              Publish
            </Button>
          )}
        </div>
      ))}
    </div>
  );
}
