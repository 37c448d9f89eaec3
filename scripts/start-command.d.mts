/** The node arguments of `npm start`'s server command (flags, then the entry), from package.json. */
export function startArguments(root: string): string[]
