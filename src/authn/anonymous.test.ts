import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnonymousAuthenticator } from './anonymous.ts';
import { UnionAuthenticator } from './union.ts';
import { AuthnError, type RequestAuthenticator } from './types.ts';

const rejecting: RequestAuthenticator = {
  name: 'x509',
  authenticate: async () => ({ kind: 'rejected', method: 'x509', error: new AuthnError('UntrustedIssuer', 'bad cert') }),
};
const silent: RequestAuthenticator = { name: 'bearer', authenticate: async () => ({ kind: 'no-opinion' }) };

const cases: { name: string; members: RequestAuthenticator[]; headers: Record<string, string>; want: string }[] = [
  { name: 'no credentials: anonymous', members: [silent], headers: {}, want: 'system:anonymous|system:unauthenticated' },
  { name: 'a rejected credential never becomes anonymous', members: [rejecting], headers: {}, want: 'rejected' },
  { name: 'an Authorization header nobody understood is not anonymous', members: [silent], headers: { authorization: 'Basic eDp5' }, want: 'no-opinion' },
  { name: 'an empty bearer header is not anonymous', members: [silent], headers: { authorization: 'Bearer' }, want: 'no-opinion' },
];
for (const c of cases) {
  test(`anonymous: ${c.name}`, async () => {
    const r = await new UnionAuthenticator([...c.members, new AnonymousAuthenticator()]).authenticate({ headers: c.headers, socket: undefined });
    // The union must not add system:authenticated to the anonymous user.
    assert.equal(r.kind === 'authenticated' ? `${r.user.username}|${r.user.groups.join(';')}` : r.kind, c.want);
  });
}
