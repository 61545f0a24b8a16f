/** flowcontrol.apiserver.k8s.io/v1 kinds, after upstream's printers.go. */
import { since } from '../duration.ts';
import { arr, int, obj, str } from '../format.ts';
import { column } from '../types.ts';
import type { Obj, Printer } from '../types.ts';
import { AGE, NAME } from './meta.ts';
import { lazyPrinter, protoDoc } from './proto-docs.ts';

const name = (o: Obj): string => str(obj(o.metadata).name);
const age = (o: Obj, now: Date): string => since(obj(o.metadata).creationTimestamp, now);

export const flowSchemaPrinter: Printer = lazyPrinter(
  () => [
    NAME,
    column('PriorityLevel', 'string', protoDoc('flowcontrol.v1.PriorityLevelConfigurationReference', 'name')),
    column('MatchingPrecedence', 'string', protoDoc('flowcontrol.v1.FlowSchemaSpec', 'matchingPrecedence')),
    column('DistinguisherMethod', 'string', protoDoc('flowcontrol.v1.FlowSchemaSpec', 'distinguisherMethod')),
    AGE,
    column('MissingPL', 'string', 'references a broken or non-existent PriorityLevelConfiguration'),
  ],
  (o, now) => {
    const spec = obj(o.spec);
    const dm = spec.distinguisherMethod ? str(obj(spec.distinguisherMethod).type) : '<none>';
    const dangling = arr(obj(o.status).conditions).find((c) => c.type === 'Dangling');
    return [name(o), str(obj(spec.priorityLevelConfiguration).name), int(spec.matchingPrecedence), dm, age(o, now), dangling ? str(dangling.status) : '?'];
  },
);

export const priorityLevelConfigurationPrinter: Printer = lazyPrinter(
  () => [
    NAME,
    column('Type', 'string', protoDoc('flowcontrol.v1.PriorityLevelConfigurationSpec', 'type')),
    column('NominalConcurrencyShares', 'string', protoDoc('flowcontrol.v1.LimitedPriorityLevelConfiguration', 'nominalConcurrencyShares')),
    column('Queues', 'string', protoDoc('flowcontrol.v1.QueuingConfiguration', 'queues')),
    column('HandSize', 'string', protoDoc('flowcontrol.v1.QueuingConfiguration', 'handSize')),
    column('QueueLengthLimit', 'string', protoDoc('flowcontrol.v1.QueuingConfiguration', 'queueLengthLimit')),
    AGE,
  ],
  (o, now) => {
    const spec = obj(o.spec);
    let ncs: unknown = '<none>';
    let queues: unknown = '<none>';
    let handSize: unknown = '<none>';
    let qll: unknown = '<none>';
    if (spec.limited) {
      const l = obj(spec.limited);
      ncs = int(l.nominalConcurrencyShares);
      const q = obj(l.limitResponse).queuing;
      if (q) {
        queues = int(obj(q).queues);
        handSize = int(obj(q).handSize);
        qll = int(obj(q).queueLengthLimit);
      }
    }
    return [name(o), str(spec.type), ncs, queues, handSize, qll, age(o, now)];
  },
);
