import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { AppError } from './errors.ts';

/**
 * Secrets at rest (Exact tokens, client secrets, service-account keys) are sealed with AES-256-GCM.
 * A sealed value is text: `v1.<iv>.<tag>.<ciphertext>`, each part base64url. The optional `context`
 * is authenticated but not stored (e.g. "connection:3:refresh_token"), so a sealed value copied into
 * another row or column does not decrypt there.
 */
export interface SecretBox {
  seal(plaintext: string, context?: string): string;
  open(sealed: string, context?: string): string;
}

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32)
    throw new AppError('invalid_secret_key', `The secret key must be 32 bytes (got ${key.length})`);
  const keyCopy = Buffer.from(key);

  return {
    seal(plaintext, context = '') {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', keyCopy, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [VERSION, iv.toString('base64url'), tag.toString('base64url'), ciphertext.toString('base64url')].join('.');
    },

    open(sealed, context = '') {
      const parts = sealed.split('.');
      const [version, ivText, tagText, ctText] = parts;
      if (
        parts.length !== 4 ||
        version !== VERSION ||
        ivText === undefined ||
        tagText === undefined ||
        ctText === undefined
      ) {
        throw new AppError(
          'secret_malformed',
          'A stored secret is not in the expected format; it may have been altered',
        );
      }
      const iv = Buffer.from(ivText, 'base64url');
      const tag = Buffer.from(tagText, 'base64url');
      if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
        throw new AppError(
          'secret_malformed',
          'A stored secret is not in the expected format; it may have been altered',
        );
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', keyCopy, iv, { authTagLength: TAG_BYTES });
        decipher.setAAD(Buffer.from(context, 'utf8'));
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(Buffer.from(ctText, 'base64url')), decipher.final()]).toString('utf8');
      } catch (cause) {
        throw new AppError(
          'secret_undecryptable',
          'A stored secret cannot be decrypted: SECRET_KEY (or data/secret.key) is not the key it was encrypted with, or the stored value was altered',
          { cause },
        );
      }
    },
  };
}

/** SHA-256 of a secret (API keys, session cookies, OAuth states): what is stored instead of it. */
export const hashSecret = (secret: string): Buffer => createHash('sha256').update(secret, 'utf8').digest();
