/**
 * Kubernetes' CEL format library (apiserver/pkg/cel/library/format.go): `format.named(name)`
 * (optional) and `format.<name>()` for the named validations (dns1123Label, dns1123Subdomain,
 * dns1035Label, qualifiedName, the three prefixes, labelValue, uri, uuid, byte, date, datetime);
 * `<Format>.validate(s)` is optional.none() when s is valid, else the list of errors. The checks
 * are the API's own (src/api/validation) and the CRD schema formats'.
 */
import { Optional, type Environment } from '@marcbachmann/cel-js';
import { matchesFormat } from '../../api/crd/schema-formats.ts';
import { nameIsDNS1035Label, nameIsDNSLabel, nameIsDNSSubdomain } from '../../api/validation/meta.ts';
import { isQualifiedName, isValidLabelValue } from '../../api/validation/names.ts';
import { celUrlError } from './url.ts';

export class CelFormat {
  readonly name: string;
  readonly validate: (s: string) => string[];
  constructor(name: string, validate: (s: string) => string[]) {
    this.name = name;
    this.validate = validate;
  }
}

const strfmt = (format: string, error: string) => (s: string) => (matchesFormat(format, s) ? [] : [error]);

const FORMATS: Record<string, CelFormat> = {
  dns1123Label: new CelFormat('DNS1123Label', (s) => nameIsDNSLabel(s, false)),
  dns1123Subdomain: new CelFormat('DNS1123Subdomain', (s) => nameIsDNSSubdomain(s, false)),
  dns1035Label: new CelFormat('DNS1035Label', (s) => nameIsDNS1035Label(s, false)),
  qualifiedName: new CelFormat('QualifiedName', isQualifiedName),
  dns1123LabelPrefix: new CelFormat('DNS1123LabelPrefix', (s) => nameIsDNSLabel(s, true)),
  dns1123SubdomainPrefix: new CelFormat('DNS1123SubdomainPrefix', (s) => nameIsDNSSubdomain(s, true)),
  dns1035LabelPrefix: new CelFormat('DNS1035LabelPrefix', (s) => nameIsDNS1035Label(s, true)),
  labelValue: new CelFormat('LabelValue', isValidLabelValue),
  uri: new CelFormat('URI', (s) => {
    const e = celUrlError(s);
    return e ? [e] : [];
  }),
  uuid: new CelFormat('uuid', strfmt('uuid', 'does not match the UUID format')),
  byte: new CelFormat('byte', strfmt('byte', 'invalid base64')),
  date: new CelFormat('date', strfmt('date', 'invalid date')),
  datetime: new CelFormat('datetime', strfmt('date-time', 'invalid datetime')),
};

class FormatNamespace {}

export function registerFormatLibrary(env: Environment): Environment {
  const T = 'kubernetes.NamedFormat';
  const NS = 'kubernetes.FormatNamespace';
  let e = env
    .registerType(T, CelFormat)
    .registerType(NS, FormatNamespace)
    .registerConstant('format', NS, new FormatNamespace())
    .registerFunction(`${NS}.named(string): optional<${T}>`, (_n: FormatNamespace, name: string) => (Object.hasOwn(FORMATS, name) ? Optional.of(FORMATS[name]) : Optional.none()))
    .registerFunction(`${T}.validate(string): optional<list<string>>`, (f: CelFormat, s: string) => {
      const errors = f.validate(s);
      return errors.length === 0 ? Optional.none() : Optional.of(errors);
    });
  for (const [name, f] of Object.entries(FORMATS)) e = e.registerFunction(`${NS}.${name}(): ${T}`, () => f);
  return e;
}
