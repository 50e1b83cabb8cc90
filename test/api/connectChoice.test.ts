import { describe, expect, it } from 'vitest';
import { parseConnectChoice } from '../../server/api/routes/connect.ts';

describe('parseConnectChoice', () => {
  it.each([
    [{}, { country: 'nl', startYear: null, tables: null }],
    [
      { country: 'be', start_year: '2024' },
      { country: 'be', startYear: 2024, tables: null },
    ],
    [
      { country: 'co.uk', start_year: '', tables: ' accounts, glaccounts ,' },
      { country: 'co.uk', startYear: null, tables: ['accounts', 'glaccounts'] },
    ],
  ])('%j → %j', (query, choice) => {
    expect(parseConnectChoice(query, 2026)).toEqual({ ok: true, choice });
  });

  it.each([
    [{ country: 'xx' }, 'Unknown country', 'Choose one of: nl, be, de, co.uk, com, es, fr.'],
    [{ start_year: '2027' }, 'Invalid starting year', '(got "2027")'],
    [{ start_year: '2024.5' }, 'Invalid starting year', 'to 2026'],
    [{ start_year: '1999' }, 'Invalid starting year', 'got "1999"'],
    [{ tables: 'accounts,nope' }, 'Unknown tables', 'exact-sync has no table nope.'],
  ])('%j is refused: %s', (query, title, part) => {
    const r = parseConnectChoice(query, 2026);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.title).toBe(title);
    expect(r.message).toContain(part);
  });
});
