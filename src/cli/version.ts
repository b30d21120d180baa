/** The package version (bundled into dist/cli.mjs by the build). */
import pkg from "../../package.json" with { type: "json" };

export const VERSION: string = pkg.version;
