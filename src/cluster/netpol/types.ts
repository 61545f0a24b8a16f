/**
 * The inputs of the one policy model (pods, namespaces, NetworkPolicy v1, AdminNetworkPolicy and
 * BaselineAdminNetworkPolicy of policy.networking.k8s.io/v1alpha1) and what it compiles them to.
 * `netpol analyze` evaluates the compiled form pair by pair; the node agent renders the same
 * compiled form as nftables rules (nftables.ts), so the two cannot disagree about a policy.
 */
import type { IntervalSet } from './intervals.ts';
import type { ConnSet } from './connections.ts';

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
}

export interface PodInfo {
  /** namespace/name */
  key: string;
  namespace: string;
  name: string;
  labels: Record<string, string>;
  ports: ContainerPort[];
  /** The controlling owner (kind and name), or the pod itself. */
  owner: { kind: string; name: string };
  /** IPv4 addresses of the pod (status.podIPs); empty in a manifests-only analysis. */
  ips: string[];
}

export interface NamespaceInfo {
  name: string;
  labels: Record<string, string>;
}

type Json = Record<string, unknown>;
/** Objects as they come from the API or from manifests (validated by the API server already). */
export interface PolicyInput {
  networkPolicies: Json[];
  adminNetworkPolicies: Json[];
  baselineAdminNetworkPolicy?: Json;
}

export type Action = 'Allow' | 'Deny' | 'Pass';

/** Who a rule is about: some pods (by key), some external IPv4 space, or every peer at all. */
export interface PeerMatch {
  any: boolean;
  pods: ReadonlySet<string>;
  /** External addresses only: an ipBlock never selects a pod (as np-guard and most data planes). */
  ips: IntervalSet;
}

export interface CompiledRule {
  action: Action;
  peers: PeerMatch;
  conns: ConnSet;
  /** "kind namespace/name rule N", for explanations and nft comments. */
  origin: string;
}

/** One direction of one pod, in evaluation order of the three layers. */
export interface DirectionPolicy {
  /** AdminNetworkPolicy rules by priority then rule order; first match per connection decides. */
  admin: CompiledRule[];
  /** NetworkPolicy allow rules; null when no NetworkPolicy selects the pod in this direction. */
  network: CompiledRule[] | null;
  /** BaselineAdminNetworkPolicy rules in order; what none decides is allowed. */
  baseline: CompiledRule[];
}

export interface PodPolicy {
  pod: PodInfo;
  ingress: DirectionPolicy;
  egress: DirectionPolicy;
}

export type Peer = { kind: 'pod'; pod: PodInfo } | { kind: 'ip'; block: IntervalSet };
