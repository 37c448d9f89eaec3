import { escapeHtml } from './html.js'

/** What every message says about who sends it and where its links point. */
export interface Brand {
  productName: string
  /** Base URL of the hosted pages (no trailing slash). */
  publicUrl: string
}

/** The messages Portcullis sends, with what each one says. */
export type MessageContent =
  | { kind: 'verify_email'; username: string; token: string; ttlSeconds: number }
  | { kind: 'reset_password'; username: string; token: string; ttlSeconds: number }
  | {
      kind: 'confirm_email_change'
      username: string
      newEmail: string
      token: string
      ttlSeconds: number
    }
  | { kind: 'email_change_requested'; username: string; newEmail: string }
  | { kind: 'email_changed'; username: string; newEmail: string }
  | { kind: 'password_changed'; username: string; how: 'changed' | 'reset' }
  | { kind: 'mfa_changed'; username: string; change: MfaChange }
  | { kind: 'recovery_code_used'; username: string; remaining: number }

/** What happened to an account's second factors (the `mfa_changed` notice). */
export type MfaChange =
  | 'totp_added'
  | 'totp_removed'
  | 'passkey_added'
  | 'passkey_removed'
  | 'recovery_codes_regenerated'
  | 'reset'

const mfaChangeText: Record<MfaChange, (product: string) => string> = {
  totp_added: (p) => `An authenticator app was added to your ${p} account as a second factor.`,
  totp_removed: (p) => `The authenticator app was removed from your ${p} account.`,
  passkey_added: (p) => `A passkey was added to your ${p} account; it can sign you in on its own.`,
  passkey_removed: (p) => `A passkey was removed from your ${p} account.`,
  recovery_codes_regenerated: (p) =>
    `New recovery codes were made for your ${p} account; the old ones no longer work.`,
  reset: (p) =>
    `An administrator removed every second factor (authenticator app, passkeys, recovery codes) of your ${p} account.`,
}

/** A rendered message: both a plain-text and an HTML body, no remote content. */
export interface ComposedMessage {
  kind: MessageContent['kind']
  subject: string
  text: string
  html: string
}

/**
 * A page link carrying `token` in the fragment: browsers never send the fragment to a server,
 * so the token stays out of access logs, proxies and `Referer` headers.
 */
export function tokenLink(brand: Brand, page: 'verify-email' | 'reset-password', token: string) {
  return `${brand.publicUrl}/${page}#token=${encodeURIComponent(token)}`
}

const duration = (seconds: number) =>
  seconds % 3600 === 0
    ? `${seconds / 3600} hour${seconds === 3600 ? '' : 's'}`
    : `${Math.round(seconds / 60)} minutes`

/** One paragraph of text (plain and HTML); `html` is the escaped form unless given. */
interface Part {
  text: string
  html?: string
}
const plain = (text: string): Part => ({ text })
const button = (label: string, url: string): Part => ({
  text: `${label}:\n${url}`,
  html: `<a href="${escapeHtml(url)}">${escapeHtml(label)}</a><br><span style="font-size:small">${escapeHtml(url)}</span>`,
})

function parts(content: MessageContent, brand: Brand): { subject: string; body: Part[] } {
  const product = brand.productName
  const hello = plain(`Hello ${content.username},`)
  const notYou = plain(
    `If this was not you, reset your password now and review your sessions; nothing else is needed from you.`,
  )
  switch (content.kind) {
    case 'verify_email':
      return {
        subject: `Confirm your email address for ${product}`,
        body: [
          hello,
          plain(`Confirm that this address belongs to your ${product} account.`),
          button('Confirm my address', tokenLink(brand, 'verify-email', content.token)),
          plain(`The link works once, for ${duration(content.ttlSeconds)}.`),
          plain('If you did not create this account, ignore this message.'),
        ],
      }
    case 'reset_password':
      return {
        subject: `Reset your ${product} password`,
        body: [
          hello,
          plain(`Someone asked to reset the password of your ${product} account.`),
          button('Choose a new password', tokenLink(brand, 'reset-password', content.token)),
          plain(
            `The link works once, for ${duration(content.ttlSeconds)}. Setting a new password signs you out everywhere.`,
          ),
          plain('If you did not ask for this, ignore this message: your password stays as it is.'),
        ],
      }
    case 'confirm_email_change':
      return {
        subject: `Confirm your new email address for ${product}`,
        body: [
          hello,
          plain(`Confirm ${content.newEmail} as the new address of your ${product} account.`),
          button('Confirm the new address', tokenLink(brand, 'verify-email', content.token)),
          plain(`The link works once, for ${duration(content.ttlSeconds)}.`),
          plain('If you did not ask for this, ignore this message.'),
        ],
      }
    case 'email_change_requested':
      return {
        subject: `Your ${product} email address is being changed`,
        body: [
          hello,
          plain(
            `Someone asked to change the address of your ${product} account to ${content.newEmail}. It changes only when that address confirms it.`,
          ),
          notYou,
        ],
      }
    case 'email_changed':
      return {
        subject: `Your ${product} email address was changed`,
        body: [
          hello,
          plain(`The address of your ${product} account is now ${content.newEmail}.`),
          notYou,
        ],
      }
    case 'password_changed':
      return {
        subject: `Your ${product} password was ${content.how}`,
        body: [
          hello,
          plain(
            `The password of your ${product} account was ${content.how}${content.how === 'reset' ? ' and every session was signed out' : ''}.`,
          ),
          notYou,
        ],
      }
    case 'mfa_changed':
      return {
        subject: `The second factors of your ${product} account changed`,
        body: [hello, plain(mfaChangeText[content.change](product)), notYou],
      }
    case 'recovery_code_used':
      return {
        subject: `A recovery code was used to sign in to ${product}`,
        body: [
          hello,
          plain(
            `A recovery code was just used to sign in to your ${product} account; ${content.remaining} unused code${content.remaining === 1 ? '' : 's'} remain${content.remaining === 1 ? 's' : ''}. Each code works once.`,
          ),
          notYou,
        ],
      }
  }
}

/**
 * Renders a message as plain text and HTML. User-supplied text (names, addresses) is escaped in
 * the HTML; there are no tracking pixels, remote images or scripts, only the product's links.
 */
export function composeMessage(content: MessageContent, brand: Brand): ComposedMessage {
  const { subject, body } = parts(content, brand)
  const text = `${body.map((p) => p.text).join('\n\n')}\n\n-- \n${brand.productName}\n`
  const paragraphs = body.map((p) => `<p>${p.html ?? escapeHtml(p.text)}</p>`).join('\n')
  const html = `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>
<body style="font-family:sans-serif;line-height:1.5">
${paragraphs}
<p style="color:#666">${escapeHtml(brand.productName)}</p>
</body></html>
`
  return { kind: content.kind, subject, text, html }
}
