import type { ClientRecord } from '../store/store.js'
import type { IdTokens } from './id-tokens.js'

/** The parameters of a logout request (OpenID Connect RP-Initiated Logout 1.0 §2), as sent. */
export interface LogoutParams {
  id_token_hint?: string | undefined
  client_id?: string | undefined
  post_logout_redirect_uri?: string | undefined
  state?: string | undefined
}

/** A checked logout request: where to send the browser afterwards, if anywhere. */
export interface LogoutRequest {
  /** The client that asked (from `client_id` or the hint's `aud`), or null. */
  client: Pick<ClientRecord, 'id' | 'name'> | null
  /** A URI registered for `client`, exactly as registered; null: show the signed-out page. */
  postLogoutRedirectUri: string | null
  /** Returned unchanged with the redirect (§3); null when none was sent. */
  state: string | null
}

/** A checked request, or why it is refused (one sentence for the error page). */
export type LogoutCheck = { ok: true; request: LogoutRequest } | { ok: false; description: string }

export interface RpLogoutDeps {
  idTokens: Pick<IdTokens, 'verifyHint'>
  findClient: (id: string) => Promise<ClientRecord | null>
}

const refuse = (description: string): LogoutCheck => ({ ok: false, description })
const given = (value: string | undefined) => (value === undefined || value === '' ? null : value)

/**
 * The checks of an RP-initiated logout request (RP-Initiated Logout 1.0 §2, §3). An
 * `id_token_hint` must be an ID token this server signed (expired ones included: a hint, not a
 * credential); `client_id`, when both are sent, must be its audience; a
 * `post_logout_redirect_uri` must exactly equal one registered for that client, which must be
 * known from one of them. Every failure is refused, never redirected: a redirect to an address
 * not proven to be the client's would be an open redirect (RFC 9700 §4.11).
 */
export class RpLogout {
  constructor(private readonly deps: RpLogoutDeps) {}

  async check(params: LogoutParams): Promise<LogoutCheck> {
    const hintToken = given(params.id_token_hint)
    const clientId = given(params.client_id)
    const redirectUri = given(params.post_logout_redirect_uri)
    const hint = hintToken === null ? null : await this.deps.idTokens.verifyHint(hintToken)
    if (hintToken !== null && hint === null) {
      return refuse('The id_token_hint is not an ID token this server issued.')
    }
    if (hint !== null && clientId !== null && hint.clientId !== clientId) {
      return refuse('The client_id is not the client the id_token_hint was issued to.')
    }
    const id = clientId ?? hint?.clientId ?? null
    const client = id === null ? null : await this.deps.findClient(id)
    if (id !== null && client === null) return refuse('The client is not registered.')
    if (redirectUri !== null) {
      if (client === null) {
        return refuse('A post_logout_redirect_uri needs the client_id or an id_token_hint.')
      }
      if (!client.postLogoutRedirectUris.includes(redirectUri)) {
        return refuse('The post_logout_redirect_uri is not registered for this client.')
      }
    }
    return {
      ok: true,
      request: {
        client: client === null ? null : { id: client.id, name: client.name },
        postLogoutRedirectUri: redirectUri,
        state: given(params.state),
      },
    }
  }
}

/** Where the browser goes after the logout: the registered URI with `state` added (§3). */
export function postLogoutLocation(uri: string, state: string | null): string {
  if (state === null) return uri
  const url = new URL(uri)
  url.searchParams.append('state', state)
  return url.href
}
