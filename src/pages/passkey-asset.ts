import { asset } from './assets.js'
import { passkeyScript } from './passkey-script.js'

/** GET /assets/passkey.js: the hosted passkey forms' script (always served: the login page uses it). */
export const passkeyAsset = asset(
  '/assets/passkey.js',
  'text/javascript; charset=utf-8',
  passkeyScript,
)
