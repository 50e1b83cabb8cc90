import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grantWarehouseSchema } from '../../server/db/roles.ts';
import { reachNote } from '../../server/query/biUsers.ts';
import { startSandbox, type RunningSandbox } from '../../server/sandbox/index.ts';
import { apiCall, keys, startTestServer, type TestServer } from '../helpers/server.ts';

let sb: RunningSandbox;
let t: TestServer;
let readKey: string;

const query = (body: object, headers: Record<string, string> = {}, key = readKey) =>
  fetch(`${t.url}/api/v1/query`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

beforeAll(async () => {
  sb = await startSandbox({ autoApprove: true, seed: 21, divisions: 1, scale: 100, limits: false });
  t = await startTestServer('query_api', sb, { QUERY_TIMEOUT_SECONDS: '2', QUERY_MAX_ROWS: '3000' });
  readKey = (await keys(t)).read;
  await t.db.pool.query('CREATE SCHEMA exact_online');
  await t.db.pool.query(
    `CREATE TABLE exact_online.sample (id integer, name text, amount numeric, ratio double precision, big bigint, active boolean, at timestamptz, day date, extra jsonb)`,
  );
  await t.db.pool.query(`INSERT INTO exact_online.sample VALUES
    (1, 'plain', 12.50, 0.25, 9007199254740993, true, '2026-03-02T08:00:00.5+00:00', '2026-03-02', '{"a": [1, 2]}'),
    (2, 'with, comma and "quotes"', -3, 'NaN', NULL, false, NULL, NULL, NULL),
    (3, '', NULL, 'Infinity', 1, NULL, '1999-12-31T23:59:59+00:00', '1999-12-31', 'null'),
    (4, E'two\\nlines', 0, 1e300, 0, true, '2026-01-01T00:00:00Z', '2026-01-01', '"text"')`);
  await t.db.pool.query(`CREATE TABLE exact_online.many AS SELECT n FROM generate_series(1, 5000) n`);
  // Repeated and NULL values in a column people sort by: keyset paging must still see every row once.
  await t.db.pool.query(
    `CREATE TABLE exact_online.ties (division integer, id integer, city text, PRIMARY KEY (division, id))`,
  );
  await t.db.pool.query(
    `INSERT INTO exact_online.ties SELECT 1 + n % 2, n, (ARRAY['Utrecht', NULL, 'Delft', 'Utrecht', NULL])[1 + n % 5] FROM generate_series(1, 23) n`,
  );
  await grantWarehouseSchema(t.db.pool, 'exact_online');
});
afterAll(async () => {
  await t.close();
  await sb.close();
});

describe('POST /api/v1/query', () => {
  it('answers compact JSON with column types, JSON numbers, booleans, ISO timestamps in UTC and inline json', async () => {
    const res = await query({ sql: 'SELECT * FROM sample WHERE id <= $1 ORDER BY id', params: [4] });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    const body = (await res.json()) as {
      columns: { name: string; type: string; kind: string }[];
      rows: unknown[][];
      rowCount: number;
    };
    expect(body.columns.map((c) => `${c.name}:${c.type}:${c.kind}`)).toEqual([
      'id:integer:integer',
      'name:text:text',
      'amount:numeric:number',
      'ratio:double precision:number',
      'big:bigint:integer',
      'active:boolean:boolean',
      'at:timestamptz:datetime',
      'day:date:date',
      'extra:jsonb:json',
    ]);
    expect(body.rowCount).toBe(4);
    expect(body.rows[0]).toEqual([
      1,
      'plain',
      12.5,
      0.25,
      9007199254740992,
      true,
      '2026-03-02T08:00:00.5+00:00',
      '2026-03-02',
      { a: [1, 2] },
    ]);
    expect(body.rows[1]).toEqual([2, 'with, comma and "quotes"', -3, 'NaN', null, false, null, null, null]);
    expect(body.rows[2]).toEqual([3, '', null, 'Infinity', 1, null, '1999-12-31T23:59:59+00:00', '1999-12-31', null]);
    expect(body.rows[3]![2]).toBe(0);
    expect(body.rows[3]![3]).toBe(1e300);
  });

  it('answers CSV as psql \\copy writes it (quoted only where needed, NULL empty, "" for an empty string)', async () => {
    const res = await query({ sql: 'SELECT id, name, amount, big, active, at FROM sample ORDER BY id', format: 'csv' });
    expect(res.headers.get('content-type')).toContain('text/csv');
    expect(JSON.parse(res.headers.get('x-columns')!).map((c: { name: string }) => c.name)).toEqual([
      'id',
      'name',
      'amount',
      'big',
      'active',
      'at',
    ]);
    expect(await res.text()).toBe(
      'id,name,amount,big,active,at\n' +
        '1,plain,12.50,9007199254740993,t,2026-03-02 08:00:00.5+00\n' +
        '2,"with, comma and ""quotes""",-3,,f,\n' +
        '3,"",,1,,1999-12-31 23:59:59+00\n' +
        '4,"two\nlines",0,0,t,2026-01-01 00:00:00+00\n',
    );
  });

  it('answers NDJSON, one object per row, and picks the format from Accept', async () => {
    const res = await query(
      { sql: 'SELECT id, name FROM sample WHERE id < 3 ORDER BY id' },
      { Accept: 'application/x-ndjson' },
    );
    expect(res.headers.get('content-type')).toContain('ndjson');
    expect(
      (await res.text())
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([
      { id: 1, name: 'plain' },
      { id: 2, name: 'with, comma and "quotes"' },
    ]);
    const csv = await query({ sql: 'SELECT 1 AS one' }, { Accept: 'text/csv' });
    expect(await csv.text()).toBe('one\n1\n');
  });

  it('refuses writes and reads outside the warehouse with a clear error and a fitting status', async () => {
    const write = await query({ sql: 'DELETE FROM sample' });
    expect(write.status).toBe(400);
    expect(((await write.json()) as { error: { code: string } }).error.code).toBe('not_a_query');
    const secrets = await query({ sql: 'SELECT key_hash FROM exact_sync.api_keys' });
    expect(secrets.status).toBe(403);
    expect(((await secrets.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'permission_denied',
      message: expect.stringContaining('exact_sync'),
    });
    const { rows } = await t.db.pool.query('SELECT count(*)::int AS n FROM exact_online.sample');
    expect(rows[0].n).toBe(4);
  });

  it('says where in the SQL PostgreSQL stopped (error.position), so an editor can mark it', async () => {
    const res = await query({ sql: '  SELECT nam FROM sample' });
    expect(res.status).toBe(400);
    // Counted from the first character that is not blank (the request's SQL is trimmed).
    expect(((await res.json()) as { error: { position: number } }).error.position).toBe('SELECT '.length + 1);
    const placeless = await query({ sql: 'SELECT 1 / 0' });
    expect(((await placeless.json()) as { error: object }).error).not.toHaveProperty('position');
  });

  it('cancels a query past QUERY_TIMEOUT_SECONDS and says which limit it hit', async () => {
    const res = await query({ sql: 'SELECT pg_sleep(60)' });
    expect(res.status).toBe(408);
    expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'query_timeout',
      message: expect.stringContaining('QUERY_TIMEOUT_SECONDS'),
    });
  });

  it('past QUERY_MAX_ROWS: JSON ends with an error member, CSV is cut off rather than passed off as complete', async () => {
    const json = (await (await query({ sql: 'SELECT n FROM many' })).json()) as {
      rows: unknown[];
      error?: { code: string };
    };
    expect(json.error?.code).toBe('row_limit');
    // PostgreSQL's count says the cap was passed once row 3,001 was sent: that many at most.
    expect(json.rows.length).toBeLessThanOrEqual(3001);
    const csv = await query({ sql: 'SELECT n FROM many', format: 'csv' });
    await expect(csv.text()).rejects.toThrow();
  });

  it('maxRows caps one request below QUERY_MAX_ROWS, on both paths, and the error names maxRows', async () => {
    const cases = [
      { all: 'SELECT n FROM many', fifty: 'SELECT n FROM many WHERE n <= 50', params: [] },
      { all: 'SELECT n FROM many WHERE n > $1', fifty: 'SELECT n FROM many WHERE n > $1 AND n <= 50', params: [0] },
    ];
    for (const c of cases) {
      const capped = (await (await query({ sql: c.all, params: c.params, maxRows: 50 })).json()) as {
        rows: unknown[];
        error?: { code: string; message: string };
      };
      expect(capped.error).toMatchObject({ code: 'row_limit', message: expect.stringContaining('(maxRows)') });
      // Rows past the cap are not sent: at most the one that showed it was passed.
      expect(capped.rows.length).toBeLessThanOrEqual(51);
      const fits = (await (await query({ sql: c.fifty, params: c.params, maxRows: 50 })).json()) as {
        rows: unknown[];
        error?: unknown;
      };
      expect(fits.error).toBeUndefined();
      expect(fits.rows).toHaveLength(50);
    }
    expect((await query({ sql: 'SELECT 1', maxRows: 0 })).status).toBe(400);
  });

  it('validates the request: empty SQL, a bad format, an unknown connection', async () => {
    expect((await query({ sql: '  ' })).status).toBe(400);
    expect((await query({ sql: 'SELECT 1', format: 'xml' })).status).toBe(400);
    expect((await query({ sql: 'SELECT 1', connection: 99 })).status).toBe(404);
    expect((await query({ sql: 'SELECT 1' }, {}, 'esk_wrong')).status).toBe(401);
  });
});

describe('CSV with parameters (written by exact-sync, not COPY)', () => {
  it('is the same CSV as PostgreSQL writes without them', async () => {
    const copy = await (await query({ sql: 'SELECT * FROM sample WHERE id > 0 ORDER BY id', format: 'csv' })).text();
    const cursor = await (
      await query({ sql: 'SELECT * FROM sample WHERE id > $1 ORDER BY id', params: [0], format: 'csv' })
    ).text();
    expect(cursor).toBe(copy);
  });
});

describe('JSON and NDJSON: from COPY text without parameters, from the cursor with them', () => {
  // Values that COPY's text format escapes or that JSON must: tab, newline, CR, backslash, quote, a raw
  // control character, UTF-8 of 2-4 bytes, NaN/Infinity, infinite timestamps, bytea, json holding a
  // backslash; and column names that repeat or are not ASCII.
  const nasty = `SELECT n AS "id", E'a\\tb\\nc\\rd\\\\e"f\\x01g' AS "tekst é", 'é € 😀' AS "tekst é",
      'NaN'::numeric AS num, '-Infinity'::float8 AS f, 'infinity'::timestamptz AS tz, '-infinity'::timestamp AS ts,
      '2026-03-02 08:00:00.5'::timestamp AS ts2, '\\x00ff'::bytea AS b, E'{"k": "x\\\\\\"y"}'::jsonb AS j,
      NULL::text AS nothing, (n % 2 = 0) AS even
    FROM generate_series(1, 3) n WHERE n > `;
  it.each(['json', 'ndjson'] as const)('%s: the same bytes on both paths', async (format) => {
    const copy = await (await query({ sql: `${nasty}0`, format })).text();
    const cursor = await (await query({ sql: `${nasty}$1`, params: [0], format })).text();
    expect(cursor).toBe(copy);
    const rows =
      format === 'json'
        ? (JSON.parse(copy) as { rows: unknown[][] }).rows
        : copy
            .trimEnd()
            .split('\n')
            .map((l) => Object.values(JSON.parse(l) as object));
    expect(rows[1]).toEqual([
      2,
      ...(format === 'json' ? ['a\tb\nc\rd\\e"f\u0001g'] : []),
      'é € 😀',
      'NaN',
      '-Infinity',
      'infinity',
      '-infinity',
      '2026-03-02T08:00:00.5',
      '\\x00ff',
      { k: 'x"y' },
      null,
      true,
    ]);
  });

  it('is the same JSON for the sample table', async () => {
    const copy = await (await query({ sql: 'SELECT * FROM sample WHERE id > 0 ORDER BY id' })).text();
    const cursor = await (await query({ sql: 'SELECT * FROM sample WHERE id > $1 ORDER BY id', params: [0] })).text();
    expect(cursor).toBe(copy);
  });

  it('takes more than 100 columns (past what PostgreSQL builds a JSON array of in one call)', async () => {
    const cols = Array.from({ length: 120 }, (_, i) => `${i} AS c${i}`).join(', ');
    const body = (await (await query({ sql: `SELECT ${cols}` })).json()) as { columns: unknown[]; rows: number[][] };
    expect(body.columns).toHaveLength(120);
    expect(body.rows).toEqual([Array.from({ length: 120 }, (_, i) => i)]);
  });
});

describe('/api/v1/queries', () => {
  let adminKey: string;
  beforeAll(async () => {
    adminKey = (await keys(t)).admin;
  });
  /** Saving, changing and deleting take an admin key; reading and running a read key. */
  const call = async (method: string, p: string, body?: unknown, key = method === 'GET' ? readKey : adminKey) => {
    const res = await fetch(`${t.url}/api/v1${p}`, {
      method,
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: res.status === 204 ? undefined : ((await res.json()) as any) };
  };

  it('saves, lists, changes, runs (by id or name, any format) and deletes a query; names are unique', async () => {
    const made = await call('POST', '/queries', {
      name: 'Big amounts',
      description: 'over 10',
      sql: 'SELECT id, amount FROM sample WHERE amount > 10 ORDER BY id',
    });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ name: 'Big amounts', description: 'over 10', connectionId: null });
    expect((await call('POST', '/queries', { name: 'Big amounts', sql: 'SELECT 1' })).body.error.code).toBe(
      'name_taken',
    );
    expect((await call('GET', '/queries')).body.queries.map((q: any) => q.name)).toContain('Big amounts');
    const run = await fetch(`${t.url}/api/v1/queries/${made.body.id}/run`, {
      headers: { Authorization: `Bearer ${readKey}` },
    });
    expect(((await run.json()) as any).rows).toEqual([[1, 12.5]]);
    const byName = await fetch(`${t.url}/api/v1/queries/${encodeURIComponent('Big amounts')}/run?format=csv`, {
      headers: { Authorization: `Bearer ${readKey}` },
    });
    expect(await byName.text()).toBe('id,amount\n1,12.50\n');
    const changed = await call('PATCH', `/queries/${made.body.id}`, { sql: 'SELECT count(*) AS n FROM sample' });
    expect(changed.body.sql).toBe('SELECT count(*) AS n FROM sample');
    expect(Date.parse(changed.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(made.body.updatedAt));
    // A read key can run a shared query but not change what it shows, nor delete it.
    expect((await call('PATCH', `/queries/${made.body.id}`, { sql: 'SELECT 1' }, readKey)).status).toBe(403);
    expect((await call('DELETE', `/queries/${made.body.id}`, undefined, readKey)).status).toBe(403);
    expect((await call('POST', '/queries', { name: 'Mine', sql: 'SELECT 1' }, readKey)).status).toBe(403);
    expect((await call('DELETE', `/queries/${made.body.id}`)).status).toBe(204);
    expect((await call('GET', `/queries/${made.body.id}`)).status).toBe(404);
  });

  it("keeps a saved query's chart, changes and clears it, and refuses one it could not draw", async () => {
    const made = await call('POST', '/queries', {
      name: 'Amounts by name',
      sql: 'SELECT name, sum(amount) AS total FROM sample GROUP BY 1',
      chart: { type: 'bar', x: 'name', y: 'total' },
    });
    expect(made.status).toBe(201);
    expect(made.body.chart).toEqual({ type: 'bar', x: 'name', y: 'total' });
    // Changing the SQL leaves the chart; a new chart replaces it; null removes it.
    const renamed = await call('PATCH', `/queries/${made.body.id}`, { name: 'Totals by name' });
    expect(renamed.body.chart).toEqual({ type: 'bar', x: 'name', y: 'total' });
    const pivot = await call('PATCH', `/queries/${made.body.id}`, {
      chart: { type: 'pivot', x: 'name', y: 'total', series: 'name' },
    });
    expect(pivot.body.chart).toEqual({ type: 'pivot', x: 'name', y: 'total', series: 'name' });
    expect((await call('PATCH', `/queries/${made.body.id}`, { chart: null })).body.chart).toBeNull();
    for (const chart of [
      { type: 'radar', x: 'name', y: 'total' },
      { type: 'bar', x: '', y: 'total' },
      { type: 'bar' },
    ]) {
      const refused = await call('PATCH', `/queries/${made.body.id}`, { chart });
      expect(refused.status, JSON.stringify(chart)).toBe(400);
    }
    expect((await call('GET', `/queries/${made.body.id}`)).body.chart).toBeNull();
    await call('DELETE', `/queries/${made.body.id}`);
  });

  it('runs with ?params (JSON) for its $1, $2 and ?maxRows; bad params are refused with the reason', async () => {
    const made = await call('POST', '/queries', {
      name: 'Over',
      sql: 'SELECT id FROM sample WHERE amount > $1 ORDER BY id',
    });
    const run = (q: string) =>
      fetch(`${t.url}/api/v1/queries/${made.body.id}/run?${q}`, { headers: { Authorization: `Bearer ${readKey}` } });
    const all = (await (await run(`params=${encodeURIComponent('[-100]')}`)).json()) as any;
    expect(all.rows).toEqual([[1], [2], [4]]);
    expect(((await (await run(`params=${encodeURIComponent('["10"]')}`)).json()) as any).rows).toEqual([[1]]);
    const capped = (await (await run(`params=${encodeURIComponent('[-100]')}&maxRows=2`)).json()) as any;
    expect(capped.error.code).toBe('row_limit');
    const bad = await run(`params=${encodeURIComponent('{"a":1}')}`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.message).toContain('params must be a JSON array');
  });

  it('a saved query that writes is refused when it runs, like any other', async () => {
    const made = await call('POST', '/queries', { name: 'Sneaky', sql: 'DELETE FROM sample' });
    const run = await fetch(`${t.url}/api/v1/queries/${made.body.id}/run`, {
      headers: { Authorization: `Bearer ${readKey}` },
    });
    expect(run.status).toBe(400);
    expect(((await run.json()) as any).error.code).toBe('not_a_query');
  });
});

describe('/api/v1/bi-users', () => {
  it('creates a login (admin only) whose URL psql can use, lists it, revokes it', async () => {
    const admin = (await keys(t)).admin;
    const post = (key: string) =>
      fetch(`${t.url}/api/v1/bi-users`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: `api_${Date.now().toString(36)}` }),
      });
    expect((await post(readKey)).status).toBe(403);
    const res = await post(admin);
    expect(res.status).toBe(201);
    const made = (await res.json()) as any;
    expect(made).toMatchObject({
      host: '127.0.0.1',
      database: new URL(t.db.url).pathname.slice(1),
      roleName: expect.stringMatching(/^bi_api_/),
    });
    // This server's database is DATABASE_URL's, on this machine: PG_LISTEN is not what opens it.
    expect(made.note).toMatch(/^The database \(DATABASE_URL\) is addressed as 127\.0\.0\.1: .*pg_hba\.conf/);
    const { spawnSync } = await import('node:child_process');
    expect(
      spawnSync('psql', [made.url, '-X', '-A', '-t', '-c', 'SELECT count(*) FROM sample'], {
        encoding: 'utf8',
      }).stdout.trim(),
    ).toBe('4');
    const list = (await (
      await fetch(`${t.url}/api/v1/bi-users`, { headers: { Authorization: `Bearer ${admin}` } })
    ).json()) as any;
    expect(list.biUsers.find((u: any) => u.id === made.id)).not.toHaveProperty('password');
    const del = await fetch(`${t.url}/api/v1/bi-users/${made.id}`, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${admin}` },
    });
    expect(((await del.json()) as any).revokedAt).not.toBeNull();
  });
});

describe('reachNote', () => {
  it.each([
    [{ host: '127.0.0.1' }, true, /PG_LISTEN/],
    [{ host: 'localhost' }, true, /PG_LISTEN/],
    [{ host: '127.0.0.1' }, false, /DATABASE_URL.*listen_addresses/],
    [{ host: '::1' }, false, /DATABASE_URL/],
    [{ host: '10.0.0.5' }, true, undefined],
    [{ host: 'db.example.com' }, false, undefined],
  ])('%o, embedded %s', (address, embedded, want) => {
    const note = reachNote(address, embedded);
    if (want) expect(note).toMatch(want);
    else expect(note).toBeUndefined();
  });
});

describe('/api/v1/tables', () => {
  const get = async (p: string) => fetch(`${t.url}/api/v1${p}`, { headers: { Authorization: `Bearer ${readKey}` } });

  it('lists the warehouse tables with columns, types and row counts', async () => {
    const body = (await (await get('/tables')).json()) as any;
    const sample = body.tables.find((x: any) => x.name === 'sample');
    expect(sample).toMatchObject({ rows: 4, rowsEstimated: false, lastSyncAt: null });
    expect(sample.columns.slice(0, 3)).toEqual([
      { name: 'id', type: 'integer', kind: 'integer' },
      { name: 'name', type: 'text', kind: 'text' },
      { name: 'amount', type: 'numeric', kind: 'number' },
    ]);
  });

  it('pages through a table by keyset, with filters, columns and order, in any format', async () => {
    const page1 = (await (await get('/tables/many/rows?filter=n:gt:10&order=-n&limit=3')).json()) as any;
    expect(page1.rows).toEqual([[5000], [4999], [4998]]);
    const page2 = (await (
      await get(`/tables/many/rows?filter=n:gt:10&order=-n&limit=3&after=${encodeURIComponent(JSON.stringify([4998]))}`)
    ).json()) as any;
    expect(page2.rows).toEqual([[4997], [4996], [4995]]);
    const csv = await (await get('/tables/sample/rows?columns=name&filter=id:in:1,2&order=id&format=csv')).text();
    expect(csv).toBe('name,id\nplain,1\n"with, comma and ""quotes""",2\n');
    const nulls = (await (await get('/tables/sample/rows?columns=id&filter=amount:null')).json()) as any;
    expect(nulls.rows).toEqual([[3]]);
  });

  it('keyset paging by a column with repeated values and NULLs sees every row once, in either direction', async () => {
    for (const order of ['city', '-city']) {
      const seen: number[] = [];
      let after: unknown[] | undefined;
      for (let pages = 0; pages < 30; pages++) {
        const body = (await (
          await get(
            `/tables/ties/rows?columns=id&order=${order}&limit=4${after ? `&after=${encodeURIComponent(JSON.stringify(after))}` : ''}`,
          )
        ).json()) as any;
        expect(body.columns.map((c: any) => c.name)).toEqual(['id', 'city', 'division']);
        if (body.rows.length === 0) break;
        seen.push(...body.rows.map((r: unknown[]) => r[0]));
        const last = body.rows.at(-1);
        // The order values of the last row: city, then the primary key's division and id.
        after = [last[1], last[2], last[0]];
      }
      expect(
        seen.toSorted((a, b) => a - b),
        order,
      ).toEqual(Array.from({ length: 23 }, (_, i) => i + 1));
    }
  });

  it('says what is wrong with a request', async () => {
    expect(((await (await get('/tables/nope/rows')).json()) as any).error.code).toBe('table_not_found');
    expect(((await (await get('/tables/sample/rows?columns=secret')).json()) as any).error.code).toBe('unknown_column');
    expect(((await (await get('/tables/sample/rows?filter=id:between:1')).json()) as any).error.code).toBe(
      'invalid_filter',
    );
    expect(((await (await get('/tables/sample/rows?after=notjson')).json()) as any).error.code).toBe('invalid_after');
    const badValue = await get('/tables/sample/rows?filter=id:eq:abc');
    expect(badValue.status).toBe(400);
    expect(((await badValue.json()) as any).error.message).toMatch(/invalid input syntax for type integer/);
  });
});

describe('/api/v1/openapi.json', () => {
  it('describes every route from the schemas that validate it, and needs a key like every route', async () => {
    expect((await fetch(`${t.url}/api/v1/openapi.json`)).status).toBe(401);
    const doc = (await (
      await fetch(`${t.url}/api/v1/openapi.json`, { headers: { Authorization: `Bearer ${readKey}` } })
    ).json()) as any;
    expect(doc.openapi).toBe('3.1.0');
    const { apiRoutes } = await import('../../server/api/v1.ts');
    const routes = apiRoutes(t.server.services);
    for (const r of routes) {
      const op = doc.paths[r.path.replace(/:(\w+)/g, '{$1}')]?.[r.method];
      expect(op, `${r.method} ${r.path}`).toBeDefined();
      expect(op['x-scope']).toBe(r.scope);
      expect(Boolean(op.requestBody), `${r.method} ${r.path} body`).toBe(Boolean(r.body));
    }
    expect(new Set(routes.map((r) => doc.paths[r.path.replace(/:(\w+)/g, '{$1}')][r.method].operationId)).size).toBe(
      routes.length,
    );
    const query = doc.paths['/query'].post.requestBody.content['application/json'].schema;
    expect(query.required).toEqual(['sql']);
    expect(query.properties.format.enum).toEqual(['json', 'csv', 'ndjson']);
    expect(query.additionalProperties).toBe(false);
    const rows = doc.paths['/tables/{name}/rows'].get.parameters.map((p: any) => `${p.in}:${p.name}`);
    expect(rows).toEqual(expect.arrayContaining(['path:name', 'query:filter', 'query:after', 'query:limit']));
  });
});

describe('CORS on /api/v1', () => {
  const preflight = (origin: string) =>
    fetch(`${t.url}/api/v1/query`, {
      method: 'OPTIONS',
      headers: {
        Origin: origin,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization,content-type',
      },
    });

  it("allows the server's own origin and Apps Script's, and no one else", async () => {
    for (const origin of [
      new URL(t.url).origin,
      'https://script.google.com',
      'https://n-abc123def-0lu-script.googleusercontent.com',
    ]) {
      const res = await preflight(origin);
      expect(res.status, origin).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
      expect(res.headers.get('access-control-allow-headers')).toContain('Authorization');
    }
    for (const origin of [
      'https://evil.example',
      'https://script.google.com.evil.example',
      'https://googleusercontent.com',
    ]) {
      const res = await preflight(origin);
      expect(res.headers.get('access-control-allow-origin'), origin).toBeNull();
      expect(res.status).toBe(401);
    }
    const real = await query({ sql: 'SELECT 1 AS one' }, { Origin: 'https://script.google.com' });
    expect(real.headers.get('access-control-allow-origin')).toBe('https://script.google.com');
    expect(real.headers.get('access-control-allow-credentials')).toBeNull();
  });
});

describe('GET /api/v1/catalog', () => {
  it('lists every table exact-sync offers, by area, with its endpoint, key, deletes and default', async () => {
    const res = await apiCall(t, readKey, 'GET', '/catalog');
    expect(res.status).toBe(200);
    const tables = res.body.tables as {
      name: string;
      area: string;
      byDefault: boolean;
      path: string;
      strategy: string;
      deletedType: number | null;
    }[];
    expect(tables.length).toBeGreaterThanOrEqual(60);
    const byName = new Map(tables.map((x) => [x.name, x]));
    expect(byName.get('glaccountclassificationmappings')).toMatchObject({
      area: 'Financial',
      byDefault: true,
      path: 'financial/GLAccountClassificationMappings',
      strategy: 'full',
    });
    expect(byName.get('employees')).toMatchObject({
      area: 'HR/Payroll',
      byDefault: false,
      path: 'sync/Payroll/Employees',
      strategy: 'sync',
      deletedType: 42,
    });
    expect(new Set(tables.map((x) => x.area))).toEqual(
      new Set([
        'Financial',
        'CRM',
        'Sales',
        'Purchase',
        'Documents',
        'Inventory',
        'Projects',
        'HR/Payroll',
        'Manufacturing',
      ]),
    );
  });
});
