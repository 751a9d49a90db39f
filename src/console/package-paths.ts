import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The package's root folder (this file is compiled to dist/src/console/). */
export const packageRoot = fileURLToPath(new URL("../../../", import.meta.url));

/** The built front-end (`npm run build`: Vite writes it here; not committed). */
export const webAssetsDir = join(packageRoot, "dist", "console-web");

/** The named queries the workbench offers. */
export const namedQueriesFile = join(packageRoot, "queries", "athena_queries.sql");
