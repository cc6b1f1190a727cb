import type { CloudStackSession, LoginInfo } from '../api/client.ts';
import { Form } from '../components/Form.tsx';

export function LoginPage({ session, onLogin }: { session: CloudStackSession; onLogin: (user: LoginInfo) => void }) {
  return (
    <div className="login">
      <h1>extorch</h1>
      <p className="muted">Sign in with your CloudStack account.</p>
      <Form
        testId="login-form"
        submitLabel="Log in"
        fields={[
          { name: 'username', label: 'Username', required: true },
          { name: 'password', label: 'Password', kind: 'password', required: true },
          { name: 'domain', label: 'Domain', placeholder: '/', help: 'Leave empty for the ROOT domain' },
        ]}
        onSubmit={async (values) => onLogin(await session.login(String(values.username), String(values.password), String(values.domain ?? '')))}
      />
    </div>
  );
}
