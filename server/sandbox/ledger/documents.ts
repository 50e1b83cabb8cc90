import { guidAt } from '../ids.ts';
import type { Row } from '../model.ts';
import type { LedgerCore } from './core.ts';
import type { salesInvoices } from './sales.ts';

/** Documents: one per second sales invoice, each with its PDF. */

/** Documents and their attachments. */
export function invoiceDocuments(c: LedgerCore, sales: ReturnType<typeof salesInvoices>) {
  const { o, ids, audit } = c;
  const { invoiceRow } = sales;
  const documentRow = (d: number): Row => {
    const invoice = invoiceRow(d * 2);
    const day = invoice.InvoiceDate as number;
    return {
      ID: guidAt(ids.document, d),
      Subject: `Invoice ${invoice.InvoiceNumber}`,
      Type: 10,
      TypeDescription: 'Sales invoice',
      DocumentDate: day,
      Account: invoice.InvoiceTo,
      AccountName: invoice.InvoiceToName,
      HID: d + 1,
      FinancialTransactionEntryID: invoice.InvoiceID,
      SalesInvoiceNumber: invoice.InvoiceNumber,
      Currency: 'EUR',
      AmountFC: invoice.AmountFC,
      Body: null,
      HasEmptyBody: true,
      Language: 'NL',
      ...audit(day, d + 200_000),
    };
  };
  const attachmentRow = (d: number): Row => {
    const doc = documentRow(d);
    return {
      ID: guidAt(ids.attachment, d),
      Document: doc.ID,
      FileName: `${String(doc.Subject).replace(/\s+/g, '-').toLowerCase()}.pdf`,
      FileSize: attachmentBytes(d).length,
      Attachment: null,
    };
  };
  const attachmentBytes = (d: number) =>
    Buffer.from(`%PDF-1.4\n% exact-sync sandbox: invoice document ${d + 1} of division ${o.division}\n%%EOF\n`);
  return { documentRow, attachmentRow, attachmentBytes };
}
