import { csrfField } from '../http/csrf.js'
import { escapeHtml } from '../mail/html.js'
import { renderPage } from './layout.js'

/** What every hosted page needs: the product name and the form's CSRF value. */
export interface FormPage {
  productName: string
  csrf: string
  /** Why the last attempt was refused (shown above the form, announced to screen readers). */
  error?: string
}

const noScript = `<noscript><p class="error">This page needs JavaScript to read the link from the message. Turn JavaScript on and open the link again.</p></noscript>`
const linkMissing = `<p id="link-missing" class="error" role="alert" hidden>This page opens from the link in the message we sent you. Open that link again, or ask for a new one.</p>`

const errorLine = (error: string | undefined) =>
  error === undefined
    ? ''
    : `<p id="form-error" class="error" role="alert">${escapeHtml(error)}</p>\n`

/**
 * The form's hidden fields. The token field is always empty here: the script fills it from the
 * link's fragment, so no page the server renders ever holds a token.
 */
const hiddenFields = (csrf: string) =>
  `<input type="hidden" name="${csrfField}" value="${escapeHtml(csrf)}">
<input type="hidden" name="token" value="">`

/**
 * GET /reset-password (and the form again after a refused password): one labelled
 * `new-password` field with the policy's minimum length, and a submit button. The form stays
 * hidden until the script has the token.
 */
export function resetPasswordPage(page: FormPage & { minLength: number }): string {
  const describedBy = page.error === undefined ? 'password-rule' : 'form-error password-rule'
  const invalid = page.error === undefined ? '' : ' aria-invalid="true"'
  return renderPage({
    productName: page.productName,
    heading: 'Choose a new password',
    body: `${errorLine(page.error)}<form method="post" action="reset-password" data-email-link hidden>
${hiddenFields(page.csrf)}
<label for="new-password">New password</label>
<input id="new-password" name="new_password" type="password" autocomplete="new-password" required minlength="${page.minLength}" aria-describedby="${describedBy}"${invalid}>
<p id="password-rule" class="hint">At least ${page.minLength} characters. A few unrelated words make a strong password that is easy to remember.</p>
<button type="submit">Set new password</button>
</form>
${linkMissing}
${noScript}`,
  })
}

/** GET /verify-email: a Confirm button; nothing changes until it is pressed. */
export function verifyEmailPage(page: FormPage): string {
  return renderPage({
    productName: page.productName,
    heading: 'Confirm your email address',
    body: `${errorLine(page.error)}<form method="post" action="verify-email" data-email-link hidden>
${hiddenFields(page.csrf)}
<p>Press Confirm to confirm this email address for your ${escapeHtml(page.productName)} account.</p>
<button type="submit">Confirm</button>
</form>
${linkMissing}
${noScript}`,
  })
}

/** A page stating an outcome: a heading and one paragraph (plain text, escaped here). */
export function resultPage(page: {
  productName: string
  heading: string
  message: string
  /** The link's token can no longer be used (success, or invalid): the script forgets it. */
  done: boolean
}): string {
  return renderPage({
    productName: page.productName,
    heading: page.heading,
    body: `<p${page.done ? '' : ' role="alert"'}>${escapeHtml(page.message)}</p>`,
    done: page.done,
  })
}
