import { badRequest } from '../../api/errors.ts';
import { includeObjectError, parseIncludeObject, TABLE_CONTENT_TYPE, wantsTable, type IncludeObject, type TableVersion } from '../../api/printers/index.ts';
import type { RestRequest } from './context.ts';
import { header } from './decode-object.ts';

export interface TableRequest {
  version: TableVersion;
  includeObject: IncludeObject;
  contentType: string;
}

/** Whether a read asks for a meta.k8s.io Table (kubectl get does), and with which object detail. */
export function tableRequest(req: RestRequest): TableRequest | undefined {
  const version = wantsTable(header(req, 'accept'));
  if (!version) return undefined;
  const raw = req.query.get('includeObject');
  const includeObject = parseIncludeObject(raw);
  if (!includeObject) throw badRequest(includeObjectError(raw ?? ''));
  return { version, includeObject, contentType: TABLE_CONTENT_TYPE[version] };
}
