/** NodePorts: a host port (protocol, IP, port) already used on the node rejects it (plugins/nodeports). */
import { unschedulable, type FilterPlugin } from '../framework.ts';
import { podHostPorts } from '../node-info.ts';

export const ERR_REASON_PORTS = "node(s) didn't have free ports for the requested pod ports";

export function nodePorts(): FilterPlugin {
  return {
    name: 'NodePorts',
    filter(_state, pod, node) {
      for (const p of podHostPorts(pod)) if (node.portConflicts(p)) return unschedulable(ERR_REASON_PORTS);
      return undefined;
    },
  };
}
