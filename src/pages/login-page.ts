import { csrfField } from '../http/csrf.js'
import { escapeHtml } from '../mail/html.js'
import { renderPage } from './layout.js'
import { passkeySignInForm } from './passkey-forms.js'

/** The form fields that carry an authorization request from page to page, and the CSRF value. */
export function hiddenFields(params: Readonly<Record<string, string>>, csrf: string): string {
  const fields = Object.entries(params).map(
    ([name, value]) =>
      `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`,
  )
  fields.push(`<input type="hidden" name="${csrfField}" value="${escapeHtml(csrf)}">`)
  return fields.join('\n')
}

export interface LoginPageContent {
  productName: string
  /** The name of the client the user signs in to. */
  clientName: string
  csrf: string
  /** The authorization request's parameters (`AuthorizationRequest.params`). */
  params: Readonly<Record<string, string>>
  /** What the username field holds (after a failure; a `login_hint`); never the password. */
  username?: string | undefined
  /** Why the last attempt was refused: one sentence, never which part was wrong. */
  error?: string | undefined
  /** The password-reset page (relative), when the email flows are on; else null. */
  resetHref: string | null
}

/**
 * The hosted login form (GET /login, and POST /login after a refusal): "Username or email" and
 * password with their standard `autocomplete` values (so password managers fill them), the
 * request's parameters as hidden fields and the CSRF value. Plain HTML: it works without
 * JavaScript. A failure's message is shown above the form and announced to screen readers.
 */
export function loginPage(page: LoginPageContent): string {
  const invalid =
    page.error === undefined ? '' : ' aria-invalid="true" aria-describedby="form-error"'
  const error =
    page.error === undefined
      ? ''
      : `<p id="form-error" class="error" role="alert">${escapeHtml(page.error)}</p>\n`
  const reset =
    page.resetHref === null
      ? ''
      : `<p class="hint"><a href="${escapeHtml(page.resetHref)}">Forgot your password?</a></p>\n`
  return renderPage({
    productName: page.productName,
    script: false,
    heading: 'Sign in',
    body: `<p>Sign in to continue to <strong>${escapeHtml(page.clientName)}</strong>.</p>
${error}<form method="post" action="login">
${hiddenFields(page.params, page.csrf)}
<label for="username">Username or email</label>
<input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${escapeHtml(page.username ?? '')}"${invalid}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${invalid}>
<button type="submit">Sign in</button>
</form>
${reset}<!-- The second step of a login (MFA) and a passkey button go in this container. -->
<div id="login-second-factor" data-login-second-factor>${passkeySignInForm(page.params, page.csrf)}</div>`,
  })
}

/** A page with a heading and one sentence (an error, a refusal); plain text, escaped here. */
export function messagePage(page: {
  productName: string
  heading: string
  message: string
}): string {
  return renderPage({
    productName: page.productName,
    script: false,
    heading: page.heading,
    body: `<p role="alert">${escapeHtml(page.message)}</p>`,
  })
}

/** A wait in words: "30 seconds", "1 minute", "5 minutes", "2 hours". */
export function waitInWords(seconds: number): string {
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`
  if (seconds < 60) return plural(Math.max(1, Math.ceil(seconds)), 'second')
  if (seconds < 3600) return plural(Math.ceil(seconds / 60), 'minute')
  return plural(Math.ceil(seconds / 3600), 'hour')
}
