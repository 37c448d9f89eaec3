import type { MfaMethod } from '../auth/mfa/mfa-service.js'
import { escapeHtml } from '../mail/html.js'
import { renderPage } from './layout.js'
import { hiddenFields } from './login-page.js'
import { passkeySecondFactorForm } from './passkey-forms.js'

/** The hidden field that carries the password's proof to the second step (never in a URL). */
export const mfaTokenField = 'mfa_token'

/** What every page of a sign-in's second step carries. */
export interface SecondStepContent {
  productName: string
  clientName: string
  csrf: string
  /** The authorization request's parameters, carried as the login form carries them. */
  params: Readonly<Record<string, string>>
  /** The `mfa_token` of the right password: a hidden field, never in the address. */
  mfaToken: string
  /** Why the last code was refused: one sentence for every kind of wrong code. */
  error?: string | undefined
}

/** The request's hidden fields, the CSRF value and the step's token. */
function stepFields(page: SecondStepContent): string {
  return `${hiddenFields(page.params, page.csrf)}
<input type="hidden" name="${mfaTokenField}" value="${escapeHtml(page.mfaToken)}">`
}

const errorLine = (error: string | undefined) =>
  error === undefined
    ? ''
    : `<p id="form-error" class="error" role="alert">${escapeHtml(error)}</p>\n`
const invalid = (error: string | undefined) =>
  error === undefined ? '' : ' aria-invalid="true" aria-describedby="form-error"'

/**
 * The second step of a sign-in (after a right password): a six-digit code from the user's
 * authenticator app (`autocomplete="one-time-code"`, numeric keyboard), or, behind "Use a
 * recovery code" (a `<details>`: no script), one of the recovery codes. Both forms post to
 * `login-mfa` with the request, CSRF value and token as hidden fields.
 */
export function secondFactorPage(
  page: SecondStepContent & { methods: readonly MfaMethod[] },
): string {
  const fields = `${stepFields(page)}
<input type="hidden" name="methods" value="${escapeHtml(page.methods.join(' '))}">`
  const hasTotp = page.methods.includes('totp')
  const totp = hasTotp
    ? `<form method="post" action="login-mfa">
${fields}
<label for="code">Code from your authenticator app</label>
<input id="code" name="code" type="text" inputmode="numeric" pattern="[0-9]{6}" maxlength="6" autocomplete="one-time-code" autocapitalize="none" spellcheck="false" required autofocus${invalid(page.error)}>
<button type="submit">Verify</button>
</form>
`
    : ''
  return renderPage({
    productName: page.productName,
    script: false,
    heading: 'Two-step verification',
    body: `<p>Confirm it is you to continue to <strong>${escapeHtml(page.clientName)}</strong>.</p>
${errorLine(page.error)}${totp}<details id="recovery"${hasTotp ? '' : ' open'}>
<summary>Use a recovery code</summary>
<form method="post" action="login-mfa">
${fields}
<label for="recovery-code">Recovery code</label>
<input id="recovery-code" name="code" type="text" autocomplete="off" autocapitalize="none" spellcheck="false" required>
<button type="submit">Use recovery code</button>
</form>
</details>
<!-- Passkeys: the "Use a passkey" button of the second step goes in this container. -->
<div id="second-factor-passkey" data-second-factor-passkey>${page.methods.includes('passkey') ? passkeySecondFactorForm(page.params, page.csrf, page.mfaToken, page.methods) : ''}</div>`,
  })
}

/**
 * Enrollment at sign-in, for a role that requires a second factor: the QR code (an inline
 * `<svg>` element, which is markup and not script, so the strict CSP stays), the secret as text
 * for typing by hand, and the first code. `offer` null: the code field alone (after a wrong
 * code, the app is already set up).
 */
export function enrollPage(
  page: SecondStepContent & { offer: { qrSvg: string; secret: string } | null },
): string {
  const offer =
    page.offer === null
      ? '<p>Enter the code your authenticator app shows now.</p>'
      : `<p>Your account needs two-step verification. Scan this QR code with an authenticator app, or type the key by hand.</p>
<figure id="totp-qr">${page.offer.qrSvg}</figure>
<p>Key: <code id="totp-secret">${escapeHtml(page.offer.secret)}</code></p>`
  return renderPage({
    productName: page.productName,
    script: false,
    heading: 'Set up two-step verification',
    body: `${offer}
${errorLine(page.error)}<form method="post" action="login-mfa-enroll">
${stepFields(page)}
<label for="code">Code from your authenticator app</label>
<input id="code" name="code" type="text" inputmode="numeric" pattern="[0-9]{6}" maxlength="6" autocomplete="one-time-code" autocapitalize="none" spellcheck="false" required${invalid(page.error)}>
<button type="submit">Turn on</button>
</form>`,
  })
}

/**
 * The recovery codes of a new enrollment, shown this once, and "Continue", which goes on with
 * the authorization request (`session`: the new browser session's public id).
 */
export function recoveryCodesPage(page: {
  productName: string
  csrf: string
  params: Readonly<Record<string, string>>
  sessionId: string
  codes: readonly string[]
}): string {
  const items = page.codes.map((code) => `<li><code>${escapeHtml(code)}</code></li>`).join('\n')
  return renderPage({
    productName: page.productName,
    script: false,
    heading: 'Save your recovery codes',
    body: `<p>Two-step verification is on. Keep these codes somewhere safe: each signs you in once if you lose your authenticator app. They are shown only now.</p>
<ul id="recovery-codes">
${items}
</ul>
<form method="post" action="login-mfa-continue">
${hiddenFields(page.params, page.csrf)}
<input type="hidden" name="session" value="${escapeHtml(page.sessionId)}">
<button type="submit">Continue</button>
</form>`,
  })
}
