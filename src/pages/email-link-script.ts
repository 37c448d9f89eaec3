/**
 * The script of the hosted email pages (`GET /reset-password`, `GET /verify-email`), served as a
 * file from /assets (the pages' CSP allows no inline script). Kept as a string, as the /docs
 * script is, so the build ships it without a copy step.
 *
 * What it does, in order:
 * - On a result page (`<body data-link-done>`: success, or a link that is no good) it forgets
 *   the token: nothing more can be done with it.
 * - Otherwise it reads `#token=` from the fragment (links carry the token there so it never
 *   reaches a server log, a proxy or a `Referer`), keeps it in `sessionStorage` for this tab
 *   and path, and removes the fragment from the address bar (`history.replaceState`), so the
 *   token leaves no trace in the history or a shared screenshot. Without a fragment it takes the
 *   token kept earlier: a form shown again after a refused password carries no token (the server
 *   never writes it into a page), so the second attempt finds it here.
 * - It puts the token in the form's hidden `token` field and shows the form; without a token it
 *   shows the "open the link again" text instead. Nothing is sent until the button is pressed
 *   (a POST), so a mail scanner that fetches the link consumes nothing.
 */
export const emailLinkScript = `'use strict'
;(function () {
  var key = 'portcullis.email-link:' + location.pathname
  var forget = function () {
    try {
      sessionStorage.removeItem(key)
    } catch (e) {}
  }
  if (document.body.hasAttribute('data-link-done')) return forget()
  var token = null
  var match = /(?:^#|&)token=([^&]*)/.exec(location.hash)
  if (match) {
    try {
      token = decodeURIComponent(match[1])
    } catch (e) {
      token = null
    }
    history.replaceState(null, '', location.pathname + location.search)
    try {
      if (token) sessionStorage.setItem(key, token)
      else sessionStorage.removeItem(key)
    } catch (e) {}
  } else {
    try {
      token = sessionStorage.getItem(key)
    } catch (e) {
      token = null
    }
  }
  var form = document.querySelector('form[data-email-link]')
  if (!form) return
  if (!token) {
    var missing = document.getElementById('link-missing')
    if (missing) missing.hidden = false
    return
  }
  form.elements.namedItem('token').value = token
  form.hidden = false
  var field = form.querySelector('input[autofocus], input:not([type=hidden])')
  if (field) field.focus()
})()
`

/** The pages' stylesheet (a file too: the CSP allows no inline style). */
export const emailPagesCss = `body {
  margin: 0;
  font: 1rem/1.5 system-ui, sans-serif;
  color: #1f2933;
  background: #f5f7fa;
}
main {
  max-width: 28rem;
  margin: 3rem auto;
  padding: 1.5rem 2rem;
  background: #fff;
  border: 1px solid #cbd2d9;
  border-radius: 0.5rem;
}
.product { margin: 0; color: #52606d; font-weight: 600; }
h1 { margin: 0.25rem 0 1rem; font-size: 1.5rem; }
label { display: block; font-weight: 600; margin-bottom: 0.25rem; }
input[type='password'],
input[type='text'] {
  box-sizing: border-box;
  width: 100%;
  padding: 0.5rem;
  font: inherit;
  border: 1px solid #7b8794;
  border-radius: 0.25rem;
}
.hint { margin: 0.25rem 0 1rem; color: #52606d; font-size: 0.9rem; }
.error { color: #ab091e; font-weight: 600; }
button {
  padding: 0.5rem 1.25rem;
  font: inherit;
  color: #fff;
  background: #1f5fa8;
  border: 0;
  border-radius: 0.25rem;
  cursor: pointer;
}
button:focus-visible, input:focus-visible { outline: 3px solid #9fd3ff; outline-offset: 2px; }
`
