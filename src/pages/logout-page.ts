import { escapeHtml } from '../mail/html.js'
import { renderPage } from './layout.js'
import { hiddenFields } from './login-page.js'

export interface LogoutPageContent {
  productName: string
  /** The client that asked for the logout, when known (its registered name). */
  clientName: string | null
  csrf: string
  /** The checked request's fields the confirmation carries (client, redirect URI, state). */
  params: Readonly<Record<string, string>>
}

/**
 * The logout confirmation (RP-Initiated Logout 1.0 §2: the OP SHOULD ask the user): "Sign out of
 * <product>?" and one CSRF-protected button. Nothing is ended until it is pressed, so a link or
 * an image on another site cannot sign anyone out.
 */
export function logoutPage(page: LogoutPageContent): string {
  const asking =
    page.clientName === null
      ? ''
      : `<p><strong>${escapeHtml(page.clientName)}</strong> asks you to sign out.</p>\n`
  return renderPage({
    productName: page.productName,
    script: false,
    heading: `Sign out of ${page.productName}?`,
    body: `${asking}<p>You will be signed out of ${escapeHtml(page.productName)} in this browser, and the apps you signed in to through it lose their access.</p>
<form method="post" action="end/confirm">
${hiddenFields(page.params, page.csrf)}
<button type="submit">Sign out</button>
</form>`,
  })
}

/** The page after a logout without a (registered) place to return to. */
export function signedOutPage(productName: string): string {
  return renderPage({
    productName,
    script: false,
    heading: 'You are signed out',
    body: `<p role="status">You are signed out of ${escapeHtml(productName)} in this browser. You can close this page.</p>`,
  })
}
