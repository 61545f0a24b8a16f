import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadCasbinModel } from './model.ts';
import { parsePolicy } from './policy.ts';
import { engineFor } from './testing.ts';

const model = (r: string, p: string, e: string, m: string) => `[request_definition]\nr = ${r}\n[policy_definition]\np = ${p}\n[policy_effect]\ne = ${e}\n[matchers]\nm = ${m}\n`;
const ALLOW = 'some(where (p.eft == allow))';

test('a model naming a request token Portcullis does not supply is refused', () => {
  assert.throws(() => loadCasbinModel(model('sub, obj, act', 'sub, obj, act', ALLOW, 'r.sub == p.sub'), 'x.conf'), /x\.conf: request definition names "obj", which Portcullis does not supply/);
});

test('a model without a section, with an unserved effect, or a deny effect without eft is refused', () => {
  assert.throws(() => loadCasbinModel('[request_definition]\nr = sub\n[policy_definition]\np = sub\n', 'x.conf'), /x\.conf: missing required sections/);
  assert.throws(() => loadCasbinModel(model('sub', 'sub', 'some(where (p.eft == maybe))', 'r.sub == p.sub'), 'x.conf'), /policy effect "some\(where \(p\.eft == maybe\)\)" is not one the Casbin mode serves/);
  assert.throws(() => loadCasbinModel(model('sub', 'sub', '!some(where (p.eft == deny))', 'r.sub == p.sub'), 'x.conf'), /needs an "eft" field/);
  assert.throws(() => loadCasbinModel(model('sub', 'sub', ALLOW, 'r.sub == p.sub').replace('r = sub\n', 'r = sub\nr2 = sub\n'), 'x.conf'), /one r definition named "r" \(found: r, r2\)/);
});

test('a matcher that does not evaluate is refused when the engine is built', async () => {
  await assert.rejects(engineFor(model('sub', 'sub', ALLOW, 'noSuchFunction(r.sub, p.sub)'), 'p, user:a\n'), /model\.conf: the matcher does not evaluate/);
  await assert.rejects(engineFor(model('sub', 'sub', ALLOW, 'r.sub == == p.sub'), 'p, user:a\n'), /model\.conf: the matcher does not evaluate/);
});

test('policy lines: unknown type, wrong field count and unbalanced brackets name the line', () => {
  const m = loadCasbinModel(model('sub, verb', 'sub, verb', ALLOW, 'r.sub == p.sub && r.verb == p.verb'), 'x.conf');
  assert.throws(() => parsePolicy('p, a, get\n\ng, a, b\n', 'pol.csv', m.shapes), /^Error: pol\.csv:3: policy type "g" is not defined by the model \(defined: p\)$/);
  assert.throws(() => parsePolicy('# c\np, a\n', 'pol.csv', m.shapes), /^Error: pol\.csv:2: p line has 1 fields; the model's p has 2 \(sub, verb\)$/);
  assert.throws(() => parsePolicy('p, a, (get\n', 'pol.csv', m.shapes), /pol\.csv:1: Unmatched brackets/);
  assert.throws(() => parsePolicy('p, a, get\np, b, get\n', 'pol.csv', m.shapes, 1), /pol\.csv: more than 1 policy lines/);
  assert.deepEqual(parsePolicy(' p , "a,b" , ""\n', 'pol.csv', m.shapes), [{ ptype: 'p', values: ['a,b', ''], source: 'pol.csv:1' }]);
});

test('selectors, patterns and times given to functions are checked per line at load', async () => {
  const m = model('sub, nsLabels, time, weekday', 'sub, selector, from, to, days', ALLOW, 'r.sub == p.sub && labelMatch(r.nsLabels, p.selector) && timeWithin(r.time, p.from, p.to) && regexMatch(r.weekday, p.days)');
  await engineFor(m, 'p, user:a, team=a, 09:00, 17:00, ^Mon$\n');
  await assert.rejects(engineFor(m, 'p, user:a, team=a, 09:00, 17:00, ^Mon$\np, user:b, "!=a", 09:00, 17:00, .*\n'), /^Error: policy\.csv:2: selector for labelMatch: /);
  await assert.rejects(engineFor(m, 'p, user:a, team=a, 9:00, 17:00, .*\n'), /^Error: policy\.csv:1: from for timeWithin: "9:00" is not a time HH:MM/);
  await assert.rejects(engineFor(m, 'p, user:a, team=a, 09:00, 17:00, [Mon\n'), /^Error: policy\.csv:1: days for regexMatch: Invalid regular expression/);
});
