/**
 * Starter models: the views a finance team builds on day one, published on request (API, CLI, console)
 * as views in the reports schema like any other. Each reads only synced tables of the connection's
 * warehouse (names resolve there), keeps every division apart, and loses nothing: a ledger line whose
 * account has no classification still counts, under an empty one. Their totals are tested against the
 * sandbox's own rows (test/sync/starterModels.test.ts).
 */

export interface StarterModel {
  /** The view's name in the reports schema. */
  name: string;
  title: string;
  description: string;
  /** Warehouse tables it reads: publishing needs them synced. */
  tables: readonly string[];
  sql: string;
}

// Every ledger line with its account's reporting classification in the division's main scheme (when it has one).
const CLASSIFIED_LINES = `
  FROM transactionlines tl
  JOIN glaccounts ga ON ga.id = tl.glaccount AND ga.division = tl.division
  LEFT JOIN (
    SELECT m.division, m.glaccount, c.code, c.description
    FROM glaccountclassificationmappings m
    JOIN glschemes s ON s.id = m.glschemeid AND s.division = m.division AND s.main = 1
    JOIN glclassifications c ON c.id = m.classification AND c.division = m.division
  ) cl ON cl.glaccount = ga.id AND cl.division = ga.division`;

// Days past the due date on the day the view is read, in buckets as credit controllers use them.
const AGEING = (table: string) => `
SELECT division, trim(accountcode) AS account_code, accountname AS account_name, invoicenumber AS invoice_number,
       entrynumber AS entry_number, invoicedate AS invoice_date, duedate AS due_date, amount,
       greatest(current_date - duedate, 0) AS days_overdue,
       CASE
         WHEN duedate IS NULL OR duedate >= current_date THEN 'not due'
         WHEN current_date - duedate <= 30 THEN '1-30'
         WHEN current_date - duedate <= 60 THEN '31-60'
         WHEN current_date - duedate <= 90 THEN '61-90'
         ELSE '90+'
       END AS ageing_bucket
FROM ${table}`;

export const STARTER_MODELS: readonly StarterModel[] = [
  {
    name: 'pl_by_month',
    title: 'Profit and loss by month, classification and cost centre',
    description:
      'The result accounts (balance type W) per financial year and period, reporting classification of the main scheme, cost centre and G/L account. Amounts as booked: revenue negative, costs positive.',
    tables: ['transactionlines', 'glaccounts', 'glaccountclassificationmappings', 'glschemes', 'glclassifications'],
    sql: `SELECT tl.division, tl.financialyear AS year, tl.financialperiod AS period,
       coalesce(cl.code, '') AS classification, cl.description AS classification_name,
       coalesce(tl.costcenter, '') AS costcenter, ga.code AS glaccount, ga.description AS glaccount_name,
       sum(tl.amountdc) AS amount
${CLASSIFIED_LINES}
WHERE ga.balancetype = 'W'
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8`,
  },
  {
    name: 'balance_by_month',
    title: 'Balance sheet by month and classification',
    description:
      'The balance accounts (balance type B) per financial year and period: the movement in the period and the balance at its end (all periods so far), per reporting classification and G/L account.',
    tables: ['transactionlines', 'glaccounts', 'glaccountclassificationmappings', 'glschemes', 'glclassifications'],
    sql: `SELECT division, year, period, classification, classification_name, glaccount, glaccount_name, movement,
       sum(movement) OVER (PARTITION BY division, glaccount ORDER BY year, period) AS balance
FROM (
  SELECT tl.division, tl.financialyear AS year, tl.financialperiod AS period,
         coalesce(cl.code, '') AS classification, cl.description AS classification_name,
         ga.code AS glaccount, ga.description AS glaccount_name, sum(tl.amountdc) AS movement
${CLASSIFIED_LINES}
  WHERE ga.balancetype = 'B'
  GROUP BY 1, 2, 3, 4, 5, 6, 7
) moves`,
  },
  {
    name: 'receivables_ageing',
    title: 'Open receivables with ageing buckets',
    description:
      "Exact's outstanding receivables, one row per open item, with the days past due and the bucket (not due, 1-30, 31-60, 61-90, 90+) on the day it is read.",
    tables: ['receivableslist'],
    sql: AGEING('receivableslist'),
  },
  {
    name: 'payables_ageing',
    title: 'Open payables with ageing buckets',
    description:
      "Exact's outstanding payables, one row per open item, with the days past due and the bucket (not due, 1-30, 31-60, 61-90, 90+) on the day it is read.",
    tables: ['payableslist'],
    sql: AGEING('payableslist'),
  },
  {
    name: 'revenue_by_customer_month',
    title: 'Revenue by customer and month',
    description:
      'Revenue (the revenue G/L accounts, type 110) per customer and financial year and period, as a positive amount; lines without a customer under an empty code.',
    tables: ['transactionlines', 'glaccounts'],
    sql: `SELECT tl.division, tl.financialyear AS year, tl.financialperiod AS period,
       coalesce(trim(tl.accountcode), '') AS customer_code, tl.accountname AS customer_name,
       -sum(tl.amountdc) AS revenue
FROM transactionlines tl
JOIN glaccounts ga ON ga.id = tl.glaccount AND ga.division = tl.division
WHERE ga.type = 110
GROUP BY 1, 2, 3, 4, 5`,
  },
];

export const STARTER_BY_NAME = new Map(STARTER_MODELS.map((m) => [m.name, m]));
