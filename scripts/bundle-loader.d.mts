/** Types of ./bundle-loader.mjs. */
export declare const BUNDLE: string;
export declare const CACHE: string;
export interface LoadedBundle {
  readonly exports: Record<string, unknown>;
  readonly cacheRejected: boolean;
  writeCache(): void;
}
export declare function loadBundle(opts?: {
  useCache?: boolean;
  bundle?: string;
  cache?: string;
}): LoadedBundle;
