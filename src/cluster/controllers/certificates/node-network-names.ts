/**
 * The names of a node agent's network plugin identity, shared by the agent that requests it and
 * the controllers that approve and sign it: Portcullis's own signer (as
 * kube-apiserver-client-kubelet is the kubelet's), whose certificates are client certificates for
 * system:node-network:<node> in system:node-networks only, so neither the approver nor a human
 * approving by mistake can get another subject signed under it.
 */
export const SIGNER_NODE_NETWORK_CLIENT = 'portcullis.dev/node-network-client';
export const NODE_NETWORK_GROUP = 'system:node-networks';
export const NODE_NETWORK_USER_PREFIX = 'system:node-network:';
