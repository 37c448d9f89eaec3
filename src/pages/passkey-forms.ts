import { escapeHtml } from '../mail/html.js'
import { assetHref } from './assets.js'
import { renderPage } from './layout.js'
import { hiddenFields } from './login-page.js'
import { passkeyAsset } from './passkey-asset.js'

/** The form field that carries the credential's JSON (added and filled by the script). */
export const credentialField = 'credential'

const script = () => `<script src="${assetHref(passkeyAsset)}" defer></script>`

/**
 * A passkey form: hidden (`hidden`) until the script finds WebAuthn, so a page without
 * JavaScript shows only what works without it. `fields`: the hidden fields it posts.
 */
function passkeyForm(form: {
  id: string
  ceremony: 'get' | 'create'
  action: string
  options: string
  fields: string
  button: string
  failed: string
  extra?: string
}): string {
  return `<form id="${form.id}" method="post" action="${form.action}" data-passkey="${form.ceremony}" data-passkey-options="${form.options}" data-passkey-failed="${escapeHtml(form.failed)}" hidden>
${form.fields}
${form.extra ?? ''}<button type="submit">${escapeHtml(form.button)}</button>
<p class="hint" role="status" data-passkey-status></p>
</form>
${script()}`
}

/** The login page's "Sign in with a passkey": no username, the browser offers the passkeys. */
export function passkeySignInForm(params: Readonly<Record<string, string>>, csrf: string): string {
  return passkeyForm({
    id: 'passkey-sign-in',
    ceremony: 'get',
    action: 'login/passkey',
    options: 'login/passkey/options',
    fields: hiddenFields(params, csrf),
    button: 'Sign in with a passkey',
    failed: 'The passkey was not used. Try again, or sign in with your password.',
  })
}

/** The second step's "Use a passkey" (after a right password), carrying the step's token. */
export function passkeySecondFactorForm(
  params: Readonly<Record<string, string>>,
  csrf: string,
  mfaToken: string,
  methods: readonly string[],
): string {
  return passkeyForm({
    id: 'passkey-second-factor',
    ceremony: 'get',
    action: 'login/passkey',
    options: 'login/passkey/options',
    fields: `${hiddenFields(params, csrf)}
<input type="hidden" name="mfa_token" value="${escapeHtml(mfaToken)}">
<input type="hidden" name="methods" value="${escapeHtml(methods.join(' '))}">`,
    button: 'Use a passkey',
    failed: 'The passkey was not used. Try again, or enter a code.',
  })
}

/**
 * GET /add-passkey: add a passkey to the account of the browser session (signed in at the
 * hosted login page). Needs JavaScript (WebAuthn has no form-only path): without it the page
 * says so; the API (`POST /users/me/passkeys`) is the other way.
 */
export function newPasskeyPage(page: {
  productName: string
  username: string
  csrf: string
  message?: { text: string; error: boolean } | undefined
}): string {
  const message =
    page.message === undefined
      ? ''
      : `<p id="passkey-message"${page.message.error ? ' class="error" role="alert"' : ' role="status"'}>${escapeHtml(page.message.text)}</p>\n`
  return renderPage({
    productName: page.productName,
    script: false,
    heading: 'Add a passkey',
    body: `<p>Signed in as <strong>${escapeHtml(page.username)}</strong>. A passkey signs you in with your device's screen lock, without a password.</p>
${message}<noscript><p>Adding a passkey needs JavaScript.</p></noscript>
${passkeyForm({
  id: 'passkey-register',
  ceremony: 'create',
  action: 'add-passkey',
  options: 'add-passkey/options',
  fields: hiddenFields({}, page.csrf),
  extra: `<label for="passkey-name">Name (optional)</label>
<input id="passkey-name" name="name" type="text" maxlength="64" autocomplete="off">
`,
  button: 'Add a passkey',
  failed: 'No passkey was added. Try again.',
})}`,
  })
}
