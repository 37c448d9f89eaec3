/** The stale sources and configuration files of `root`'s dist/ build; empty when it is up to date. */
export function staleSources(root: string): string[]
