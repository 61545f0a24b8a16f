/** NodeName: a pod with spec.nodeName fits only that node (plugins/nodename). */
import { unresolvable, type FilterPlugin } from '../framework.ts';

export const ERR_REASON_NODE_NAME = "node(s) didn't match the requested node name";

export function nodeName(): FilterPlugin {
  return {
    name: 'NodeName',
    filter(_state, pod, node) {
      const want = pod.spec?.nodeName;
      if (want && want !== node.name) return unresolvable(ERR_REASON_NODE_NAME);
      return undefined;
    },
  };
}
