/** The menu: each section's path (under /) and its name. */
export const SECTIONS = [
  ['connections', 'Connections'],
  ['data', 'Data'],
  ['sql', 'SQL'],
  ['views', 'Views'],
  ['runs', 'Runs'],
  ['api-keys', 'API keys'],
  ['bi-users', 'BI users'],
  ['sheets', 'Google Sheets'],
] as const;
