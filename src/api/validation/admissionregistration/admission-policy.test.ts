import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorString } from '../field-errors.ts';
import { validateValidatingAdmissionPolicy, validateValidatingAdmissionPolicyBinding } from './admission-policy.ts';
import { validateMutatingAdmissionPolicy, validateMutatingAdmissionPolicyBinding } from './mutating-admission-policy.ts';

const rules = [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'] }];
const strings = (errs: ReturnType<typeof validateValidatingAdmissionPolicy>) => errs.map(errorString);

test('ValidatingAdmissionPolicy: every expression compiled, with its field and upstream detail', () => {
  const errs = strings(
    validateValidatingAdmissionPolicy({
      metadata: { name: 'p' },
      spec: {
        matchConstraints: { resourceRules: rules },
        matchConditions: [{ name: 'm', expression: "'x'" }],
        variables: [{ name: 'ok', expression: '1 +' }, { name: '9bad', expression: '1' }],
        validations: [{ expression: 'true', messageExpression: '1' }],
        auditAnnotations: [{ key: 'k', valueExpression: ')' }],
      },
    }),
  );
  assert.ok(errs.includes(`spec.matchConditions[0].expression: Invalid value: "'x'": must evaluate to bool but got string`), errs.join('\n'));
  assert.ok(errs.some((e) => e.startsWith('spec.variables[0].expression: Invalid value: "1 +": compilation failed: ')), errs.join('\n'));
  assert.ok(errs.includes('spec.variables[1].name: Invalid value: "9bad": name is not a valid CEL identifier'), errs.join('\n'));
  assert.ok(errs.includes('spec.validations[0].messageExpression: Invalid value: "1": must evaluate to string but got int'), errs.join('\n'));
  assert.ok(errs.some((e) => e.startsWith('spec.auditAnnotations[0].valueExpression: Invalid value: ")": compilation failed: ')), errs.join('\n'));
  assert.deepEqual(strings(validateValidatingAdmissionPolicy({ metadata: { name: 'p' }, spec: { matchConstraints: { resourceRules: rules }, validations: [{ expression: 'object.x == 1' }] } })), []);
});

test('bindings: paramRef name and selector are Forbidden together; mutating bindings may not match DELETE', () => {
  const errs = strings(validateValidatingAdmissionPolicyBinding({ metadata: { name: 'b' }, spec: { policyName: 'p', validationActions: ['Deny'], paramRef: { name: 'x', selector: {}, parameterNotFoundAction: 'Allow' } } }));
  assert.deepEqual(errs, ['spec.paramRef.name: Forbidden: name and selector are mutually exclusive', 'spec.paramRef.selector: Forbidden: name and selector are mutually exclusive']);
  const m = strings(validateMutatingAdmissionPolicyBinding({ metadata: { name: 'b' }, spec: { policyName: 'p', matchResources: { resourceRules: [{ ...rules[0]!, operations: ['DELETE'] }] } } }));
  assert.deepEqual(m, ['spec.matchResources.resourceRules.operations: Unsupported value: "DELETE": supported values: "*", "CONNECT", "CREATE", "UPDATE"']);
});

test('MutatingAdmissionPolicy: mutations required, patch types, reinvocationPolicy values', () => {
  const base = { matchConstraints: { resourceRules: rules }, failurePolicy: 'Fail', reinvocationPolicy: 'Never' };
  assert.deepEqual(strings(validateMutatingAdmissionPolicy({ metadata: { name: 'p' }, spec: base })), ['spec.mutations: Required value: mutations must contain at least one item']);
  const errs = strings(validateMutatingAdmissionPolicy({ metadata: { name: 'p' }, spec: { ...base, reinvocationPolicy: 'Always', mutations: [{ patchType: 'Merge' }, { patchType: 'JSONPatch', jsonPatch: { expression: "[JSONPatch{op: 'remove', path: '/x'}]" } }] } }));
  assert.deepEqual(errs, [
    'spec.mutations[0].patchType: Unsupported value: "Merge": supported values: "ApplyConfiguration", "JSONPatch"',
    'spec.reinvocationPolicy: Unsupported value: "Always": supported values: "IfNeeded", "Never"',
  ]);
});
