import { auth, sheets, type sheets_v4 } from '@googleapis/sheets';
import { createSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AppError } from '../lib/errors.ts';

/**
 * The Sheets API v4 client of the server-side writeback: a service account (GOOGLE_APPLICATION_CREDENTIALS,
 * its JSON key) with the spreadsheets scope. GOOGLE_SHEETS_URL points it elsewhere than Google (a stand-in
 * in tests). The access token comes from the OAuth 2.0 token exchange every Google API accepts (a JWT the
 * service account signs, sent to the key's token_uri: Google, "Using OAuth 2.0 for Server to Server
 * Applications"), not a self-signed JWT used as the token, which Google accepts only for some APIs.
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
  const client = new auth.OAuth2();
  const key = {
    email: credentials.client_email,
    privateKey: credentials.private_key,
    keyId: credentials.private_key_id,
    tokenUri: credentials.token_uri ?? GOOGLE_TOKEN_URI,
  };
  // Asked for when there is no token or it is about to expire (the library calls it and keeps the answer).
  client.refreshHandler = () => serviceAccountToken(key);
  return sheets({
    version: 'v4',
    auth: client,
    ...(options.rootUrl ? { rootUrl: `${options.rootUrl.replace(/\/+$/, '')}/` } : {}),
  });
}

const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token';
export const SHEETS_SCOPE = 'https://www.googleapis.com/auth/spreadsheets';

/**
 * An access token for the service account: a JWT assertion (RS256, its private key; iss, scope, aud =
 * token_uri, an hour at most) exchanged at token_uri with the jwt-bearer grant (RFC 7523).
 */
export async function serviceAccountToken(k: {
  email: string;
  privateKey: string;
  keyId?: string | undefined;
  tokenUri: string;
}): Promise<{ access_token: string; expiry_date: number }> {
  const now = Math.floor(Date.now() / 1000);
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const unsigned = `${b64({ alg: 'RS256', typ: 'JWT', ...(k.keyId ? { kid: k.keyId } : {}) })}.${b64({
    iss: k.email,
    scope: SHEETS_SCOPE,
    aud: k.tokenUri,
    iat: now,
    exp: now + 3600,
  })}`;
  const signature = createSign('RSA-SHA256').update(unsigned).sign(k.privateKey).toString('base64url');
  let res: Response;
  try {
    res = await fetch(k.tokenUri, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        assertion: `${unsigned}.${signature}`,
      }),
    });
  } catch (err) {
    throw new AppError('sheets_auth_failed', `Cannot reach Google's token endpoint ${k.tokenUri}: ${String(err)}`, {
      status: 502,
    });
  }
  const body = (await res.json().catch(() => ({}))) as {
    access_token?: string;
    expires_in?: number;
    error?: string;
    error_description?: string;
  };
  if (!res.ok || !body.access_token)
    throw new AppError(
      'sheets_auth_failed',
      `Google refused the service account's key (${body.error ?? res.status}${body.error_description ? `: ${body.error_description}` : ''}). Check GOOGLE_APPLICATION_CREDENTIALS: the key may have been deleted or disabled.`,
      { status: 502 },
    );
  return { access_token: body.access_token, expiry_date: Date.now() + (body.expires_in ?? 3600) * 1000 };
}
