/** The resources the DaemonSet controller reads and writes. */
import { resources } from '../../client/resources.ts';

export const DAEMON_SETS = resources.daemonsets;
export const NODES = resources.nodes;
