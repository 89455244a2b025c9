// A TypeScript page using annex.js through client/annex.d.ts (type-checked by check.mjs, never run).
import annex, { AnnexError, createClient, login, me, safeNext, type DataItem, type Profile, type User } from '../../client/annex.js';

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

const next: string = safeNext(new URLSearchParams(location.search).get('next'));
void Promise.all([signIn('alice', 'violet-Kettle-42-harbor'), showProfile(), counter()]).then(() => {
  location.assign(next);
});

// @ts-expect-error: login takes a username and a password, both strings
void login('alice');
