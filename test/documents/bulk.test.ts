import { describe, expect, it } from 'vitest';
import { parseCsv, parseDocuments } from '../../server/documents/bulk.ts';

describe('parseCsv', () => {
  it.each([
    [
      'plain',
      'Subject,Type\nA,10\nB,10\n',
      [
        { Subject: 'A', Type: '10' },
        { Subject: 'B', Type: '10' },
      ],
    ],
    [
      'quotes, commas, newlines, CRLF',
      'Subject,Body\r\n"Invoice, March","Line 1\nLine ""2"""\r\n',
      [{ Subject: 'Invoice, March', Body: 'Line 1\nLine "2"' }],
    ],
    ['blank lines skipped', 'Subject\n\nA\n\n', [{ Subject: 'A' }]],
    ['header only', 'Subject,Type\n', []],
  ])('%s', (_l, text, want) => {
    expect(parseCsv(text)).toEqual(want);
  });
  it('refuses a row with the wrong number of fields, and an open quote', () => {
    expect(() => parseCsv('A,B\n1\n')).toThrow('CSV row 2 has 1 fields; the header has 2.');
    expect(() => parseCsv('A\n"open\n')).toThrow('ends inside a quoted field');
  });
});

describe('parseDocuments', () => {
  it('makes Type a number and drops empty fields, from CSV and JSON alike', () => {
    expect(parseDocuments('Subject,Type,Body\nA,10,\n', 'csv')).toEqual([{ Subject: 'A', Type: 10 }]);
    expect(parseDocuments('[{"Subject":"A","Type":"10"}]', 'json')).toEqual([{ Subject: 'A', Type: 10 }]);
    expect(() => parseDocuments('{"Subject":"A"}', 'json')).toThrow('array of objects');
  });
});
