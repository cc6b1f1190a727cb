// The shell: login gate, who-am-I, the role-aware menu and the page for the current route.
import { useEffect, useMemo, useState } from 'react';
import { CloudStackSession, type LoginInfo } from '../api/client.ts';
import { LoginPage } from '../pages/LoginPage.tsx';
import { ExtensionsPage } from '../pages/ExtensionsPage.tsx';
import { ExtensionDetailPage } from '../pages/ExtensionDetailPage.tsx';
import { InfrastructurePage } from '../pages/InfrastructurePage.tsx';
import { TemplatesPage } from '../pages/TemplatesPage.tsx';
import { InstancesPage } from '../pages/InstancesPage.tsx';
import { InstanceDetailPage } from '../pages/InstanceDetailPage.tsx';
import { JobsPage } from '../pages/JobsPage.tsx';
import { ACCOUNT_TYPE_NAMES, ConsoleContextValue, type ConsoleContext } from './context.ts';
import { href, navigate, useRoute } from './router.ts';

interface MenuItem {
  path: string;
  label: string;
  /** The command whose availability (listApis) decides whether the caller sees the entry. */
  needs: string;
}

const MENU: readonly MenuItem[] = [
  { path: 'instances', label: 'Instances', needs: 'listVirtualMachines' },
  { path: 'templates', label: 'Templates', needs: 'registerTemplate' },
  { path: 'infrastructure', label: 'Infrastructure', needs: 'listHosts' },
  { path: 'extensions', label: 'Extensions', needs: 'listExtensions' },
  { path: 'jobs', label: 'Jobs & events', needs: 'listAsyncJobs' },
];

export function App() {
  const session = useMemo(() => new CloudStackSession(), []);
  const [user, setUser] = useState<LoginInfo | undefined>(session.user);
  const [apis, setApis] = useState<ReadonlySet<string>>();
  const [loadError, setLoadError] = useState('');
  session.onExpired = () => {
    setUser(undefined);
    setApis(undefined);
  };

  useEffect(() => {
    if (!user) return;
    session
      .list<{ name: string }>('listApis', 'api', {})
      .then(({ items }) => setApis(new Set(items.map((api) => api.name))))
      .catch((error: Error) => setLoadError(error.message));
  }, [session, user]);

  if (!user) return <LoginPage session={session} onLogin={setUser} />;
  if (!apis) return <div className="loading">{loadError || 'Loading…'}</div>;

  const context: ConsoleContext = { session, user, apis, isAdmin: user.type === '1' };
  return (
    <ConsoleContextValue.Provider value={context}>
      <Shell
        onLogout={async () => {
          await session.logout().catch(() => undefined);
          setUser(undefined);
          setApis(undefined);
          navigate('');
        }}
      />
    </ConsoleContextValue.Provider>
  );
}

function Shell({ onLogout }: { onLogout: () => Promise<void> }) {
  const route = useRoute();
  return (
    <ConsoleContextValue.Consumer>
      {(context) => {
        if (!context) return null;
        const menu = MENU.filter((item) => context.apis.has(item.needs));
        const section = route[0] ?? menu[0]?.path ?? 'instances';
        return (
          <div className="shell">
            <aside className="sidebar">
              <div className="brand">extorch</div>
              <nav aria-label="Main menu">
                {menu.map((item) => (
                  <a key={item.path} href={href(item.path)} className={section === item.path ? 'active' : ''} data-menu={item.path}>
                    {item.label}
                  </a>
                ))}
              </nav>
            </aside>
            <div className="main">
              <header className="topbar">
                <span className="whoami" data-testid="whoami">
                  {context.user.username} · {context.user.account} · {ACCOUNT_TYPE_NAMES[context.user.type] ?? context.user.type}
                </span>
                <button type="button" className="secondary" onClick={() => void onLogout()} data-testid="logout">
                  Log out
                </button>
              </header>
              <main className="content">{page(section, route.slice(1), menu.some((item) => item.path === section))}</main>
            </div>
          </div>
        );
      }}
    </ConsoleContextValue.Consumer>
  );
}

function page(section: string, rest: string[], allowed: boolean) {
  if (!allowed) return <p className="notice">This section is not available to your role.</p>;
  switch (section) {
    case 'extensions':
      return rest[0] ? <ExtensionDetailPage id={rest[0]} /> : <ExtensionsPage />;
    case 'infrastructure':
      return <InfrastructurePage tab={rest[0]} />;
    case 'templates':
      return <TemplatesPage />;
    case 'jobs':
      return <JobsPage />;
    case 'instances':
    default:
      return rest[0] ? <InstanceDetailPage id={rest[0]} /> : <InstancesPage />;
  }
}
