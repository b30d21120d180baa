/** Types of ./sync-twins.mjs (the sync-twin transform). */
export declare function addSyncTwins(src: string, runtime: string): string | null;
export declare function runtimeSpecifier(path: string): string;
