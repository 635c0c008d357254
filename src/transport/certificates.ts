// TLS material of one tls/wss listener: reads the certificate, key, CA bundle and CRL files into
// secure contexts (one default, one per SNI server name), rebuilds them when the files change or on
// reload(), and describes a verified client certificate for the auth layer.
//
// A reload only swaps the contexts used by new handshakes; established connections keep theirs.
// A reload that fails (a key written before its certificate, a wrong passphrase) keeps the previous
// contexts and logs why, so a half-finished certificate rotation never takes the listener down.

import { createHash } from 'node:crypto';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { createSecureContext, type SecureContext, type SecureContextOptions, type TLSSocket } from 'node:tls';
import type { ListenerConfig } from '../config/types.js';
import type { PeerCertificate, PeerInfo } from '../core/client.js';
import type { Logger } from '../log.js';

/** Changes within this window (a certificate and its key written one after the other) make one reload. */
const RELOAD_DEBOUNCE_MS = 100;

export class CertificateStore {
  /** Options of the default context, for tls.Server's constructor and setSecureContext(). */
  defaultOptions: SecureContextOptions;
  private byServerName = new Map<string, SecureContext>();
  private defaultContext: SecureContext;
  private fingerprint: string;
  private watchers: FSWatcher[] = [];
  private debounce: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: ListenerConfig,
    private readonly label: string,
    private readonly logger: Logger,
  ) {
    const loaded = this.load();
    this.defaultOptions = loaded.defaultOptions;
    this.defaultContext = loaded.defaultContext;
    this.byServerName = loaded.byServerName;
    this.fingerprint = loaded.fingerprint;
  }

  /** tls SNICallback: the context for the name the client asked for, else the default one. */
  readonly sniCallback = (servername: string, callback: (error: Error | null, context?: SecureContext) => void): void => {
    callback(null, this.byServerName.get(servername.toLowerCase()) ?? this.defaultContext);
  };

  /**
   * Re-reads every file; returns true when the material changed and the new contexts are in place.
   * `apply` installs the new default options on the server (tls.Server#setSecureContext).
   */
  reload(apply: (options: SecureContextOptions) => void): boolean {
    let loaded: ReturnType<CertificateStore['load']>;
    try {
      loaded = this.load();
    } catch (error) {
      this.logger.warn({ listener: this.label, err: error }, 'certificate reload failed; keeping the previous certificate');
      return false;
    }
    if (loaded.fingerprint === this.fingerprint) return false;
    apply(loaded.defaultOptions);
    this.defaultOptions = loaded.defaultOptions;
    this.defaultContext = loaded.defaultContext;
    this.byServerName = loaded.byServerName;
    this.fingerprint = loaded.fingerprint;
    this.logger.info({ listener: this.label }, 'certificate reloaded');
    return true;
  }

  /** Calls onChange (debounced) when any of the files changes, including replacement by rename. */
  watch(onChange: () => void): void {
    // Watching the directories rather than the files survives editors and tools that write a new
    // file and rename it over the old one (and Kubernetes' ..data symlink swap).
    const byDirectory = new Map<string, Set<string>>();
    for (const file of this.files()) {
      const names = byDirectory.get(dirname(file)) ?? new Set<string>();
      names.add(basename(file));
      byDirectory.set(dirname(file), names);
    }
    for (const [directory, names] of byDirectory) {
      try {
        const watcher = watch(directory, { persistent: false }, (_event, filename) => {
          if (filename !== null && !names.has(filename.toString()) && !filename.toString().startsWith('..')) return;
          clearTimeout(this.debounce);
          this.debounce = setTimeout(onChange, RELOAD_DEBOUNCE_MS);
        });
        watcher.on('error', () => watcher.close());
        this.watchers.push(watcher);
      } catch (error) {
        this.logger.warn({ listener: this.label, directory, err: error }, 'cannot watch certificate files; reload on SIGHUP only');
      }
    }
  }

  close(): void {
    clearTimeout(this.debounce);
    for (const watcher of this.watchers) watcher.close();
    this.watchers = [];
  }

  private files(): string[] {
    const { certFile, keyFile, caFile, crlFile, sni } = this.config;
    const files = [certFile, keyFile, caFile, crlFile];
    for (const entry of sni ?? []) files.push(entry.certFile, entry.keyFile);
    return files.filter((file): file is string => file !== undefined);
  }

  private load(): {
    defaultOptions: SecureContextOptions;
    defaultContext: SecureContext;
    byServerName: Map<string, SecureContext>;
    fingerprint: string;
  } {
    const { config } = this;
    const hash = createHash('sha256');
    const read = (key: string, file: string): Buffer => {
      let contents: Buffer;
      try {
        contents = readFileSync(file);
      } catch (error) {
        throw new Error(`${this.label}: ${key} ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
      }
      hash.update(file).update(contents);
      return contents;
    };
    const shared: SecureContextOptions = {
      minVersion: config.minTlsVersion ?? 'TLSv1.2',
      ...(config.ciphers === undefined ? {} : { ciphers: config.ciphers }),
      ...(config.caFile === undefined ? {} : { ca: read('ca_file', config.caFile) }),
      ...(config.crlFile === undefined ? {} : { crl: read('crl_file', config.crlFile) }),
    };
    const contextOf = (certKey: string, certFile: string, keyKey: string, keyFile: string, passphrase: string | undefined) => {
      const options: SecureContextOptions = {
        ...shared,
        cert: read(certKey, certFile),
        key: read(keyKey, keyFile),
        ...(passphrase === undefined ? {} : { passphrase }),
      };
      try {
        return { options, context: createSecureContext(options) };
      } catch (error) {
        throw new Error(`${this.label}: ${certFile} / ${keyFile}: ${(error as Error).message}`, { cause: error });
      }
    };
    if (config.certFile === undefined || config.keyFile === undefined) {
      throw new Error(`${this.label}: cert_file and key_file are required`);
    }
    const main = contextOf('cert_file', config.certFile, 'key_file', config.keyFile, config.keyPassphrase);
    const byServerName = new Map<string, SecureContext>();
    for (const entry of config.sni ?? []) {
      const sni = contextOf('sni.cert_file', entry.certFile, 'sni.key_file', entry.keyFile, entry.keyPassphrase);
      byServerName.set(entry.servername.toLowerCase(), sni.context);
    }
    return { defaultOptions: main.options, defaultContext: main.context, byServerName, fingerprint: hash.digest('hex') };
  }
}

/** The verified client certificate of a TLS socket, or undefined when there is none or it was not verified. */
export function peerCertificateOf(socket: TLSSocket): PeerCertificate | undefined {
  if (!socket.authorized) return undefined;
  const certificate = socket.getPeerX509Certificate();
  if (certificate === undefined) return undefined;
  const subjectParts = certificate.subject.split('\n').filter((line) => line !== '');
  const commonName = subjectParts.findLast((part) => part.startsWith('CN='))?.slice(3);
  return {
    subject: rfc4514(subjectParts),
    commonName,
    subjectAltNames: certificate.subjectAltName === undefined ? [] : certificate.subjectAltName.split(', '),
    issuer: rfc4514(certificate.issuer.split('\n').filter((line) => line !== '')),
    serialNumber: certificate.serialNumber,
    fingerprint256: certificate.fingerprint256,
    validTo: certificate.validTo,
  };
}

/** Username and client id a listener takes from a verified certificate (peer_cert_as_username / _client_id). */
export function identityFromCertificate(config: ListenerConfig, certificate: PeerCertificate | undefined): PeerInfo['fromCertificate'] {
  if (certificate === undefined) return undefined;
  const pick = (field: 'cn' | 'dn' | undefined): string | undefined =>
    field === 'cn' ? certificate.commonName : field === 'dn' ? certificate.subject : undefined;
  const username = pick(config.peerCertAsUsername);
  const clientId = pick(config.peerCertAsClientId);
  if (username === undefined && clientId === undefined) return undefined;
  return { ...(username === undefined ? {} : { username }), ...(clientId === undefined ? {} : { clientId }) };
}

/** `C=DE`, `O=Acme`, `CN=x` (certificate order) -> `CN=x,O=Acme,C=DE` with RFC 4514 escaping. */
function rfc4514(parts: string[]): string {
  return parts
    .map((part) => {
      const equals = part.indexOf('=');
      const value = part.slice(equals + 1).replace(/[,+"\\<>;]/g, (character) => `\\${character}`);
      return `${part.slice(0, equals)}=${value}`;
    })
    .reverse()
    .join(',');
}
