import { csrfField } from '../http/csrf.js'
import { escapeHtml } from '../mail/html.js'
import type { FormPage } from './email-pages.js'
import { renderPage } from './layout.js'

/**
 * GET /forgot-password (and the form again after an address that cannot be one): one labelled
 * `email` field and a submit button. Plain HTML: no script, so it works without JavaScript.
 */
export function forgotPasswordPage(page: FormPage & { email?: string }): string {
  const error =
    page.error === undefined
      ? ''
      : `<p id="form-error" class="error" role="alert">${escapeHtml(page.error)}</p>\n`
  const invalid =
    page.error === undefined ? '' : ' aria-invalid="true" aria-describedby="form-error"'
  return renderPage({
    productName: page.productName,
    script: false,
    heading: 'Reset your password',
    body: `<p>Enter the email address of your account. We will send a link to choose a new password.</p>
${error}<form method="post" action="forgot-password">
<input type="hidden" name="${csrfField}" value="${escapeHtml(page.csrf)}">
<label for="email">Email address</label>
<input id="email" name="email" type="email" autocomplete="email" required value="${escapeHtml(page.email ?? '')}"${invalid}>
<button type="submit">Send the link</button>
</form>`,
  })
}
