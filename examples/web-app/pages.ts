import type { SignedInUser } from './sessions.js'

const escapes: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}
/** Text made safe for HTML content and quoted attributes. */
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => escapes[c] ?? c)

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body>
<h1>${escapeHtml(title)}</h1>
${body}
</body>
</html>
`
}

/** The home page: a sign-in link, or who is signed in and a sign-out form. */
export function homePage(user: SignedInUser | undefined, csrf: string | undefined): string {
  if (!user || csrf === undefined) {
    return page(
      'Example web app',
      '<p>You are not signed in.</p>\n<p><a href="/login">Sign in</a></p>',
    )
  }
  const name = user.name ?? '(no name)'
  const email = user.email ?? '(no email)'
  return page(
    'Example web app',
    `<p>Signed in as <strong id="name">${escapeHtml(name)}</strong> (<span id="email">${escapeHtml(email)}</span>).</p>
<form method="post" action="/logout">
<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
<button type="submit">Sign out</button>
</form>`,
  )
}

/** A failed sign-in: what happened in one sentence, and the way to try again. */
export function problemPage(message: string): string {
  return page('Sign-in failed', `<p>${escapeHtml(message)}</p>\n<p><a href="/">Back</a></p>`)
}
