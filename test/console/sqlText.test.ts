import { describe, expect, it } from 'vitest';
import {
  addToHistory,
  browseSql,
  columnsInScope,
  errorRange,
  parseHistory,
  sqlName,
  tablesInScope,
  viewNameFor,
  withoutStringsAndComments,
  type HistoryEntry,
  type SqlSchema,
} from '../../console/src/sqlText.ts';

const col = (name: string, type = 'text') => ({ name, type });
const schema: SqlSchema = {
  transactionlines: [col('id', 'uuid'), col('amountdc', 'numeric'), col('glaccount', 'uuid'), col('date', 'date')],
  glaccounts: [col('id', 'uuid'), col('code'), col('description')],
  'Odd "name"': [col('x', 'integer')],
  accounts: [col('id', 'uuid'), col('name')],
};

describe('tablesInScope: the warehouse tables a query reads, for completion', () => {
  it.each([
    ['SELECT * FROM transactionlines', ['transactionlines']],
    ['select * from TransactionLines t where t.amountdc > 0', ['transactionlines']],
    ['SELECT * FROM exact_online.glaccounts', ['glaccounts']],
    ['SELECT * FROM transactionlines AS t JOIN glaccounts g ON g.id = t.glaccount', ['transactionlines', 'glaccounts']],
    [
      'SELECT * FROM transactionlines t, glaccounts, accounts a WHERE true',
      ['transactionlines', 'glaccounts', 'accounts'],
    ],
    ['SELECT * FROM transactionlines LEFT JOIN glaccounts USING (id)', ['transactionlines', 'glaccounts']],
    ['SELECT * FROM glaccounts JOIN glaccounts g2 ON true', ['glaccounts']],
    ['SELECT * FROM "Odd ""name"""', ['Odd "name"']],
    // Quoted names are exact: "Accounts" is not accounts.
    ['SELECT * FROM "Accounts"', []],
    ['SELECT * FROM nowhere', []],
    // Words in strings and comments are not tables.
    ["SELECT 'from accounts' -- join glaccounts\n FROM transactionlines", ['transactionlines']],
    ['SELECT /* from accounts */ 1', []],
    // A query being typed: no FROM yet, or FROM and nothing after it.
    ['SELECT ', []],
    ['SELECT * FROM ', []],
  ])('%s', (sql, tables) => {
    expect(tablesInScope(sql, schema)).toEqual(tables);
  });
});

describe('columnsInScope', () => {
  it("offers the columns of every table read, each name once, with the first table's type", () => {
    const cols = columnsInScope('SELECT  FROM transactionlines JOIN glaccounts ON true', schema);
    expect(cols.map((c) => `${c.table}.${c.name}:${c.type}`)).toEqual([
      'transactionlines.id:uuid',
      'transactionlines.amountdc:numeric',
      'transactionlines.glaccount:uuid',
      'transactionlines.date:date',
      'glaccounts.code:text',
      'glaccounts.description:text',
    ]);
  });
  it('offers none before a table is named', () => {
    expect(columnsInScope('SELECT amo', schema)).toEqual([]);
  });
});

describe('withoutStringsAndComments', () => {
  it.each([
    ["a 'b''c' d", `a${' '.repeat(8)}d`],
    ['a -- b\nc', 'a     \nc'],
    ['a /* b\n c */ d', 'a     \n      d'],
    ["a 'unclosed", 'a          '],
  ])('%j', (sql, blanked) => {
    expect(withoutStringsAndComments(sql)).toBe(blanked);
    expect(withoutStringsAndComments(sql)).toHaveLength(sql.length);
  });
});

describe("errorRange: the stretch to mark for PostgreSQL's position", () => {
  const mark = (text: string, position: number) => {
    const r = errorRange(text, position);
    return r && text.slice(r.from, r.to);
  };
  it.each([
    // [editor text, position PostgreSQL gave (of the trimmed SQL), marked text]
    ['SELECT nam FROM t', 8, 'nam'],
    ['\n\n  SELECT nam FROM t', 8, 'nam'],
    ['SELECT a FROM t WHER x = 1', 22, 'x'],
    ['SELECT * FROM t WHERE (', 23, '('],
    // Past the end ("syntax error at end of input"): the last character.
    ['SELECT * FROM t WHERE', 22, 'E'],
    ['SELECT * FROM t WHERE   \n', 40, 'E'],
    // Characters, not UTF-16 units: an emoji before the place counts once.
    ["SELECT '😀', bad FROM t", 13, 'bad'],
    ['SELECT ünï FROM t', 8, 'ünï'],
    ['SELECT "Odd col" FROM t', 8, '"Odd col"'],
    ['SELECT 1 +* 2', 11, '*'],
  ])('%j at %i', (text, position, marked) => {
    expect(mark(text, position)).toBe(marked);
  });
  it.each([
    ['SELECT 1', 0],
    ['SELECT 1', -3],
    ['SELECT 1', 1.5],
    ['   ', 1],
  ])('nothing for %j at %d', (text, position) => {
    expect(errorRange(text, position)).toBeUndefined();
  });
});

describe('history', () => {
  const entry = (sql: string, connection = 1, outcome = '3 rows'): HistoryEntry => ({
    sql,
    connection,
    at: '2026-11-29T10:00:00Z',
    outcome,
  });
  it('puts the latest run first, keeps one of the same SQL per connection, and at most `keep`', () => {
    let h: HistoryEntry[] = [];
    h = addToHistory(h, entry('SELECT 1'));
    h = addToHistory(h, entry('SELECT 2'));
    h = addToHistory(h, entry(' SELECT 1 ', 1, 'query_syntax'));
    h = addToHistory(h, entry('SELECT 1', 2));
    expect(h.map((e) => `${e.connection}:${e.sql.trim()}:${e.outcome}`)).toEqual([
      '2:SELECT 1:3 rows',
      '1:SELECT 1:query_syntax',
      '1:SELECT 2:3 rows',
    ]);
    for (let i = 0; i < 10; i++) h = addToHistory(h, entry(`SELECT ${i + 10}`), 5);
    expect(h.map((e) => e.sql)).toEqual(['SELECT 19', 'SELECT 18', 'SELECT 17', 'SELECT 16', 'SELECT 15']);
  });
  it('reads back only what it wrote', () => {
    const good = entry('SELECT 1');
    expect(parseHistory(JSON.stringify([good]))).toEqual([good]);
    expect(parseHistory(JSON.stringify([good, { sql: 1 }, null, 'x', { ...good, connection: '1' }]))).toEqual([good]);
    expect(parseHistory('{not json')).toEqual([]);
    expect(parseHistory('{"sql":"x"}')).toEqual([]);
    expect(parseHistory(null)).toEqual([]);
  });
});

describe('sqlName and browseSql', () => {
  it.each([
    ['amountdc', 'amountdc'],
    ['_x$1', '_x$1'],
    ['Amount', '"Amount"'],
    ['2fa', '"2fa"'],
    ['odd "name"', '"odd ""name"""'],
    ['order', '"order"'],
    ['user', '"user"'],
    ['date', 'date'],
  ])('%j → %s', (name, typed) => {
    expect(sqlName(name)).toBe(typed);
  });
  it('opens a table with its shown columns and order', () => {
    expect(browseSql('transactionlines', undefined, undefined)).toBe('SELECT *\nFROM transactionlines\nLIMIT 1000');
    expect(browseSql('My table', ['id', 'Amount'], { column: 'Amount', desc: true })).toBe(
      'SELECT id, "Amount"\nFROM "My table"\nORDER BY "Amount" DESC\nLIMIT 1000',
    );
  });
});

describe('viewNameFor', () => {
  it.each([
    ['Totals per period', 'totals_per_period'],
    ['Omzet  per klant (€)', 'omzet_per_klant'],
    ['Crème brûlée', 'creme_brulee'],
    ['2026 budget', 'q_2026_budget'],
    ['---', 'report'],
    ['x'.repeat(70), 'x'.repeat(63)],
    [`${'a'.repeat(62)} b`, 'a'.repeat(62)],
  ])('%j → %s', (name, view) => {
    expect(viewNameFor(name)).toBe(view);
    expect(viewNameFor(name)).toMatch(/^[a-z_][a-z0-9_]{0,62}$/);
  });
});
