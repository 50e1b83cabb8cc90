/// <reference types="office-js" />
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_TABLES, isCalendarDate, TABLE_BY_NAME } from '../../server/catalog/tables.ts';
import { calendarDay, rowEncoder, toWarehouse } from '../../server/sync/encode.ts';
import { clockMismatch } from '../../server/exact/values.ts';
import { ensureTable } from '../../server/warehouse/tables.ts';
import { migrate } from '../../server/db/migrate.ts';
import { resultCells } from '../../client-contract/cells.ts';
import { planSheet, sheetRows } from '../../client-contract/sheetsPlan.ts';
import { toSheetData } from '../../addin/src/excel/layout.ts';
import { insertTable } from '../../addin/src/excel/tables.ts';
import { startSandbox, type RunningSandbox } from '../../server/sandbox/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { FakeContext, FakeWorkbookState } from '../helpers/fakeExcel.ts';
import { apiCall, connectAndSync, keys, startTestServer, type TestServer } from '../helpers/server.ts';

/** Exact's `/Date(ms)/` of a local wall-clock time (docs/exact-online.md 4.6). */
const exactDate = (y: number, m: number, d: number, h = 0) => `/Date(${Date.UTC(y, m - 1, d, h)})/`;
const column = (table: string, field: string) => TABLE_BY_NAME.get(table)!.columns.find((c) => c.field === field)!;

describe('which DateTime fields are calendar dates', () => {
  it.each([
    [{ name: 'Date', doc: 'Date of entry' }, true],
    [{ name: 'InvoiceDate', doc: 'Official date for the invoice.' }, true],
    [{ name: 'DueDate' }, true],
    [{ name: 'From', doc: 'From date to identify the range for accrued/deferred costs.' }, true],
    [{ name: 'StatusSince' }, true],
    [{ name: 'FreeDateField_03', doc: 'Free date field 3' }, true],
    [{ name: 'Created', doc: 'Creation date' }, false],
    [{ name: 'Modified', doc: 'Last modified date' }, false],
    [{ name: 'Date', doc: 'Date and time the time transaction was done' }, false],
    [{ name: 'EndTime', doc: 'End time of leave' }, false],
    [{ name: 'DivisionMoveDate', doc: 'Date when the division was moved.' }, false],
    [{ name: 'DeletedDate', doc: 'Deleted date' }, false],
    [{ name: 'ReceivableSelected', doc: 'Date and time since when the receivable is selected' }, false],
    [{ name: 'Approved', doc: 'Approval datetime' }, false],
  ])('%j → %s', (field, date) => {
    expect(isCalendarDate(field)).toBe(date);
  });

  it('types the warehouse columns by that rule', () => {
    expect(column('transactionlines', 'Date').type).toBe('date');
    expect(column('transactionlines', 'Modified').type).toBe('timestamptz');
    expect(column('salesinvoices', 'InvoiceDate').type).toBe('date');
    const lines = ALL_TABLES.find((t) => t.name === 'purchaseentrylines')!;
    expect(lines.columns.find((c) => c.field === 'From')!.type).toBe('date');
  });
});

describe('a date-only value', () => {
  const date = column('transactionlines', 'Date');

  it('is the day Exact shows, whatever the administration’s zone', () => {
    for (const zone of ['Europe/Amsterdam', 'America/New_York', 'UTC', 'Pacific/Kiritimati'])
      expect(toWarehouse(date, exactDate(2024, 1, 1), zone)).toBe('2024-01-01');
    expect(calendarDay(date, '/Date(-62135596800000)/')).toBe('0001-01-01');
    expect(calendarDay(date, exactDate(1969, 12, 31))).toBe('1969-12-31');
  });

  it('that holds a time keeps its day and is reported once per column, never silently', () => {
    const heard: string[] = [];
    const encoder = rowEncoder(TABLE_BY_NAME.get('transactionlines')!, 'Europe/Amsterdam', (c, v) =>
      heard.push(`${c.name}=${String(v)}`),
    );
    const csv = encoder.page(
      [
        { ID: '00000000-0000-0000-0000-000000000001', Date: exactDate(2024, 3, 5, 13) },
        { ID: '00000000-0000-0000-0000-000000000002', Date: exactDate(2024, 3, 6, 9) },
      ],
      1,
      '2026-01-01T00:00:00Z',
    );
    expect(csv.chunks.map(String).join('')).toContain('2024-03-05');
    expect(heard).toEqual([`date=${exactDate(2024, 3, 5, 13)}`]);
  });
});

describe("Exact's clock against the zone exact-sync assumes", () => {
  const summer = Date.UTC(2026, 6, 1, 12);
  const winter = Date.UTC(2026, 0, 15, 12);
  it.each([
    ['Europe/Amsterdam', 7200, summer, undefined],
    ['Europe/Amsterdam', 3600, winter, undefined],
    ['Europe/Amsterdam', '7200', summer, undefined],
    ['Europe/Amsterdam', null, summer, undefined],
    ['Europe/Amsterdam', 3600, summer, 'UTC+01:00'],
    [
      'America/New_York',
      7200,
      summer,
      "UTC+02:00, but exact-sync reads this administration's times as America/New_York (UTC-04:00 now)",
    ],
  ])('%s with ServerUtcOffset %j', (zone, offset, at, said) => {
    const note = clockMismatch(zone, offset, at);
    if (said === undefined) expect(note).toBeUndefined();
    else expect(note).toContain(said);
  });
});

describe('an old warehouse, with dates stored as instants', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('dates_migrate');
    await migrate(db.pool);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('is migrated in place to calendar dates, each the day it was in the administration’s zone', async () => {
    const table = TABLE_BY_NAME.get('financialperiods')!;
    // As an earlier exact-sync made it: StartDate and EndDate timestamptz, holding Amsterdam midnights.
    await db.pool.query(`CREATE SCHEMA old_dates`);
    await db.pool.query(
      `CREATE TABLE old_dates.financialperiods (division integer NOT NULL, id uuid NOT NULL, startdate timestamptz,
         enddate timestamptz, modified timestamptz, _sdc_extracted_at timestamptz NOT NULL,
         _sdc_batched_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (division, id))`,
    );
    await db.pool.query(
      `INSERT INTO old_dates.financialperiods (division, id, startdate, enddate, modified, _sdc_extracted_at) VALUES
       (1, '00000000-0000-0000-0000-000000000001', '2023-12-31T23:00:00Z', '2024-01-30T23:00:00Z', '2024-02-01T10:00:00Z', now()),
       (1, '00000000-0000-0000-0000-000000000002', '2024-06-30T22:00:00Z', '2024-07-30T22:00:00Z', '2024-08-01T10:00:00Z', now()),
       (1, '00000000-0000-0000-0000-000000000003', NULL, NULL, NULL, now())`,
    );
    await ensureTable(db.pool, 'old_dates', table, 'Europe/Amsterdam');
    const { rows: types } = await db.pool.query<{ column_name: string; data_type: string }>(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'old_dates'
       AND table_name = 'financialperiods' AND column_name IN ('startdate', 'enddate', 'modified') ORDER BY column_name`,
    );
    expect(types).toEqual([
      { column_name: 'enddate', data_type: 'date' },
      { column_name: 'modified', data_type: 'timestamp with time zone' },
      { column_name: 'startdate', data_type: 'date' },
    ]);
    const { rows } = await db.pool.query(
      `SELECT startdate::text, enddate::text, modified FROM old_dates.financialperiods ORDER BY id`,
    );
    expect(rows).toEqual([
      { startdate: '2024-01-01', enddate: '2024-01-31', modified: new Date('2024-02-01T10:00:00Z') },
      { startdate: '2024-07-01', enddate: '2024-07-31', modified: new Date('2024-08-01T10:00:00Z') },
      { startdate: null, enddate: null, modified: null },
    ]);
  });
});

describe('a booking dated 2024-01-01 in Exact', () => {
  let sb: RunningSandbox;
  let t: TestServer;
  let read: string;
  let id: string;
  const sql = () => `SELECT date FROM exact_online.transactionlines WHERE id = '${id}'`;

  beforeAll(async () => {
    sb = await startSandbox({ autoApprove: true, scale: 200, divisions: 1, limits: false });
    const division = sb.sandbox.divisions[0]!.code;
    id = String(sb.sandbox.table(division, 'TransactionLines').get(0)!.ID);
    sb.sandbox.update(division, 'TransactionLines', id, { Date: Date.UTC(2024, 0, 1) });
    t = await startTestServer('dates', sb);
    const k = await keys(t);
    read = k.read;
    await connectAndSync(t, k.admin);
  });
  afterAll(async () => {
    await t?.close();
    await sb?.close();
  });

  it('reads 2024-01-01 through psql in UTC and in New York', () => {
    for (const zone of ['UTC', 'America/New_York', 'Asia/Tokyo']) {
      const r = spawnSync('psql', [t.db.url, '-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql()], {
        encoding: 'utf8',
        env: { ...process.env, PGTZ: zone },
      });
      expect(r.error, 'psql (Debian: postgresql-client) must be installed').toBeUndefined();
      expect(r.stderr).toBe('');
      expect(r.stdout.trim(), zone).toBe('2024-01-01');
    }
  });

  it('is 2024-01-01 from POST /api/v1/query, in Excel’s cells and in Sheets', async () => {
    const res = await apiCall(t, read, 'POST', '/query', { sql: sql(), format: 'json' });
    expect(res.status).toBe(200);
    expect(res.body.columns).toEqual([{ name: 'date', type: 'date', kind: 'date' }]);
    expect(res.body.rows).toEqual([['2024-01-01']]);

    // Excel: the serial of that day (45292), shown as a date, whatever the machine's zone.
    expect(resultCells(res.body, 'serial').rows).toEqual([[45292]]);
    (globalThis as { Excel?: unknown }).Excel = { ClearApplyTo: { contents: 'Contents', all: 'All' } };
    const state = new FakeWorkbookState();
    await insertTable(new FakeContext(state) as unknown as Excel.RequestContext, toSheetData(res.body), {
      name: 'Lines',
      newSheet: 'Lines',
      source: { kind: 'query', sql: sql() },
      syncedAt: null,
    });
    expect(state.cell('Lines', 1, 0)?.value).toBe(45292);
    expect(state.cell('Lines', 1, 0)?.format).toMatch(/^yyyy-mm-dd/);

    // Sheets: the server's writeback and the Apps Script module write the same serial, formatted as a date.
    const plan = planSheet(res.body);
    expect(sheetRows(plan)).toEqual([[45292]]);
    expect(plan.formats).toEqual(['yyyy-mm-dd']);
  });
});
