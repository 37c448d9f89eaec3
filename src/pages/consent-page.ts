import { escapeHtml } from '../mail/html.js'
import { renderPage } from './layout.js'
import { hiddenFields } from './login-page.js'

/** What each known scope lets a client do, in the user's words. */
const scopeLines: Readonly<Record<string, string>> = {
  openid: 'Know who you are (your account identifier)',
  profile: 'See your username and name',
  email: 'See your email address and whether it is confirmed',
  sessions: 'See and end your signed-in sessions',
  admin: 'Administer this server: users, clients and keys',
  offline_access: 'Stay connected when you are not using it',
}

/** The plain-language line of a scope; a scope the operator added is named as it is. */
export const scopeLine = (scope: string): string =>
  scopeLines[scope] ?? `Use “${scope}” on your behalf`

export interface ConsentPageContent {
  productName: string
  clientName: string
  /** The signed-in user's name, so a shared computer's wrong account shows. */
  username: string
  scopes: readonly string[]
  csrf: string
  params: Readonly<Record<string, string>>
}

/**
 * GET /consent: which client asks for what (OpenID Connect Core §3.1.2.4), a line per scope, and
 * Allow and Deny, two submit buttons of one CSRF-protected form (no JavaScript needed).
 */
export function consentPage(page: ConsentPageContent): string {
  const items = page.scopes.map((s) => `<li>${escapeHtml(scopeLine(s))}</li>`).join('\n')
  const asks =
    page.scopes.length === 0
      ? '<p>It asks for no particular access.</p>'
      : `<p>It asks to:</p>\n<ul id="scopes">\n${items}\n</ul>`
  return renderPage({
    productName: page.productName,
    script: false,
    heading: `Allow ${page.clientName}?`,
    body: `<p><strong>${escapeHtml(page.clientName)}</strong> wants to use your account <strong>${escapeHtml(page.username)}</strong>.</p>
${asks}
<form method="post" action="consent">
${hiddenFields(page.params, page.csrf)}
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>`,
  })
}
