// A TypeScript page using annex.js through client/annex.d.ts (type-checked by check.mjs, never run).
import annex, {
  AnnexError,
  createClient,
  login,
  me,
  mfa,
  passkeys,
  reauth,
  registration,
  safeNext,
  totp,
  oidc,
  emailLink,
  confirmLoginLink,
  devices,
  forgetDevice,
  type DataItem,
  type Device,
  type OidcIdentity,
  type OidcProvider,
  type MfaChallenge,
  type Passkey,
  type Profile,
  type User,
} from '../../client/annex.js';

async function signIn(username: string, password: string): Promise<string> {
  try {
    const user: User = await login(username, password);
    return `${user.username} (${user.roles.join(', ')})`;
  } catch (error) {
    if (error instanceof AnnexError && error.code === 'invalid_credentials') return error.message;
    throw error;
  }
}

async function showProfile(): Promise<string | null> {
  const profile: Profile = await me();
  const updated = await annex.updateProfile({ display_name: 'Alice', bio: null });
  return updated.display_name ?? profile.username;
}

async function counter(): Promise<number> {
  const remote = createClient({ baseUrl: 'https://api.example.com', transport: 'bearer' });
  const item: DataItem | null = await remote.data.get('visits');
  const count = typeof item?.value === 'number' ? item.value : 0;
  const saved = await remote.data.put('visits', count + 1, { ifMatch: item?.etag ?? undefined });
  for (const session of await remote.sessions()) {
    if (!session.current) await remote.revokeSession(session, 'violet-Kettle-42-harbor');
  }
  const answer = await remote.api('/api/health', { full: true });
  console.log(answer, saved.created === true);
  return count + 1;
}

async function signInWithSecondFactor(username: string, password: string, askCode: () => Promise<string>): Promise<User> {
  try {
    return await login(username, password);
  } catch (error) {
    if (!(error instanceof AnnexError) || error.code !== 'mfa_required' || !error.mfa) throw error;
    const challenge: MfaChallenge = error.mfa;
    if (challenge.factors.includes('passkey')) return mfa({ token: challenge.token, factor: 'passkey' });
    return mfa({ token: challenge.token, factor: 'totp', code: await askCode() });
  }
}

async function securitySettings(password: string): Promise<string[]> {
  const mode: 'open' | 'invite' | 'closed' = await registration();
  if (passkeys.supported()) {
    const user: User = await passkeys.login();
    console.log(mode, user.username);
  }
  try {
    await totp.disable();
  } catch (error) {
    if (!(error instanceof AnnexError) || error.code !== 'reauth_required') throw error;
    await reauth(error.methods.includes('password') ? { password } : { passkey: true });
    await totp.disable();
  }
  const added: Passkey = await passkeys.register({ name: 'Laptop' });
  await passkeys.rename(added, 'Work laptop');
  const all: Passkey[] = await passkeys.list();
  await passkeys.remove(all[0].id);
  const { secret, otpauth_uri: uri } = await totp.setup();
  console.log(secret, uri, (await totp.status()).recovery_codes_left);
  return totp.confirm('123456');
}
async function otherWays(email: string, code: string): Promise<User | string[]> {
  const providers: OidcProvider[] = await oidc.providers();
  const links: string[] = providers.map((provider) => oidc.startUrl(provider, '/account.html'));
  const linked: OidcIdentity[] = await oidc.identities();
  if (linked.length > 1) await oidc.unlink(linked[0]);
  if (providers.length) location.assign(await oidc.link(providers[0].name, '/account.html'));
  if (!(await emailLink.available())) return links;
  await emailLink.request(email);
  return emailLink.confirm({ email, code });
}
void otherWays('ada@example.com', '123456');
void emailLink.confirm({ token: 'from-the-link' });

async function lockedOut(token: string): Promise<string[]> {
  try {
    await confirmLoginLink(token);
  } catch (error) {
    if (!(error instanceof AnnexError) || error.code !== 'mfa_required' || !error.mfa) throw error;
    await mfa({ token: error.mfa.token, factor: 'totp', code: '123456' });
  }
  const known: Device[] = await devices();
  for (const device of known) if (!device.current) await forgetDevice(device);
  await forgetDevice(known[0].id);
  return known.map((device) => `${device.browser} (${device.ip ?? 'unknown'}), ${device.last_used_at}`);
}
void lockedOut('from-the-mail');

void signInWithSecondFactor('alice', 'violet-Kettle-42-harbor', async () => '123456');
void securitySettings('violet-Kettle-42-harbor');

const next: string = safeNext(new URLSearchParams(location.search).get('next'));
void Promise.all([signIn('alice', 'violet-Kettle-42-harbor'), showProfile(), counter()]).then(() => {
  location.assign(next);
});

// @ts-expect-error: login takes a username and a password, both strings
void login('alice');
// @ts-expect-error: a second factor is one of totp, recovery_code, passkey
void mfa({ token: 't', factor: 'sms', code: '1' });
// @ts-expect-error: reauth takes a proof
void reauth({});
// @ts-expect-error: a confirmation is a token, or an email with its code
void emailLink.confirm({ code: '123456' });
// @ts-expect-error: the link's token is a string
void confirmLoginLink({ token: 't' });
