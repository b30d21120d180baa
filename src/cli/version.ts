/** The package version (bundled into dist/cli.cjs by the build). */
import pkg from "../../package.json" with { type: "json" };

export const VERSION: string = pkg.version;
