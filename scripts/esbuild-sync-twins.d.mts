/** Types of ./esbuild-sync-twins.mjs. */
import type { Plugin } from "esbuild";
export declare const syncTwinsPlugin: Plugin;
