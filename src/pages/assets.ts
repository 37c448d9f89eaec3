import { createHash } from 'node:crypto'
import { emailLinkScript, emailPagesCss } from './email-link-script.js'

/** A file the hosted pages load from this server (their CSP allows `'self'` only). */
export interface PageAsset {
  /** Where it is served, e.g. `/assets/email-link.js`. */
  path: string
  contentType: string
  body: string
  /**
   * The first 16 hex digits of the body's SHA-256: pages ask for `<path>?v=<version>`, so the
   * file may be cached for a year and a new release is fetched anew.
   */
  version: string
}

/** A page asset of `body`, versioned by its content. */
export function asset(path: string, contentType: string, body: string): PageAsset {
  const version = createHash('sha256').update(body).digest('hex').slice(0, 16)
  return { path, contentType, body, version }
}

export const emailLinkAsset = asset(
  '/assets/email-link.js',
  'text/javascript; charset=utf-8',
  emailLinkScript,
)
export const emailPagesStyle = asset(
  '/assets/email-pages.css',
  'text/css; charset=utf-8',
  emailPagesCss,
)
export const pageAssets: readonly PageAsset[] = [emailLinkAsset, emailPagesStyle]

/**
 * The asset's address as a page names it: relative (no leading slash), so pages served under a
 * path prefix behind a proxy (`https://example.com/auth/reset-password`) load `/auth/assets/…`.
 */
export const assetHref = (a: PageAsset) => `${a.path.slice(1)}?v=${a.version}`
