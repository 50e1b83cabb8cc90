import { randomInt, timingSafeEqual } from 'node:crypto';

/**
 * The first start's way in: a short code printed in the server's output, with which the console lets
 * whoever can read that output choose the admin password. It lives in this process only and works once.
 */
const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

export class SetupCode {
  readonly code: string;
  private used = false;

  constructor() {
    const chars = Array.from({ length: 8 }, () => ALPHABET[randomInt(ALPHABET.length)]!);
    this.code = `${chars.slice(0, 4).join('')}-${chars.slice(4).join('')}`;
  }

  /** True once, for the right code (case, spaces and dashes do not matter). */
  redeem(given: string): boolean {
    if (this.used) return false;
    const norm = (s: string) => Buffer.from(s.toUpperCase().replace(/[\s-]/g, ''));
    const a = norm(given);
    const b = norm(this.code);
    if (a.length !== b.length || !timingSafeEqual(a, b)) return false;
    this.used = true;
    return true;
  }
}
