// The page: the login form until a session exists, then the layout and the page the address names.

import type { ComponentChildren } from 'preact';
import { Layout, PageHeader } from './components/layout.js';
import { AclPage } from './pages/acl.js';
import { AdminsPage } from './pages/admins.js';
import { ApiKeysPage } from './pages/api-keys.js';
import { BansPage } from './pages/bans.js';
import { ClientPage } from './pages/client.js';
import { ClientsPage } from './pages/clients.js';
import { LoginPage } from './pages/login.js';
import { MqttClientPage } from './pages/mqtt-client.js';
import { OverviewPage } from './pages/overview.js';
import { RetainedPage } from './pages/retained.js';
import { ConnectorsPage } from './pages/connectors.js';
import { RulePage } from './pages/rule.js';
import { RulesPage } from './pages/rules.js';
import { SettingsPage } from './pages/settings.js';
import { SharedGroupsPage } from './pages/shared.js';
import { SubscriptionsPage } from './pages/subscriptions.js';
import { TopicsPage } from './pages/topics.js';
import { UsersPage } from './pages/users.js';
import { location, match, pathOf } from './router.js';
import { session } from './session.js';
import { useStore } from './store.js';

type Route = [pattern: string, page: (params: Record<string, string>) => ComponentChildren];

const ROUTES: Route[] = [
  ['/', () => <OverviewPage />],
  ['/clients', () => <ClientsPage />],
  ['/clients/:clientid', (params) => <ClientPage clientId={params['clientid']!} />],
  ['/subscriptions', () => <SubscriptionsPage />],
  ['/topics', () => <TopicsPage />],
  ['/retained', () => <RetainedPage />],
  ['/shared', () => <SharedGroupsPage />],
  ['/access/users', () => <UsersPage />],
  ['/access/acl', () => <AclPage />],
  ['/access/bans', () => <BansPage />],
  ['/access/admins', () => <AdminsPage />],
  ['/access/api-keys', () => <ApiKeysPage />],
  ['/rules', () => <RulesPage />],
  ['/rules/create', () => <RulePage id={undefined} />],
  ['/rules/detail/:id', (params) => <RulePage id={params['id']!} />],
  ['/connectors', () => <ConnectorsPage />],
  ['/mqtt', () => <MqttClientPage />],
  ['/settings', () => <SettingsPage />],
];

function NotFound({ path }: { path: string }) {
  return (
    <>
      <PageHeader title="Not found" />
      <p>
        There is no page at <code>{path}</code>. <a href="/">Go to the overview.</a>
      </p>
    </>
  );
}

export function App() {
  const current = useStore(session);
  const route = useStore(location);
  if (current === undefined) return <LoginPage />;
  const path = pathOf(route);
  for (const [pattern, page] of ROUTES) {
    const params = match(pattern, path);
    // Keyed by path: another client's page starts fresh.
    if (params !== undefined) return <Layout key="layout">{<div key={path}>{page(params)}</div>}</Layout>;
  }
  return (
    <Layout>
      <NotFound path={path} />
    </Layout>
  );
}
