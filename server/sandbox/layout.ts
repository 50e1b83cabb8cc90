/**
 * How rows group into parents (lines into journal entries or invoices) without storing anything: groups
 * follow a repeating pattern of sizes, and a total that does not end on a pattern boundary puts the rest
 * into the last group (a lone last line joins the group before it, so no entry has a single line).
 */
export interface Layout {
  readonly groups: number;
  readonly lines: number;
  /** The group of line `line` and the line's position in it. */
  locate(line: number): { group: number; pos: number };
  first(group: number): number;
  size(group: number): number;
}

export function layoutOf(pattern: readonly number[], totalLines: number): Layout {
  if (pattern.length === 0 || pattern.some((n) => n < 1)) throw new Error('pattern sizes must be >= 1');
  const prefix = [0];
  for (const n of pattern) prefix.push(prefix[prefix.length - 1]! + n);
  const block = prefix[pattern.length]!;
  const P = pattern.length;
  const naturalLocate = (line: number) => {
    const b = Math.floor(line / block);
    const r = line - b * block;
    let p = 0;
    while (prefix[p + 1]! <= r) p++;
    return { group: b * P + p, pos: r - prefix[p]! };
  };
  const naturalFirst = (g: number) => Math.floor(g / P) * block + prefix[g % P]!;
  const naturalSize = (g: number) => pattern[g % P]!;

  if (totalLines <= 0) {
    return {
      groups: 0,
      lines: 0,
      locate: () => {
        throw new RangeError('empty layout');
      },
      first: naturalFirst,
      size: () => 0,
    };
  }
  const last = naturalLocate(totalLines - 1).group;
  const rest = totalLines - naturalFirst(last);
  const merge = rest === 1 && last > 0 && naturalSize(last) > 1;
  const groups = merge ? last : last + 1;
  return {
    groups,
    lines: totalLines,
    locate(line) {
      if (line < 0 || line >= totalLines) throw new RangeError(`line ${line} outside 0..${totalLines - 1}`);
      if (merge && line === totalLines - 1) return { group: last - 1, pos: naturalSize(last - 1) };
      return naturalLocate(line);
    },
    first: naturalFirst,
    size(g) {
      if (g < 0 || g >= groups) return 0;
      if (merge && g === last - 1) return naturalSize(g) + 1;
      if (!merge && g === last) return rest;
      return naturalSize(g);
    },
  };
}

/** The number of lines that `groups` whole groups of `pattern` hold. */
export function linesFor(pattern: readonly number[], groups: number): number {
  const block = pattern.reduce((a, b) => a + b, 0);
  const full = Math.floor(groups / pattern.length);
  let lines = full * block;
  for (let i = 0; i < groups % pattern.length; i++) lines += pattern[i]!;
  return lines;
}
