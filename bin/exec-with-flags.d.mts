/** Re-runs this process with V8 flags the user did not set (bin/exec-with-flags.mjs). */
export declare function execWithNodeFlags(script: string, flags: readonly string[], env?: Readonly<Record<string, string>>): void;
