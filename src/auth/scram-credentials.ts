// SCRAM (RFC 5802 / RFC 7677) server credentials derived from a password when it is set:
// the broker keeps StoredKey and ServerKey, never the password or the salted password.

import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

export type ScramHash = 'sha256' | 'sha512';

export interface ScramCredentials {
  /** base64 */
  salt: string;
  iterations: number;
  /** base64 H(ClientKey) */
  storedKey: string;
  /** base64 HMAC(SaltedPassword, "Server Key") */
  serverKey: string;
}

export const SCRAM_ITERATIONS = 4096;

// NOTE: SASLprep normalisation (RFC 4013) is not applied; passwords are used as their UTF-8 bytes,
// which is what clients do for ASCII passwords.
export function scramCredentials(hash: ScramHash, password: string, iterations = SCRAM_ITERATIONS, salt = randomBytes(16)): ScramCredentials {
  const length = hash === 'sha256' ? 32 : 64;
  const saltedPassword = pbkdf2Sync(password, salt, iterations, length, hash);
  const clientKey = createHmac(hash, saltedPassword).update('Client Key').digest();
  return {
    salt: salt.toString('base64'),
    iterations,
    storedKey: createHash(hash).update(clientKey).digest('base64'),
    serverKey: createHmac(hash, saltedPassword).update('Server Key').digest('base64'),
  };
}
