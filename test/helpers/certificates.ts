// A throw-away PKI for transport tests, made with the openssl command line (node:crypto cannot sign
// X.509): a CA, server certificates for 127.0.0.1/localhost, client certificates and a CRL.

import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Pki {
  directory: string;
  caCert: string;
  /** Server certificate for localhost and 127.0.0.1, and its key. */
  serverCert: string;
  serverKey: string;
  /** The same server key, encrypted with `passphrase`. */
  serverKeyEncrypted: string;
  passphrase: string;
  /** Client certificate CN=device-1, O=Starling, signed by the CA. */
  clientCert: string;
  clientKey: string;
  /** A second CA and a client certificate it signed: not trusted by the server. */
  strangerCert: string;
  strangerKey: string;
  /** Issues another certificate from the CA; returns its cert and key paths. */
  issue(name: string, subject: string, options?: { altNames?: string; client?: boolean }): { cert: string; key: string };
  /** A CRL from the CA revoking the given certificates (none: an empty CRL). */
  crl(name: string, revoked: string[]): string;
  remove(): Promise<void>;
}

function openssl(cwd: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export async function createPki(): Promise<Pki> {
  const directory = await mkdtemp(join(tmpdir(), 'starling-pki-'));
  const path = (name: string): string => join(directory, name);
  const ecKey = (name: string): string => {
    openssl(directory, 'genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path(name));
    return path(name);
  };
  const selfSigned = (name: string, subject: string): void => {
    const key = ecKey(`${name}.key`);
    openssl(directory, 'req', '-x509', '-new', '-key', key, '-subj', subject, '-days', '2', '-out', path(`${name}.crt`),
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  };
  selfSigned('ca', '/O=Starling Test/CN=Starling Test CA');
  selfSigned('stranger-ca', '/O=Elsewhere/CN=Stranger CA');
  // `openssl ca` bookkeeping for the CRL.
  await writeFile(path('index.txt'), '');
  await writeFile(path('crlnumber'), '01\n');
  await writeFile(
    path('ca.cnf'),
    `[ca]\ndefault_ca = test\n[test]\ndatabase = ${path('index.txt')}\ncrlnumber = ${path('crlnumber')}\n` +
      `certificate = ${path('ca.crt')}\nprivate_key = ${path('ca.key')}\ndefault_md = sha256\ndefault_crl_days = 2\n`,
  );

  let serial = 1;
  const sign = (ca: string, name: string, subject: string, extensions: string): { cert: string; key: string } => {
    const key = ecKey(`${name}.key`);
    openssl(directory, 'req', '-new', '-key', key, '-subj', subject, '-out', path(`${name}.csr`));
    const extfile = path(`${name}.ext`);
    execFileSync('sh', ['-c', `printf '%s\\n' "$1" > "$2"`, 'sh', extensions, extfile]);
    openssl(directory, 'x509', '-req', '-in', path(`${name}.csr`), '-CA', path(`${ca}.crt`), '-CAkey', path(`${ca}.key`),
      '-set_serial', String(serial++ + 1000), '-days', '2', '-sha256', '-extfile', extfile, '-out', path(`${name}.crt`));
    return { cert: path(`${name}.crt`), key };
  };
  const serverExtensions = (altNames: string): string =>
    `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=${altNames}`;
  const clientExtensions = 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\nsubjectAltName=email:device-1@example.com';

  const server = sign('ca', 'server', '/O=Starling Test/CN=localhost', serverExtensions('DNS:localhost,IP:127.0.0.1'));
  const client = sign('ca', 'client', '/O=Starling/CN=device-1', clientExtensions);
  const stranger = sign('stranger-ca', 'stranger', '/O=Elsewhere/CN=intruder', clientExtensions);
  const passphrase = 'correct horse';
  openssl(directory, 'pkey', '-in', server.key, '-aes256', '-passout', `pass:${passphrase}`, '-out', path('server-encrypted.key'));

  return {
    directory,
    caCert: path('ca.crt'),
    serverCert: server.cert,
    serverKey: server.key,
    serverKeyEncrypted: path('server-encrypted.key'),
    passphrase,
    clientCert: client.cert,
    clientKey: client.key,
    strangerCert: stranger.cert,
    strangerKey: stranger.key,
    issue(name, subject, options = {}) {
      return sign('ca', name, subject, options.client === true ? clientExtensions : serverExtensions(options.altNames ?? 'DNS:localhost,IP:127.0.0.1'));
    },
    crl(name, revoked) {
      for (const cert of revoked) openssl(directory, 'ca', '-config', path('ca.cnf'), '-revoke', cert);
      openssl(directory, 'ca', '-config', path('ca.cnf'), '-gencrl', '-out', path(`${name}.crl`));
      return path(`${name}.crl`);
    },
    remove: () => rm(directory, { recursive: true, force: true }),
  };
}
