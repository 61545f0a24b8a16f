/** NodePorts: a host port (protocol, IP, port) already used on the node rejects it (plugins/nodeports). */
import { unschedulable, type FilterPlugin } from '../framework.ts';
import { podHostPorts, type HostPort } from '../node-info.ts';

const STATE_KEY = 'PreFilterNodePorts';

export const ERR_REASON_PORTS = "node(s) didn't have free ports for the requested pod ports";

export function nodePorts(): FilterPlugin {
  return {
    name: 'NodePorts',
    filter(state, pod, node) {
      // The pod's ports once per cycle (upstream computes them in PreFilter), not once per node.
      let ports = state.get(STATE_KEY) as readonly HostPort[] | undefined;
      if (!ports) state.set(STATE_KEY, (ports = podHostPorts(pod)));
      for (const p of ports) if (node.portConflicts(p)) return unschedulable(ERR_REASON_PORTS);
      return undefined;
    },
  };
}
