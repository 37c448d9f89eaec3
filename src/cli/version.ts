import { createRequire } from 'node:module'

/**
 * The version in package.json, found by the package's own name (its `exports` lists
 * `./package.json`), so the same line works from src/ under tsx and from dist/ once built.
 */
export function packageVersion(): string {
  const pkg = createRequire(import.meta.url)('portcullis/package.json') as { version: string }
  return pkg.version
}
