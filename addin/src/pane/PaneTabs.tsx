import { Tab, TabList } from '@fluentui/react-components';
import { useState } from 'react';
import type { Connection } from '../api.ts';
import type { TableSource } from '../excel/tables.ts';
import { insert, refresh, refreshSummary } from '../workbook.ts';
import type { Target } from './shared.ts';
import { SqlTab } from './SqlTab.tsx';
import { TablesTab } from './TablesTab.tsx';
import { WorkbookTab } from './WorkbookTab.tsx';

interface Control {
  onProgress: (done: number, total: number) => void;
  cancelled: () => boolean;
}

/** Tables, SQL and the workbook's own tables, once connected; each write goes through `write`. */
export function PaneTabs(p: {
  connection: Connection;
  busy: boolean;
  write: (what: () => Promise<string>) => Promise<void>;
  control: Control;
}) {
  const [tab, setTab] = useState<'tables' | 'sql' | 'workbook'>('tables');
  const { connection, busy, write, control } = p;
  const insertAs = (source: TableSource, name: string, target: Target) =>
    write(async () => {
      const b = await insert(connection, source, { name, ...target }, control);
      return `Inserted ${b.rows.toLocaleString()} rows as table ${b.name}.`;
    });
  const refreshTables = (names?: string[]) =>
    write(async () => {
      return refreshSummary(await refresh(connection, names, control));
    });
  return (
    <>
      <TabList selectedValue={tab} onTabSelect={(_e, d) => setTab(d.value as typeof tab)} size="small">
        <Tab value="tables">Tables</Tab>
        <Tab value="sql">SQL</Tab>
        <Tab value="workbook">In this workbook</Tab>
      </TabList>
      {tab === 'tables' ? (
        <TablesTab
          connection={connection}
          busy={busy}
          onInsert={(source, target) => void insertAs(source, source.table!, target)}
        />
      ) : null}
      {tab === 'sql' ? (
        <SqlTab
          connection={connection}
          busy={busy}
          onInsert={(source, name, target) => void insertAs(source, name, target)}
        />
      ) : null}
      {tab === 'workbook' ? <WorkbookTab busy={busy} onRefresh={refreshTables} /> : null}
    </>
  );
}
