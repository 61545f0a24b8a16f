/** How the API server's process runs (bin/apiserver-process.mjs). */
export declare const API_SERVER_NODE_FLAGS: readonly string[];
export declare function execAsApiServer(script: string): void;
