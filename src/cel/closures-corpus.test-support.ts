/**
 * Inputs of the differential test of src/cel/closures.ts: the policy library's expressions and
 * test objects (policies/library/**), hand-picked error cases, and expressions generated from a
 * small grammar with a seeded random source (the same set on every run).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { seededRandom } from '../authz/rbac/testing.ts';

const LIBRARY = new URL('../../policies/library/', import.meta.url).pathname;

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return yamlFiles(p);
    return name.endsWith('.yaml') ? [p] : [];
  });
}

type Doc = Record<string, any>;

export interface LibraryPolicy {
  name: string;
  variables: { name: string; expression: string }[];
  /** Every other expression: matchConditions, validations, messages, audit annotations. */
  expressions: string[];
}

/** The library's admission policies and the objects its tests use (all documents that are not policies or bindings). */
export function libraryCorpus(): { policies: LibraryPolicy[]; objects: Doc[] } {
  const policies: LibraryPolicy[] = [];
  const objects: Doc[] = [];
  for (const file of yamlFiles(LIBRARY)) {
    for (const d of parseAllDocuments(readFileSync(file, 'utf8'))) {
      const doc = d.toJS() as Doc | null;
      if (!doc || typeof doc !== 'object') continue;
      const kind = String(doc.kind ?? '');
      if (kind === 'ValidatingAdmissionPolicy' || kind === 'MutatingAdmissionPolicy') {
        const spec = doc.spec ?? {};
        policies.push({
          name: `${kind}/${doc.metadata?.name}`,
          variables: spec.variables ?? [],
          expressions: [
            ...(spec.matchConditions ?? []).map((m: Doc) => m.expression),
            ...(spec.validations ?? []).flatMap((v: Doc) => [v.expression, v.messageExpression]),
            ...(spec.auditAnnotations ?? []).map((a: Doc) => a.valueExpression),
          ].filter((e): e is string => typeof e === 'string'),
        });
      } else if (!kind.endsWith('Binding') && doc.kind !== undefined) objects.push(doc);
    }
  }
  return { policies, objects };
}

const container = (name: string, extra: Doc = {}): Doc => ({ name, image: `registry.example.com/team/${name}:1.4.2`, ...extra });

/** Objects for the generated expressions: fields present, missing, null, of other types, at int64's edges. */
export const SYNTHETIC_OBJECTS: Doc[] = [
  {
    kind: 'Pod',
    metadata: { name: 'web', labels: { app: 'web', team: 'payments' }, annotations: { a: 'b' } },
    spec: {
      replicas: 3,
      containers: [
        container('web', { ports: [{ containerPort: 8080 }, { containerPort: 443 }], resources: { limits: { memory: '1Gi' } }, securityContext: { runAsNonRoot: true } }),
        container('sidecar', { image: 'docker.io/x:latest', securityContext: { allowPrivilegeEscalation: true } }),
      ],
      ratio: 1.5,
    },
  },
  { kind: 'Pod', metadata: { name: '' }, spec: { containers: [], replicas: 9223372036854775807n } },
  { kind: 'Pod', metadata: { name: 'n', labels: {} }, spec: { containers: [container('a', { image: null, ports: [] })], replicas: -9223372036854775808n } },
  { kind: 'Thing', metadata: { name: 'odd', labels: { app: 1 } }, spec: { containers: 'not-a-list', replicas: 'three', ratio: 0 } },
  { kind: 'Empty', metadata: {} },
];

/** Error and absorption cases written out (CEL's commutative && and ||, int64 overflow, ranges). */
export const ERROR_CASES = [
  '1 / 0 == 1',
  '1 / 0 == 1 || true',
  'true || 1 / 0 == 1',
  '1 / 0 == 1 && false',
  'false && 1 / 0 == 1',
  '1 / 0 == 1 && true',
  'object.missing || true',
  'object.missing && object.other',
  'object.metadata.name || true',
  'object.metadata.name && false',
  "object.metadata.name ? 1 : 2",
  '9223372036854775807 + 1',
  '-9223372036854775808 - 1',
  '9223372036854775807 * 2',
  '-9223372036854775808 / -1',
  '5 % 0',
  '2u - 3u',
  '1.0 / 0.0',
  "int('x')",
  "int('9223372036854775808')",
  'object.spec.replicas + 1',
  'object.spec.replicas * object.spec.replicas',
  'object.spec.containers[5].name',
  'object.spec.containers[-1]',
  "object.spec.containers['a']",
  'object.spec.containers.all(c, c.missing)',
  'object.spec.containers.all(c, c.name)',
  "object.spec.containers.exists(c, c.missing == 1) || object.spec.containers.exists(c, c.name == 'web')",
  "object.spec.containers.exists(c, c.name == 'web' || c.missing)",
  "object.spec.containers.all(c, c.name != 'web' && c.missing)",
  'object.spec.containers.exists_one(c, c.missing)',
  '[0, 1].all(x, 1 / x > 5)',
  '[0, 1].exists(x, 1 / x == 1)',
  '[0, 1].all(x, 1 / x == 1)',
  '[1, 0].exists(x, 1 / x == 5)',
  'object.spec.containers.map(c, c.missing)',
  'object.spec.containers.filter(c, c.name)',
  'object.metadata.labels.all(k, k.startsWith("a"))',
  'object.metadata.all(k, object.metadata[k] != null)',
  'object.spec.replicas.all(x, true)',
  "has(object.spec.containers)",
  "has(object.missing.deeper)",
  "has(object.metadata.labels.app)",
  "object.?spec.?nothing.?more.orValue('none')",
  "object.?metadata.?labels.orValue({}).size()",
  "object.?spec.?replicas.or(optional.of(0)).value()",
  // Optional select chains under orValue: plain reads, a null value, and cel-js's selects from a step that is not one on.
  "object.spec.containers.map(c, c.?image.orValue('none'))",
  "object.?spec.?containers.?name.orValue('none')",
  'object.?spec.?replicas.?x.orValue(0)',
  "optional.of(object).?metadata.?name.orValue('')",
  "object.?metadata.?labels.?app.orValue('none')",
  "{'a': {'b': 1u}}.?a.?b.orValue(2u)",
  "object.?spec.?replicas.or(optional.none()).hasValue()",
  "object.metadata.orValue(1)",
  "optional.none().value()",
  "{'a': 1, 'b': object.spec.replicas}.b",
  "{'__proto__': 1}.size()",
  "[object.spec.missing, 1 / 0][0]",
  "object.spec.containers.map(c, c.name).join(',')",
  "object.metadata.name.matches('^w.b$')",
  "object.metadata.name.matches('(')",
  // Calls of one, two and three values (receiver included) with dyn positions, each of its own arity in the dispatch.
  'size(object.spec.replicas)',
  'int(object.spec.ratio)',
  'string(object.spec.replicas)',
  "object.metadata.name.replace('e', object.metadata.name)",
  "object.metadata.name.replace(object.kind, 'x')",
  'object.metadata.name.substring(1, object.spec.replicas)',
  "object.metadata.name.indexOf('e', 1)",
  "object.kind.split('o', object.spec.replicas)",
  'object.kind.substring(object.spec.replicas)',
  "'x' in object.metadata.labels",
  "'web' in object.spec.containers.map(c, c.name)",
  "object.spec.ratio < 2 && object.spec.ratio > 1.0",
  "object.spec.ratio == 1.5",
  "object.spec.replicas == 3",
  "dyn(object.spec.replicas) == 3.0",
  "type(object.spec.replicas) == int",
  "string(object.spec.replicas)",
  "double(object.spec.replicas)",
  "uint(object.spec.replicas)",
  "object.spec.containers.map(c, c.ports.map(p, p.containerPort)).size()",
  "object.spec.containers.all(c, c.?ports.orValue([]).all(p, p.containerPort > 100))",
  "cel.bind(x, object.spec.replicas, x + 1)",
  "cel.bind(x, object.spec.containers, x.exists(c, c.name == 'web') && x.size() > 1)",
  "cel.bind(x, 1, cel.bind(x, 'a', x + 'b'))",
  "object.spec.containers.all(c, cel.bind(n, c.name, n.size() > 2 || c.missing))",
  "cel.bind(x, object.missing, true)",
  "cel.bind(x, 1 / 0, false) || true",
  "[1, 2, 3].map(x, x * 2).filter(y, y > 2).exists_one(z, z == 4)",
  "[1, 2, 3].map(x, x > 1, x * 10)",
  "object.spec.containers.all(c, object.spec.containers.exists(d, d.name == c.name))",
  "object.spec.containers.exists(c, [1, 2].exists(c, c == 2))",
];

type Kind = 'bool' | 'int' | 'str' | 'list' | 'map' | 'dbl' | 'any';

/** Rules per kind; `$k` is a sub-expression of kind k; `v` names the innermost comprehension variable. */
const GRAMMAR: Record<Kind, string[]> = {
  bool: [
    '$int < $int', '$int == $int', '$int >= $int', '$str == $str', '$str != $str', '$bool && $bool', '$bool || $bool', '!$bool',
    '$bool ? $bool : $bool', 'has(object.spec.containers)', 'has(object.metadata.labels)', 'has(object.spec.x.y)',
    '$list.all(v, $bool)', '$list.exists(v, $bool)', '$list.exists_one(v, $bool)', '$str.startsWith($str)', '$str.endsWith($str)',
    '$str.contains($str)', '$str in $map', '$any in $list', '$any == $any', '$dbl < $dbl', 'true', 'false', 'object.missing',
    "v.name == 'web'", 'has(v.ports)', "v.?securityContext.?runAsNonRoot.orValue(false)", 'v > 1', '$list == $list', '$map == $map',
  ],
  int: [
    '0', '1', '-1', '3', '9223372036854775807', '-9223372036854775808', 'object.spec.replicas', '$int + $int', '$int - $int',
    '$int * $int', '$int / $int', '$int % $int', '-$int', 'size($list)', '$str.size()', '$list.size()', '$bool ? $int : $int',
    'object.spec.?replicas.orValue($int)', 'int($dbl)', 'v', '$list[0]', 'object.metadata.labels.size()',
  ],
  dbl: ['1.5', '0.0', '-2.25', 'object.spec.ratio', '$dbl * $dbl', '$dbl / $dbl', 'double($int)', '$dbl - $dbl'],
  str: [
    "'a'", "'web'", "'registry.example.com/'", 'object.metadata.name', 'object.kind', '$str + $str', '$str.lowerAscii()',
    'string($int)', 'object.metadata.labels.app', "object.metadata.?labels.?team.orValue('none')", 'v.image', 'v.name',
    "$list.map(v, string(v)).join('-')", 'v',
  ],
  list: [
    'object.spec.containers', '[1, 2, 3]', '[]', "['web', 'a']", '$list.map(v, $any)', '$list.filter(v, $bool)', '$list + $list',
    'object.spec.containers.map(v, v.name)', 'v.ports', '[$int, $int]', 'object.metadata.labels.map(v, v)',
  ],
  map: ["{'a': 1}", 'object.metadata.labels', 'object.metadata', '{}', "{$str: $int}", 'object.spec'],
  any: ['$int', '$str', '$bool', '$list', '$map', '$dbl', 'null', 'v'],
};

/** `count` distinct expressions of at most `depth` nested rules. */
export function generatedExpressions(count: number, seed = 16): string[] {
  const rnd = seededRandom(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const expand = (kind: Kind, depth: number): string => {
    const rules = GRAMMAR[kind];
    // Deep enough: the leaves (rules without sub-expressions) only.
    const leaves = rules.filter((r) => !/\$[a-z]/.test(r));
    const rule = depth <= 0 && leaves.length > 0 ? pick(leaves) : pick(rules);
    return rule.replace(/\$(int|str|bool|list|map|dbl|any)/g, (_m, k: Kind) => {
      const sub = expand(k, depth - 1);
      return /[\s!?:+*/%<>=&|-]/.test(sub) ? `(${sub})` : sub;
    });
  };
  const out = new Set<string>();
  for (let i = 0; out.size < count && i < count * 20; i++) out.add(expand(pick(['bool', 'bool', 'int', 'str', 'list', 'any'] as Kind[]), 1 + Math.floor(rnd() * 4)));
  return [...out];
}
