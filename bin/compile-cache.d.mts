/** Fills Node's compile cache in dir with the modules at urls (bin/compile-cache.mjs). */
export declare function warmCompileCache(dir: string, urls: readonly string[], execArgv?: readonly string[]): void;
