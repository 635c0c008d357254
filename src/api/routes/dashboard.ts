// The web dashboard's files, served by the management listeners at `/` (no credentials: the page
// logs in through /api/v5/login and is a client of the public API only). Its own modules are compiled
// by `npm run build` into dist/dashboard/; the third-party browser modules (Preact, uPlot, MQTT.js'
// browser build) are served from their npm packages as they are installed, never copied or bundled,
// and found by the page through an import map. Any other GET outside /api and /api-docs answers the
// page itself, so that a deep link (/clients/abc) works after a reload.

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
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

/** The files under `directory` (relative paths, `/`-separated), recursively. */
function filesUnder(directory: string, prefix = ''): string[] {
  if (!existsSync(directory)) return [];
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(directory, entry.name), `${prefix}${entry.name}/`) : [`${prefix}${entry.name}`],
  );
}

/** What this build of the dashboard is: its modules, and an id that changes whenever a file of it does. */
function describeBuild(): { id: string; modules: string[] } {
  const modules = filesUnder(APP_DIR).filter((file) => file.endsWith('.js')).sort();
  const hash = createHash('sha256');
  for (const file of modules) hash.update(file).update(readFileSync(join(APP_DIR, file)));
  for (const file of filesUnder(PUBLIC_DIR).sort()) hash.update(file).update(readFileSync(join(PUBLIC_DIR, file)));
  return { id: hash.digest('hex').slice(0, 12), modules };
}

interface PageParts {
  imports: Record<string, string>;
  stylesheets: string[];
  /** Fetched at once instead of as the imports reveal them (a waterfall of round trips otherwise). */
  preload: string[];
  entry: string;
  icon: string;
}

/** The page: an import map, the stylesheets and the entry module; its CSP allows that one inline script by hash. */
function indexPage(parts: PageParts): { html: string; csp: string } {
  const importMap = JSON.stringify({ imports: parts.imports });
  const hash = createHash('sha256').update(importMap).digest('base64');
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Starling</title>
<link rel="icon" href="${parts.icon}" type="image/svg+xml">
${parts.stylesheets.map((href) => `<link rel="stylesheet" href="${href}">`).join('\n')}
<script type="importmap">${importMap}</script>
${parts.preload.map((href) => `<link rel="modulepreload" href="${href}">`).join('\n')}
<script type="module" src="${parts.entry}"></script>
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

/** Versioned URLs (a package version, a build id) never change content: browsers keep them a year. */
const IMMUTABLE = { maxAge: '365d', immutable: true } as const;

export function dashboardRoutes(app: ApiApp): void {
  const build = describeBuild();
  const built = build.modules.includes('main.js');
  const base = `/assets/${build.id}`;
  const modules = VENDOR_MODULES.map((module) => ({ ...module, ...vendorFile(module.packageName, module.file) }));
  const stylesheets = VENDOR_STYLESHEETS.map((sheet) => vendorFile(sheet.packageName, sheet.file));
  const page = indexPage({
    imports: Object.fromEntries(modules.map((module) => [module.specifier, module.url])),
    stylesheets: [...stylesheets.map((sheet) => sheet.url), `${base}/public/styles.css`],
    // MQTT.js (340 kB) loads only when the MQTT client page is opened.
    preload: [...modules.filter((module) => module.specifier !== 'mqtt').map((module) => module.url), ...build.modules.map((file) => `${base}/app/${file}`)],
    entry: `${base}/app/main.js`,
    icon: `${base}/public/favicon.svg`,
  });
  const hidden = { schema: { hide: true }, config: { access: 'public' as const } };
  type Wildcard = { Params: { build: string; '*': string } };

  // @fastify/static only lends replies sendFile() (which refuses paths outside the root it is given):
  // the routes are declared here, so that they carry the public access the authentication hook reads.
  void app.register(fastifyStatic, { root: PUBLIC_DIR, serve: false });
  app.get<Wildcard>('/assets/:build/public/*', hidden, (request, reply) => {
    if (request.params.build !== build.id) return reply.callNotFound();
    return withSecurityHeaders(reply).sendFile(request.params['*'], PUBLIC_DIR, IMMUTABLE);
  });
  app.get<Wildcard>('/assets/:build/app/*', hidden, (request, reply) => {
    const file = request.params['*'];
    // A tab still on an older build asks for files this one does not have: 404, and its next load takes the new page.
    if (!built || request.params.build !== build.id || !/^[\w./-]+\.js(\.map)?$/.test(file)) return reply.callNotFound();
    return withSecurityHeaders(reply).sendFile(file, APP_DIR, IMMUTABLE);
  });
  for (const file of [...modules, ...stylesheets]) {
    app.get(file.url, hidden, (_request, reply) => withSecurityHeaders(reply).sendFile(file.name, file.directory, IMMUTABLE));
  }

  const sendPage = (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const path = request.url.split('?', 1)[0]!;
    if (path === '/api' || path.startsWith('/api/') || path.startsWith(OPENAPI_PREFIX) || path.startsWith('/assets/')) {
      return reply.code(404).send({ code: 'NOT_FOUND', message: `no route GET ${path}` });
    }
    if (!built) {
      return reply.code(503).type('text/plain').send('The dashboard is not built: run `npm run build` (it compiles src/dashboard into dist/dashboard).\n');
    }
    // The page itself is asked for again on every load: it names the current build's files.
    return withSecurityHeaders(reply).header('content-security-policy', page.csp).header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(page.html);
  };
  app.get('/', hidden, sendPage);
  app.get('/*', hidden, sendPage);
}

function withSecurityHeaders(reply: FastifyReply): FastifyReply {
  return reply.header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer');
}
