/** How the `portcullis agent` process runs (bin/agent-process.mjs). */
export declare const AGENT_NODE_FLAGS: readonly string[];
export declare const AGENT_ENV: Readonly<Record<string, string>>;
/** file: URLs of the agent process's TypeScript modules, lazily loaded ones included. */
export declare const AGENT_MODULES: readonly string[];
export declare function execAsAgent(script: string): void;
