/**
 * The documentation half of scripts/gen-schema.ts: the comment above each message and field of
 * the Kubernetes .proto files, formatted as upstream's OpenAPI descriptions read (kube-openapi's
 * openapi-gen: marker lines dropped, lines joined with spaces, blank lines kept as paragraphs,
 * indented lines kept on their own line). Written to src/api/schema/generated/docs.json for
 * `kubectl explain` and the OpenAPI documents.
 *
 * protobufjs trims each comment line, which loses the indentation openapi-gen keys on, so the
 * comments are read from the .proto text: go-to-protobuf writes one flat message per block with
 * its fields one a line, which a line scanner reads exactly.
 */
import protobuf from 'protobufjs';

/** Raw comment lines (without the leading "// ") by "<package>.<Message>" and "<package>.<Message>.<protoField>". */
export function protoComments(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let pkg = '';
  let message: string | undefined;
  let pending: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    const trimmed = line.trim();
    if (trimmed.startsWith('//')) {
      const body = trimmed.slice(2);
      pending.push(body.startsWith(' ') ? body.slice(1) : body);
      continue;
    }
    const comment = pending;
    pending = [];
    const pkgMatch = /^package\s+([\w.]+)\s*;/.exec(trimmed);
    if (pkgMatch) {
      pkg = pkgMatch[1]!;
      continue;
    }
    const msg = /^message\s+(\w+)\s*\{/.exec(trimmed);
    if (msg) {
      message = `${pkg}.${msg[1]}`;
      if (comment.length > 0) out.set(message, comment);
      continue;
    }
    if (trimmed === '}') {
      message = undefined;
      continue;
    }
    const field = /^(?:optional\s+|repeated\s+|required\s+)?(?:map<[^>]+>|[\w.]+)\s+(\w+)\s*=\s*\d+/.exec(trimmed);
    if (field && message && comment.length > 0) out.set(`${message}.${field[1]}`, comment);
  }
  return out;
}

/** One description from comment lines, as kube-openapi's generator formats it. */
export function formatDoc(lines: readonly string[]): string {
  let buf = '';
  const dropLast = (): void => {
    if (buf.length > 0) buf = buf.slice(0, -1);
  };
  for (const raw of lines) {
    if (raw === '---') break;
    const line = raw.replace(/ +$/, '');
    const leading = line.replace(/^ +/, '');
    if (line.length === 0) {
      dropLast();
      buf += '\n\n';
    } else if (leading.startsWith('TODO') || leading.startsWith('+')) {
      // one-line TODOs and instructions to the generators are not documentation
    } else if (line.startsWith(' ') || line.startsWith('\t')) {
      dropLast();
      buf += `\n${line}\n`;
    } else {
      buf += `${line} `;
    }
  }
  return buf.replace(/^\n+/, '').replace(/\n+$/, '').replace(/\\"/g, '"').replace(/^ +| +$/g, '');
}

export interface TypeDocs {
  description?: string;
  /** By JSON field name, in proto order (fields hoisted from embedded structs included). */
  fields?: Record<string, string>;
}

function fullName(t: protobuf.ReflectionObject): string {
  return t.fullName.replace(/^\./, '');
}

/**
 * docs.json text for the given messages: one line per documented message, sorted by name.
 * `jsonName` and `inline` are gen-schema's, so the field names match schema.json exactly.
 */
export function docsText(
  types: readonly protobuf.Type[],
  comments: ReadonlyMap<string, string[]>,
  jsonName: (message: string, protoField: string) => string,
  inline: ReadonlySet<string>,
): string {
  const fieldDocs = (t: protobuf.Type, into: Record<string, string>): void => {
    for (const f of t.fieldsArray) {
      if (inline.has(`${t.name}.${f.name}`) && f.resolvedType instanceof protobuf.Type) {
        fieldDocs(f.resolvedType, into);
        continue;
      }
      const lines = comments.get(`${fullName(t)}.${f.name}`);
      const doc = lines ? formatDoc(lines) : '';
      if (doc) into[jsonName(t.name, f.name)] = doc;
    }
  };
  const out: string[] = [];
  for (const t of types) {
    const entry: TypeDocs = {};
    const lines = comments.get(fullName(t));
    const description = lines ? formatDoc(lines) : '';
    if (description) entry.description = description;
    const fields: Record<string, string> = {};
    fieldDocs(t, fields);
    if (Object.keys(fields).length > 0) entry.fields = fields;
    if (entry.description || entry.fields) out.push(`${JSON.stringify(fullName(t))}:${JSON.stringify(entry)}`);
  }
  return `{"types":{\n${out.join(',\n')}\n}}\n`;
}
