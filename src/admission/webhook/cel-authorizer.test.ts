import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NodeAuthorizer } from '../../authz/node/authorizer.ts';
import { compileCel, newCelEnvironment } from '../../cel/environment.ts';
import { CelAuthorizer, registerAuthorizerLibrary } from './cel-authorizer.ts';

const env = registerAuthorizerLibrary(newCelEnvironment({}));
const node = { username: 'system:node:n1', groups: ['system:nodes'] };

async function run(expression: string): Promise<unknown> {
  const c = compileCel(env, expression);
  assert.ok(c.ok, expression);
  return c.compiled.program({ authorizer: new CelAuthorizer(new NodeAuthorizer(), node) });
}

test('fieldSelector()/labelSelector() reach the authorizer as a request\'s selectors do (AuthzSelectors library)', async () => {
  const pods = "authorizer.group('').resource('pods')";
  assert.equal(await run(`${pods}.fieldSelector('spec.nodeName=n1').check('list').allowed()`), true);
  assert.equal(await run(`${pods}.fieldSelector('spec.nodeName=n1').labelSelector('app in (a)').check('watch').allowed()`), true);
  assert.equal(await run(`${pods}.check('list').allowed()`), false);
  assert.equal(await run(`${pods}.fieldSelector('spec.nodeName=n2').check('list').reason()`), 'can only list/watch pods with spec.nodeName field selector');
  // A selector that does not parse narrows nothing.
  assert.equal(await run(`${pods}.fieldSelector('spec.nodeName').check('list').allowed()`), false);
  // The last call wins, as upstream's value copy.
  assert.equal(await run(`${pods}.fieldSelector('spec.nodeName=n1').fieldSelector('spec.nodeName=n2').check('list').allowed()`), false);
});
