/**
 * The Excel API the add-in needs: Table.resize is ExcelApi 1.13 (Microsoft's "Excel JavaScript API
 * requirement sets"; 1.13 is in Microsoft 365 and Excel on the web, not in Excel 2016 or 2019). The
 * manifest declares it, so older Excel does not offer the add-in; this check stops a host that loads it
 * anyway before anything is written, with words instead of a failure halfway through a refresh.
 */
export const EXCEL_API = '1.13';

/** Undefined when the host has what the add-in needs, else what to tell the user. */
export function unsupportedHost(supports: (set: string, version: string) => boolean): string | undefined {
  if (supports('ExcelApi', EXCEL_API)) return undefined;
  return `This version of Excel is too old for exact-sync: it needs the Excel JavaScript API ${EXCEL_API} (Microsoft 365, Excel 2021 or later, or Excel on the web). Nothing was changed in this workbook.`;
}
