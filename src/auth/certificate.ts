// Client certificate authentication: on a tls/wss listener with mutual TLS, the verified client
// certificate is the identity — its CN (default) or full subject becomes the username. Clients
// without a certificate are left to the next authenticator.

import { ReasonCode } from '../codec/constants.js';
import type { CertificateAuthenticatorConfig } from '../config/types.js';
import type { AuthenticateRequest, AuthenticateResult } from '../hooks/events.js';
import type { Authenticator } from './authenticator.js';

export class CertificateAuthenticator implements Authenticator {
  readonly name = 'certificate';
  constructor(private readonly config: CertificateAuthenticatorConfig) {}

  authenticate(request: AuthenticateRequest): AuthenticateResult {
    const certificate = request.peer.certificate;
    if (certificate === undefined) return undefined;
    const identity = (this.config.identity ?? 'cn') === 'cn' ? certificate.commonName : certificate.subject;
    if (identity === undefined || identity === '') {
      return { result: 'deny', reasonCode: ReasonCode.NotAuthorized, reasonString: 'the client certificate has no common name' };
    }
    if (this.config.matchUsername === true && request.username !== undefined && request.username !== identity) {
      return { result: 'deny', reasonCode: ReasonCode.BadUserNameOrPassword, reasonString: 'the username is not the certificate identity' };
    }
    return {
      result: 'allow',
      username: identity,
      attributes: { certificate: { cn: certificate.commonName, subject: certificate.subject, fingerprint256: certificate.fingerprint256 } },
    };
  }
}
