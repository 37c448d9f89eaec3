import type { Clock } from '../clock.js'
import type { Keyring } from './keys.js'

/** What an ID token says (OpenID Connect Core §2), besides `iss`, `iat` and `exp`. */
export interface IdTokenInput {
  /** `sub`: the user's id. */
  userId: string
  /** `aud` and `azp`: the client's id. */
  clientId: string
  /** From the authorization request; omitted from the token when null. */
  nonce: string | null
  /** When the user authenticated (ISO-8601), as seconds in `auth_time`. */
  authTime: string
  /** `amr` (RFC 8176 values, e.g. `pwd`). */
  amr: readonly string[]
  /** `sid`: the browser session's public id. */
  sid: string
  /** The access token issued with it: its hash is `at_hash` (OpenID Connect Core §3.1.3.6). */
  accessToken: string
}

export interface IdTokenOptions {
  issuer: string
  ttlSeconds: number
}

/** PLACEHOLDER (its signatures are the contract): ID tokens, built by the OpenID Connect helper. */
export class IdTokens {
  constructor(
    readonly keyring: Keyring,
    readonly clock: Clock,
    readonly options: IdTokenOptions,
  ) {}

  /** A signed ID token (JWT, `typ: JWT`) by the key ring's current signing key. */
  issue(_input: IdTokenInput): Promise<string> {
    throw new Error('IdTokens.issue is not implemented yet')
  }
}
