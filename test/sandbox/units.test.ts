import { describe, expect, it } from 'vitest';
import { createClock } from '../../server/sandbox/clock.ts';
import { FilterError, matches, parseFilter, timestampLowerBound } from '../../server/sandbox/filter.ts';
import { compareSqlGuid, guidAt, guidPrefix, indexOfGuid } from '../../server/sandbox/ids.ts';
import { layoutOf, linesFor } from '../../server/sandbox/layout.ts';
import { amsterdamOffsetSeconds, toExactLocal } from '../../server/sandbox/localTime.ts';
import { entity } from '../../server/sandbox/model.ts';
import { createLedger } from '../../server/sandbox/ledger.ts';
import { newBudget, rateLimitHeaders, spend } from '../../server/sandbox/rateLimit.ts';

describe('layoutOf: lines grouped into entries without storing them', () => {
  it.each([
    // pattern, total lines, expected group sizes
    [[2, 3], 10, [2, 3, 2, 3]],
    [[2, 3], 11, [2, 3, 2, 4]], // a lone last line joins the entry before it
    [[2, 3], 12, [2, 3, 2, 3, 2]],
    [[2, 3], 13, [2, 3, 2, 3, 3]], // the last group is cut short
    [[1, 2, 3, 4], 10, [1, 2, 3, 4]],
    [[2], 2, [2]],
    [[2, 3, 4, 3, 2, 4], 100, null],
  ])('%j over %i lines', (pattern, total, sizes) => {
    const layout = layoutOf(pattern, total);
    const got = Array.from({ length: layout.groups }, (_, g) => layout.size(g));
    if (sizes) expect(got).toEqual(sizes);
    expect(got.reduce((a, b) => a + b, 0)).toBe(total);
    // Every line maps to a group and a position consistent with first() and size().
    const seen = new Map<number, number[]>();
    for (let line = 0; line < total; line++) {
      const { group, pos } = layout.locate(line);
      expect(pos).toBeLessThan(layout.size(group));
      seen.set(group, [...(seen.get(group) ?? []), pos]);
    }
    for (const [g, positions] of seen) expect(positions).toEqual(Array.from({ length: layout.size(g) }, (_, i) => i));
  });

  it('refuses lines outside the layout', () => {
    expect(() => layoutOf([2, 3], 5).locate(5)).toThrow(RangeError);
  });

  it('counts the lines of whole groups', () => {
    expect(linesFor([1, 2, 3, 4], 6)).toBe(10 + 1 + 2);
  });
});

describe('GUIDs of generated rows', () => {
  const prefix = guidPrefix(1, 100, 'TransactionLines');
  it('sort in index order under SQL Server rules and give their index back', () => {
    const ids = [0, 1, 2, 65535, 65536, 1_000_000, 4_000_000_000].map((i) => guidAt(prefix, i));
    for (let i = 1; i < ids.length; i++) expect(compareSqlGuid(ids[i - 1]!, ids[i]!)).toBe(-1);
    expect(ids.map((id) => indexOfGuid(prefix, id))).toEqual([0, 1, 2, 65535, 65536, 1_000_000, 4_000_000_000]);
    expect(indexOfGuid(prefix, guidAt(guidPrefix(1, 100, 'Accounts'), 5))).toBeUndefined();
    expect(indexOfGuid(prefix, 'not a guid')).toBeUndefined();
  });
  it('look like version-4 GUIDs', () => {
    expect(guidAt(prefix, 12345)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('$filter parsing and evaluation', () => {
  const accounts = entity('Accounts');
  const row = {
    ID: 'a58c29d9-ef92-40f1-b817-31b36990898c',
    Name: "O'Brien B.V.",
    Code: '              1000',
    Status: 'C',
    Blocked: false,
    Modified: Date.UTC(2024, 5, 1, 12),
    CreditLineSales: 2500,
    Email: null,
  };
  const check = (text: string) => matches(parseFilter(text, accounts.fieldByLower, accounts.type), row);

  it.each([
    ["Name eq 'O''Brien B.V.'", true],
    ["name eq 'o''brien b.v.'", true], // case-insensitive names and comparison, as SQL Server
    ["Name ne 'x' and Status eq 'C'", true],
    ["Status eq 'S' or Status eq 'C'", true],
    ["not (Status eq 'C')", false],
    ["ID eq guid'A58C29D9-EF92-40F1-B817-31B36990898C'", true],
    ["Modified ge datetime'2024-06-01'", true],
    ["Modified gt datetime'2024-06-01T12:00:00'", false],
    ['CreditLineSales gt 2000 and CreditLineSales le 2500', true],
    ['Blocked eq false', true],
    ['Email eq null', true],
    ["Email ne 'x'", true],
    ["Code eq '1000'", false],
    ["trim(Code) eq '1000'", true],
    ["substringof('brien', Name)", true],
    ["startswith(Name, 'O''B') and endswith(Name, 'V.')", true],
    ["tolower(Status) eq 'c'", true],
  ])('%s → %s', (text, expected) => {
    expect(check(text)).toBe(expected);
  });

  it.each([
    ['Nope eq 1', "Property 'Nope' does not exist"],
    ["Name eq 'x", 'unterminated string'],
    ['Name eq', 'ends too early'],
    ["Name eq 'x' garbage", 'Error in query syntax'],
    ["ID eq guid'xyz'", "Unrecognized 'Edm.Guid' literal"],
    ["Modified gt datetime'yesterday'", "Unrecognized 'Edm.DateTime' literal"],
    ['trim(Name, Code) eq 1', 'takes 1 argument'],
    ['BankAccounts eq 1', "Property 'BankAccounts' does not exist"],
  ])('refuses %s', (text, message) => {
    expect(() => parseFilter(text, accounts.fieldByLower, accounts.type)).toThrow(FilterError);
    expect(() => parseFilter(text, accounts.fieldByLower, accounts.type)).toThrow(message);
  });

  it('finds the Timestamp a sync query starts from', () => {
    const deleted = entity('Deleted');
    const lb = (t: string) => timestampLowerBound(parseFilter(t, deleted.fieldByLower, deleted.type));
    expect(lb('Timestamp gt 10000000005L')).toBe(10000000006);
    expect(lb('Timestamp ge 7 and EntityType eq 2')).toBe(7);
    expect(lb('EntityType eq 2 and Timestamp gt 1')).toBe(2);
    expect(lb('Timestamp gt 5 or EntityType eq 2')).toBe(0);
  });
});

describe('rate-limit budget', () => {
  const limits = { minutely: 2, daily: 3 };
  const t0 = Date.UTC(2026, 10, 24, 8, 18, 25);

  it('counts per clock minute and per UTC day, the daily limit first', () => {
    const b = newBudget();
    expect(spend(b, limits, t0)).toMatchObject({
      allowed: true,
      remaining: { minutely: 1, daily: 2 },
      reset: { minutely: Date.UTC(2026, 10, 24, 8, 19), daily: Date.UTC(2026, 10, 25) },
    });
    expect(spend(b, limits, t0 + 1000)).toMatchObject({ allowed: true, remaining: { minutely: 0, daily: 1 } });
    expect(spend(b, limits, t0 + 2000)).toMatchObject({ allowed: false, kind: 'minutely' });
    expect(spend(b, limits, t0 + 35_000)).toMatchObject({ allowed: true, remaining: { minutely: 1, daily: 0 } });
    expect(spend(b, limits, t0 + 36_000)).toMatchObject({ allowed: false, kind: 'daily' });
    expect(spend(b, limits, Date.UTC(2026, 10, 25, 0, 0, 1))).toMatchObject({ allowed: true, remaining: { daily: 2 } });
  });

  it('writes only the headers of the limit that was hit', () => {
    const b = newBudget();
    spend(b, limits, t0);
    spend(b, limits, t0);
    const h = rateLimitHeaders(spend(b, limits, t0), limits, (ms) => ms);
    expect(h).toEqual({
      'X-RateLimit-Minutely-Limit': '2',
      'X-RateLimit-Minutely-Remaining': '0',
      'X-RateLimit-Minutely-Reset': String(Date.UTC(2026, 10, 24, 8, 19)),
    });
  });
});

describe('clock and local time', () => {
  it('runs at its time scale and moves when told', () => {
    let real = 1_000_000;
    const clock = createClock({ start: 5_000, timeScale: 30, realNow: () => real });
    real += 2000;
    expect(clock.now()).toBe(5_000 + 60_000);
    clock.advance(1000);
    expect(clock.now()).toBe(66_000);
    expect(clock.toRealMs(60_000)).toBe(2000);
  });

  it('maps a sandbox instant to the real moment it is reached, the same whenever asked', () => {
    let real = 1_000_000;
    const clock = createClock({ start: 5_000, timeScale: 30, realNow: () => real });
    // 60 sandbox seconds ahead are 2 real seconds ahead.
    expect(clock.toRealEpoch(65_000)).toBe(1_002_000);
    real += 1500;
    expect(clock.toRealEpoch(65_000)).toBe(1_002_000);
    // Moving sandbox time forward brings the instant nearer in real time.
    clock.advance(30_000);
    expect(clock.toRealEpoch(65_000)).toBe(1_001_000);
    clock.set(0);
    expect(clock.toRealEpoch(60_000)).toBe(1_003_500);
  });

  it('writes Amsterdam wall-clock time, summer and winter', () => {
    expect(amsterdamOffsetSeconds(Date.UTC(2026, 5, 25, 14, 16, 40))).toBe(7200);
    expect(amsterdamOffsetSeconds(Date.UTC(2026, 0, 15, 12))).toBe(3600);
    // The recorded example (docs/exact-online.md 4.6): POSTed at 14:16:40Z, Created came back as 16:16:40 "UTC".
    expect(toExactLocal(Date.UTC(2026, 5, 25, 14, 16, 40))).toBe(Date.UTC(2026, 5, 25, 16, 16, 40));
  });
});

describe('generated rows of the entities no hand-written module makes (ledger/generic.ts)', () => {
  const ledger = createLedger({ seed: 3, division: 123456, lines: 400, endLocal: Date.UTC(2026, 5, 30, 12) });
  const rows = (name: string) => {
    const g = ledger.entities.get(name) ?? ledger.generic(entity(name));
    return Array.from({ length: g.count }, (_, i) => g.row(i));
  };

  it('gives each row the key the store finds it by, the division, and the same values every time', () => {
    const projects = rows('Projects');
    expect(projects.length).toBeGreaterThan(0);
    const prefix = guidPrefix(3, 123456, 'Projects');
    projects.forEach((p, i) => expect(p.ID).toBe(guidAt(prefix, i)));
    expect(projects.every((p) => p.Division === 123456)).toBe(true);
    expect(rows('Projects')).toEqual(projects);
  });

  it('points a field named after an entity at a row of that entity', () => {
    const accounts = new Set(rows('Accounts').map((a) => a.ID));
    const items = new Set(rows('Items').map((a) => a.ID));
    const quotationLines = rows('QuotationLines');
    expect(quotationLines.some((l) => l.Item !== null)).toBe(true);
    for (const l of quotationLines) if (l.Item !== null) expect(items.has(l.Item)).toBe(true);
    const projects = rows('Projects');
    for (const p of projects)
      if (p.Account !== null && p.Account !== undefined) expect(accounts.has(p.Account)).toBe(true);
    // A line names its parent through the parent's navigation (SalesEntries → SalesEntryLines.EntryID).
    const entries = new Set(rows('SalesEntries').map((e) => e.EntryID));
    for (const l of rows('SalesEntryLines')) expect(entries.has(l.EntryID)).toBe(true);
  });

  it('writes calendar dates as local midnights and moments within office hours', () => {
    for (const p of rows('Projects')) {
      if (typeof p.StartDate === 'number') expect(p.StartDate % 86_400_000).toBe(0);
      expect(typeof p.Modified).toBe('number');
      const hour = new Date(p.Modified as number).getUTCHours();
      expect(hour).toBeGreaterThanOrEqual(8);
      expect(hour).toBeLessThan(17);
    }
  });
});
