/** The dependencies compiled into the bundle; every other one stays an import. */
export const BUNDLED: readonly string[]
/** Where `npm start` finds the server, relative to the package root. */
export const BUNDLE_DIR: string
/** Bundles `root`'s server and cluster worker entries into `root`/dist/bundle/. */
export function bundle(root: string): Promise<void>
