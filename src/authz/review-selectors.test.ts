import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { errorString } from '../api/validation/field-errors.ts';
import { reviewSelectorAttributes, validateReviewSelectors } from './review-selectors.ts';

const messages = (ra: Record<string, unknown>): string[] => validateReviewSelectors(ra).map(errorString);

describe('access review selectors: validation (upstream validateFieldSelectorAttributes / validateLabelSelectorAttributes)', () => {
  test('rawSelector and requirements together, or neither', () => {
    assert.deepEqual(messages({ fieldSelector: { rawSelector: 'foo', requirements: [{ key: 'k', operator: 'In', values: ['v'] }] } }), [
      'spec.resourceAttributes.fieldSelector.rawSelector: Invalid value: "foo": may not specified at the same time as requirements',
    ]);
    assert.deepEqual(messages({ labelSelector: {} }), [
      'spec.resourceAttributes.labelSelector.requirements: Required value: when spec.resourceAttributes.labelSelector is specified, requirements or rawSelector is required',
    ]);
  });

  test('requirement keys, values per operator; unknown operators pass', () => {
    assert.deepEqual(
      messages({
        fieldSelector: { requirements: [{ key: '', operator: 'In', values: [] }, { key: 'k', operator: 'Exists', values: ['x'] }, { key: 'k', operator: 'Newer', values: [] }] },
        labelSelector: { requirements: [{ key: 'bad key', operator: 'NotIn', values: [] }] },
      }),
      [
        'spec.resourceAttributes.fieldSelector.requirements[0].key: Required value: must be specified',
        "spec.resourceAttributes.fieldSelector.requirements[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
        "spec.resourceAttributes.fieldSelector.requirements[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
        "spec.resourceAttributes.labelSelector.requirements[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
        'spec.resourceAttributes.labelSelector.requirements[0].key: Invalid value: "bad key": name part must consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character (e.g. \'MyName\',  or \'my.name\',  or \'123-abc\', regex used for validation is \'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\')',
      ],
    );
    assert.deepEqual(messages({ fieldSelector: { rawSelector: 'spec.nodeName=n1' } }), []);
  });
});

describe('access review selectors: attributes (upstream ResourceAttributesFrom)', () => {
  test('rawSelector parses as a request selector', () => {
    assert.deepEqual(reviewSelectorAttributes({ fieldSelector: { rawSelector: 'spec.nodeName=n1' }, labelSelector: { rawSelector: 'a=b' } }), {
      fieldSelector: [{ field: 'spec.nodeName', operator: '=', value: 'n1' }],
      labelSelector: [{ key: 'a', operator: '=', values: ['b'] }],
    });
    assert.match(reviewSelectorAttributes({ fieldSelector: { rawSelector: 'nope' } }).fieldSelectorError ?? '', /can't understand 'nope'/);
  });

  test('requirements: In is =, NotIn is !=; the ones that cannot convert are dropped with their errors', () => {
    assert.deepEqual(
      reviewSelectorAttributes({
        fieldSelector: { requirements: [{ key: 'spec.nodeName', operator: 'In', values: ['n1'] }, { key: 'x', operator: 'NotIn', values: ['y'] }, { key: 'z', operator: 'In', values: ['1', '2'] }, { key: 'e', operator: 'Exists' }] },
        labelSelector: { requirements: [{ key: 'app', operator: 'In', values: ['a', 'b'] }, { key: 'gone', operator: 'DoesNotExist' }, { key: 'q', operator: 'Gt', values: ['1'] }] },
      }),
      {
        fieldSelector: [
          { field: 'spec.nodeName', operator: '=', value: 'n1' },
          { field: 'x', operator: '!=', value: 'y' },
        ],
        fieldSelectorError: '[fieldSelectors do not yet support multiple values, fieldSelectors do not yet support Exists]',
        labelSelector: [
          { key: 'app', operator: 'in', values: ['a', 'b'] },
          { key: 'gone', operator: '!', values: [] },
        ],
        labelSelectorError: '"Gt" is not a valid label selector operator',
      },
    );
  });

  test('a repeated conversion error is reported once, as utilerrors.NewAggregate drops repeated messages', () => {
    const twice = { key: 'z', operator: 'In', values: ['1', '2'] };
    assert.equal(reviewSelectorAttributes({ fieldSelector: { requirements: [twice, twice] } }).fieldSelectorError, 'fieldSelectors do not yet support multiple values');
    const three = reviewSelectorAttributes({ fieldSelector: { requirements: [twice, { key: 'e', operator: 'Exists' }, twice] } });
    assert.equal(three.fieldSelectorError, '[fieldSelectors do not yet support multiple values, fieldSelectors do not yet support Exists]');
  });

  test('none given, none asked', () => {
    assert.deepEqual(reviewSelectorAttributes({ verb: 'list' }), {});
  });
});
