import { escapeHtml } from '../mail/html.js'
import { assetHref, emailLinkAsset, emailPagesStyle } from './assets.js'

export interface PageContent {
  /** The product name (config.mail.flows.productName); escaped here. */
  productName: string
  /** The page's heading and, after it, the product name, its title; escaped here. */
  heading: string
  /** The markup under the heading: built by the caller, every interpolated value escaped. */
  body: string
  /**
   * A result page (success, or a link that can no longer be used): the script forgets the
   * token it kept for this tab.
   */
  done?: boolean
  /** Load the email pages' script (default true); the login and consent pages need none. */
  script?: boolean
}

/**
 * A whole hosted page: the document, its language, the stylesheet and the script (both files
 * from this server, as the CSP requires), the product name and the heading in a `<main>`.
 */
export function renderPage(page: PageContent): string {
  const product = escapeHtml(page.productName)
  const heading = escapeHtml(page.heading)
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${heading} · ${product}</title>
<link rel="stylesheet" href="${assetHref(emailPagesStyle)}">
${page.script === false ? '' : `<script src="${assetHref(emailLinkAsset)}" defer></script>\n`}</head>
<body${page.done ? ' data-link-done' : ''}>
<main>
<p class="product">${product}</p>
<h1>${heading}</h1>
${page.body}
</main>
</body>
</html>
`
}
