/**
 * One Exact Online host per country; apps, tokens and divisions do not move between them
 * (docs/exact-online.md 2). OAuth and the REST API live on the same host.
 */
export const EXACT_HOSTS = {
  nl: 'https://start.exactonline.nl',
  be: 'https://start.exactonline.be',
  de: 'https://start.exactonline.de',
  'co.uk': 'https://start.exactonline.co.uk',
  com: 'https://start.exactonline.com',
  es: 'https://start.exactonline.es',
  fr: 'https://start.exactonline.fr',
} as const;

export type Country = keyof typeof EXACT_HOSTS;

export const COUNTRIES = Object.keys(EXACT_HOSTS) as Country[];

export function isCountry(value: string): value is Country {
  return Object.hasOwn(EXACT_HOSTS, value);
}

/** The base URL for a country, unless EXACT_BASE_URL overrides it (sandbox, tests, proxies). */
export function baseUrlFor(country: Country, override: string | undefined): string {
  return (override ?? EXACT_HOSTS[country]).replace(/\/+$/, '');
}

export const AUTH_PATH = '/api/oauth2/auth';
export const TOKEN_PATH = '/api/oauth2/token';

/** The Exact app this server acts as: its App Center credentials and where each country's Exact lives. */
export interface ExactApp {
  clientId: string;
  clientSecret: string;
  /** Verifies webhook deliveries (HMAC key); unset: webhooks are not received. */
  webhookSecret?: string | undefined;
  baseUrlFor(country: Country): string;
}
