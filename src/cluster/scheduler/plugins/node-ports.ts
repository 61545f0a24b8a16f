/** NodePorts: a host port (protocol, IP, port) already used on the node rejects it (plugins/nodeports). */
import { SKIP, unschedulable, type FilterPlugin, type PreFilterPlugin } from '../framework.ts';
import { podHostPorts, type HostPort } from '../node-info.ts';

const STATE_KEY = 'PreFilterNodePorts';

export const ERR_REASON_PORTS = "node(s) didn't have free ports for the requested pod ports";

export function nodePorts(): PreFilterPlugin & FilterPlugin {
  return {
    name: 'NodePorts',
    preFilter(state, pod) {
      // As upstream: a pod without host ports skips the Filter (it fits every node's ports).
      const ports = podHostPorts(pod);
      if (ports.length === 0) return SKIP;
      state.set(STATE_KEY, ports);
      return undefined;
    },
    filter(state, pod, node) {
      // The pod's ports once per cycle (PreFilter's, or here when PreFilter did not run), not once per node.
      let ports = state.get(STATE_KEY) as readonly HostPort[] | undefined;
      if (!ports) state.set(STATE_KEY, (ports = podHostPorts(pod)));
      for (const p of ports) if (node.portConflicts(p)) return unschedulable(ERR_REASON_PORTS);
      return undefined;
    },
  };
}
