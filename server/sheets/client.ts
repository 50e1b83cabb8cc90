import { auth, sheets, type sheets_v4 } from '@googleapis/sheets';
import { readFileSync } from 'node:fs';
import { AppError } from '../lib/errors.ts';

/**
 * The Sheets API v4 client of the server-side writeback: a service account (GOOGLE_APPLICATION_CREDENTIALS,
 * its JSON key) with the spreadsheets scope. GOOGLE_SHEETS_URL points it elsewhere than Google (a stand-in
 * in tests). The service account signs its own tokens (self-signed JWT with the scope).
 */
export function sheetsClient(options: {
  credentialsFile: string | undefined;
  rootUrl?: string | undefined;
}): sheets_v4.Sheets | AppError {
  if (!options.credentialsFile) {
    return new AppError(
      'sheets_not_configured',
      'Pushing to Google Sheets needs a service account: set GOOGLE_APPLICATION_CREDENTIALS to its JSON key file, and share each spreadsheet with its e-mail address.',
      { status: 503 },
    );
  }
  let credentials: Record<string, string>;
  try {
    credentials = JSON.parse(readFileSync(options.credentialsFile, 'utf8')) as Record<string, string>;
  } catch (err) {
    return new AppError(
      'sheets_not_configured',
      `GOOGLE_APPLICATION_CREDENTIALS (${options.credentialsFile}) is not a readable service-account JSON key: ${err instanceof Error ? err.message : String(err)}`,
      { status: 503 },
    );
  }
  if (credentials.type !== 'service_account' || !credentials.client_email || !credentials.private_key) {
    return new AppError(
      'sheets_not_configured',
      `GOOGLE_APPLICATION_CREDENTIALS (${options.credentialsFile}) is not a service-account key (it needs type "service_account", client_email and private_key).`,
      { status: 503 },
    );
  }
  // Self-signed JWTs (Google accepts them for its APIs): no token exchange, no extra round trip, and no
  // endpoint besides the Sheets API's own to reach.
  const client = new auth.JWT({
    email: credentials.client_email,
    key: credentials.private_key,
    ...(credentials.private_key_id ? { keyId: credentials.private_key_id } : {}),
    scopes: ['https://www.googleapis.com/auth/spreadsheets'],
  });
  client.useJWTAccessWithScope = true;
  return sheets({
    version: 'v4',
    auth: client,
    ...(options.rootUrl ? { rootUrl: `${options.rootUrl.replace(/\/+$/, '')}/` } : {}),
  });
}
