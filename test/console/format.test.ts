import { describe, expect, it } from 'vitest';
import { counted } from '../../console/src/format.ts';

describe('counted', () => {
  it.each([
    [0, 'event', '0 events'],
    [1, 'event', '1 event'],
    [2, 'subscription', '2 subscriptions'],
    [1234, 'call', `${(1234).toLocaleString()} calls`], // the browser's own digit grouping
  ] as const)('%d %s → %s', (n, noun, want) => {
    expect(counted(n, noun)).toBe(want);
  });
});
