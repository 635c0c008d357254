// The web dashboard's files, served by the management listeners at `/` (no credentials: the page
// logs in through /api/v5/login and is a client of the public API only). Its own modules are compiled
// by `npm run build` into dist/dashboard/; the third-party browser modules (Preact, uPlot, MQTT.js'
// browser build) are served from their npm packages as they are installed, never copied or bundled,
// and found by the page through an import map. Any other GET outside /api and /api-docs answers the
// page itself, so that a deep link (/clients/abc) works after a reload.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiApp } from '../app.js';
import { OPENAPI_PREFIX } from '../openapi.js';

const PACKAGE_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
/** What `npm run build` makes of src/dashboard/*.tsx. */
const APP_DIR = join(PACKAGE_ROOT, 'dist', 'dashboard');
/** Files served as they are: the stylesheet and the icon. */
const PUBLIC_DIR = join(PACKAGE_ROOT, 'src', 'dashboard', 'public');

interface VendorModule {
  /** The bare specifier the dashboard's modules import. */
  specifier: string;
  packageName: string;
  /** The file inside the package. */
  file: string;
}

// Only these files of these packages are reachable, each at /assets/vendor/<package>@<version>/<file name>.
const VENDOR_MODULES: readonly VendorModule[] = [
  { specifier: 'preact', packageName: 'preact', file: 'dist/preact.mjs' },
  { specifier: 'preact/hooks', packageName: 'preact', file: 'hooks/dist/hooks.mjs' },
  { specifier: 'preact/jsx-runtime', packageName: 'preact', file: 'jsx-runtime/dist/jsxRuntime.mjs' },
  { specifier: 'uplot', packageName: 'uplot', file: 'dist/uPlot.esm.js' },
  { specifier: 'mqtt', packageName: 'mqtt', file: 'dist/mqtt.esm.js' },
];
const VENDOR_STYLESHEETS = [{ packageName: 'uplot', file: 'dist/uPlot.min.css' }] as const;

interface VendorFile {
  url: string;
  directory: string;
  name: string;
}

function vendorFile(packageName: string, file: string): VendorFile {
  const require = createRequire(import.meta.url);
  const manifestPath = require.resolve(`${packageName}/package.json`);
  const { version } = JSON.parse(readFileSync(manifestPath, 'utf8')) as { version: string };
  const path = join(dirname(manifestPath), file);
  return { url: `/assets/vendor/${packageName}@${version}/${file.split('/').pop()!}`, directory: dirname(path), name: file.split('/').pop()! };
}

/** The page: an import map, the stylesheets and the entry module; its CSP allows that one inline script by hash. */
function indexPage(imports: Record<string, string>, stylesheets: string[]): { html: string; csp: string } {
  const importMap = JSON.stringify({ imports });
  const hash = createHash('sha256').update(importMap).digest('base64');
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Starling</title>
<link rel="icon" href="/assets/public/favicon.svg" type="image/svg+xml">
${stylesheets.map((href) => `<link rel="stylesheet" href="${href}">`).join('\n')}
<script type="importmap">${importMap}</script>
<script type="module" src="/assets/app/main.js"></script>
</head>
<body>
<div id="app"><noscript>The Starling dashboard needs JavaScript.</noscript></div>
</body>
</html>
`;
  // connect-src ws: wss: lets the MQTT client page reach the broker's WebSocket listeners on other ports.
  const csp = [
    "default-src 'self'",
    `script-src 'self' 'sha256-${hash}'`,
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self' ws: wss:",
    // MQTT.js keeps its keep-alive timer in a worker made from a blob (timers in hidden tabs are throttled).
    "worker-src 'self' blob:",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return { html, csp };
}

export function dashboardRoutes(app: ApiApp): void {
  const built = existsSync(join(APP_DIR, 'main.js'));
  const modules = VENDOR_MODULES.map((module) => ({ ...module, ...vendorFile(module.packageName, module.file) }));
  const stylesheets = VENDOR_STYLESHEETS.map((sheet) => vendorFile(sheet.packageName, sheet.file));
  const page = indexPage(Object.fromEntries(modules.map((module) => [module.specifier, module.url])), [...stylesheets.map((sheet) => sheet.url), '/assets/public/styles.css']);
  const hidden = { schema: { hide: true }, config: { access: 'public' as const } };

  // @fastify/static only lends replies sendFile() (which refuses paths outside the root it is given):
  // the routes are declared here, so that they carry the public access the authentication hook reads.
  void app.register(fastifyStatic, { root: PUBLIC_DIR, serve: false });
  app.get('/assets/public/*', hidden, (request, reply) => withSecurityHeaders(reply).sendFile((request.params as { '*': string })['*'], PUBLIC_DIR));
  app.get('/assets/app/*', hidden, (request, reply) => {
    const file = (request.params as { '*': string })['*'];
    if (!built || !/^[\w./-]+\.js(\.map)?$/.test(file)) return reply.callNotFound();
    return withSecurityHeaders(reply).sendFile(file, APP_DIR);
  });
  for (const file of [...modules, ...stylesheets]) {
    app.get(file.url, hidden, (_request, reply) => withSecurityHeaders(reply).sendFile(file.name, file.directory));
  }

  const sendPage = (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const path = request.url.split('?', 1)[0]!;
    if (path === '/api' || path.startsWith('/api/') || path.startsWith(OPENAPI_PREFIX) || path.startsWith('/assets/')) {
      return reply.code(404).send({ code: 'NOT_FOUND', message: `no route GET ${path}` });
    }
    if (!built) {
      return reply.code(503).type('text/plain').send('The dashboard is not built: run `npm run build` (it compiles src/dashboard into dist/dashboard).\n');
    }
    return withSecurityHeaders(reply).header('content-security-policy', page.csp).header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(page.html);
  };
  app.get('/', hidden, sendPage);
  app.get('/*', hidden, sendPage);
}

function withSecurityHeaders(reply: FastifyReply): FastifyReply {
  return reply.header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer');
}
