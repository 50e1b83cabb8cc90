import { guidAt, mix } from '../ids.ts';
import { CHART } from '../ledgerData.ts';
import type { Row } from '../model.ts';
import type { LedgerCore } from './core.ts';
import { CLASSIFICATIONS } from './reference.ts';

/**
 * Reporting and dimensions of a generated administration: the GL reporting scheme, the mapping of every GL
 * account onto its classification (so glaccounts join glclassifications, as Exact's
 * financial/GLAccountClassificationMappings lets them), and the cost centres and cost units that
 * transaction lines name by code (CostCenter, CostUnit are codes on TransactionLines: docs/exact-online.md 9).
 */

export const COST_CENTERS: readonly [string, string][] = [
  ['100', 'Management'],
  ['200', 'Sales'],
  ['300', 'Operations'],
  ['400', 'IT'],
  ['500', 'Finance'],
];

export const COST_UNITS: readonly [string, string][] = [
  ['P10', 'Product line installations'],
  ['P20', 'Product line maintenance'],
  ['P30', 'Product line consultancy'],
];

/** The scheme every mapping belongs to (one, marked main). */
const SCHEME = { code: 'RGS', description: 'Reporting scheme (balance sheet and profit and loss)' };

/** The classification (index in CLASSIFICATIONS) of a GL account, by its type and balance (docs/exact-online.md 9). */
export function classificationOf(type: number, balance: 'B' | 'W'): number {
  const at = (code: string) => CLASSIFICATIONS.findIndex(([c]) => c === code);
  if (balance === 'B') {
    if (type === 30 || type === 35 || type === 32) return at('B.1');
    if (type === 50 || type === 52) return at('B.3');
    if ([22, 24, 25, 27, 29, 55, 60, 100].includes(type)) return at('B.4');
    return at('B.2');
  }
  if (type === 110) return at('W.1');
  if (type === 111) return at('W.2');
  if (type === 125 || type === 126) return at('W.3');
  if (type === 160 || type === 140) return at('W.5');
  return at('W.4');
}

/**
 * The cost centre and cost unit of a transaction line (index `j`) on a P&L account: most lines carry a
 * cost centre, about half a cost unit; balance-sheet lines carry neither.
 */
export function lineDimensions(
  seed: number,
  j: number,
  balance: 'B' | 'W',
): { center: readonly [string, string] | null; unit: readonly [string, string] | null } {
  if (balance !== 'W') return { center: null, unit: null };
  const h = mix(seed ^ 0x5bd1e995, j);
  return {
    center: h % 10 === 0 ? null : COST_CENTERS[h % COST_CENTERS.length]!,
    unit: (h >>> 4) % 2 === 0 ? COST_UNITS[(h >>> 8) % COST_UNITS.length]! : null,
  };
}

export function dimensions(c: LedgerCore) {
  const { ids, audit, startDay } = c;
  const schemeId = guidAt(ids.scheme, 0);
  const schemeRow = (): Row => ({
    ID: schemeId,
    Code: SCHEME.code,
    Description: SCHEME.description,
    Main: 1,
    TargetNamespace: null,
    ...audit(startDay, 70),
  });
  const mappingRow = (i: number): Row => {
    const [code, description, type, balance] = CHART[i]!;
    const k = classificationOf(type, balance);
    const [classCode, className] = CLASSIFICATIONS[k]!;
    const { Division } = audit(startDay, 0);
    return {
      ID: guidAt(ids.mapping, i),
      Classification: guidAt(ids.classification, k),
      ClassificationCode: classCode,
      ClassificationDescription: className,
      Division,
      GLAccount: guidAt(ids.gl, i),
      GLAccountCode: code,
      GLAccountDescription: description,
      GLSchemeCode: SCHEME.code,
      GLSchemeDescription: SCHEME.description,
      GLSchemeID: schemeId,
    };
  };
  const dimensionRow =
    (list: readonly (readonly [string, string])[], prefix: string, n: number) =>
    (i: number): Row => {
      const [code, description] = list[i]!;
      return { ID: guidAt(prefix, i), Code: code, Description: description, EndDate: null, ...audit(startDay, n + i) };
    };
  return {
    schemeRow,
    mappingRow,
    costCenterRow: dimensionRow(COST_CENTERS, ids.costCenter, 80),
    costUnitRow: dimensionRow(COST_UNITS, ids.costUnit, 90),
  };
}
