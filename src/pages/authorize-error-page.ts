import type { ApiError } from '../errors.js'
import { escapeHtml } from '../mail/html.js'
import { renderPage } from './layout.js'

/**
 * The page `/authorize` shows when it cannot trust the client or the redirect URI (RFC 6749
 * §4.1.2.1): the error code and its description, and no link anywhere, least of all to the
 * redirect URI it was given (RFC 9700 §4.11: the server must not become an open redirector).
 */
export function authorizeErrorPage(productName: string, error: ApiError): string {
  return renderPage({
    productName,
    heading: 'This sign-in request cannot be used',
    body: `<p class="error" role="alert"><code id="error-code">${escapeHtml(error.code)}</code>: <span id="error-description">${escapeHtml(error.description)}</span></p>
<p>The application that sent you here made a request this server cannot accept. Go back to the application and try again, or tell its developers.</p>`,
  })
}
