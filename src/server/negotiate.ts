/**
 * Output content negotiation for plain objects, lists, Status and watch streams, as upstream's
 * negotiation.NegotiateOutputMediaType: the client's Accept clauses in preference order, the first
 * one the server can write wins; none is 406 NotAcceptable. Tables are negotiated by the REST
 * layer (src/api/printers/accept.ts) before this.
 */
import { ApiError } from '../api/errors.ts';
import { acceptClauses } from '../api/printers/accept.ts';

export type OutputFormat = 'json' | 'yaml' | 'protobuf';

export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';
export const PROTOBUF_WATCH_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf;stream=watch';

const SERVED = ['application/json', 'application/yaml', PROTOBUF_CONTENT_TYPE];

function formatOf(type: string): OutputFormat | undefined {
  switch (type) {
    case 'application/json':
    case 'application/*':
    case '*/*':
      return 'json';
    case 'application/yaml':
      return 'yaml';
    case PROTOBUF_CONTENT_TYPE:
      return 'protobuf';
    default:
      return undefined;
  }
}

/**
 * The formats the client accepts, most preferred first. No Accept header means JSON. Clauses that
 * ask for a conversion (`as=Table`, `as=PartialObjectMetadata`) are not plain objects and are
 * skipped here.
 */
export function acceptedFormats(accept: string | undefined): OutputFormat[] {
  if (accept === undefined || accept.trim() === '') return ['json'];
  const out: OutputFormat[] = [];
  for (const c of acceptClauses(accept)) {
    if (c.params.has('as')) continue;
    const f = formatOf(c.type);
    if (f && !out.includes(f)) out.push(f);
  }
  return out;
}

/** Upstream's 406 when nothing the client accepts can be written. */
export function notAcceptable(): ApiError {
  return new ApiError(406, 'NotAcceptable', `only the following media types are accepted: ${SERVED.join(', ')}`);
}

/**
 * The format to answer in: the most preferred one the body can be written as (protobuf only for
 * kinds with a protobuf type). JSON is the fallback for a client that sent no usable clause at all
 * only when it accepts anything; otherwise 406.
 */
export function chooseFormat(formats: OutputFormat[], protobufPossible: boolean): OutputFormat {
  for (const f of formats) {
    if (f === 'protobuf' && !protobufPossible) continue;
    return f;
  }
  throw notAcceptable();
}
