/** The rows of second factors: factors, recovery codes, MFA tokens, WebAuthn challenges. */

/** What kind of second factor (or passwordless credential) a row of `mfa_factors` is. */
export type MfaFactorKind = 'totp' | 'passkey'

/**
 * A row of `mfa_factors`: a user's TOTP authenticator (RFC 6238) or passkey (WebAuthn). A TOTP
 * factor is pending (`confirmedAt` null, changing nothing at login) until its first code is
 * confirmed; a user has at most one TOTP factor.
 */
export interface MfaFactorRecord {
  id: string
  userId: string
  kind: MfaFactorKind
  /** A label the user chose (passkeys) or a fixed one (`Authenticator app`). */
  name: string
  /** TOTP: the base32 secret, sealed by the key-encryption key when one is set; null for passkeys. */
  secret: string | null
  /** TOTP: the last time step (RFC 6238 §5.2: unix time / 30) accepted; a step is never accepted twice. */
  lastStep: number | null
  /** Passkey: the credential ID (base64url), unique across users; null for TOTP. */
  credentialId: string | null
  /** Passkey: the COSE public key (base64url). */
  publicKey: string | null
  /** Passkey: the signature counter last seen (WebAuthn §6.1.1). */
  signCount: number | null
  /** Passkey: the authenticator's transports (hints for the browser). */
  transports: string[]
  /** Passkey: backup eligible (a synced passkey, `swk`) and backed up (WebAuthn §6.1 BE/BS flags). */
  backupEligible: boolean
  backedUp: boolean
  createdAt: string
  /** When enrollment was confirmed; null: pending (TOTP only). */
  confirmedAt: string | null
  lastUsedAt: string | null
}

/** A row of `recovery_codes`: only the SHA-256 of each code is stored; each is usable once. */
export interface RecoveryCodeRecord {
  hash: string
  userId: string
  createdAt: string
  usedAt: string | null
}

/**
 * A row of `mfa_tokens`: the proof that a password was right, waiting for the second factor
 * (the password grant's `mfa_token`, the login page's second step). Opaque; only its SHA-256 is
 * stored; bound to the user, the client and what the first step asked for.
 */
export interface MfaTokenRecord {
  hash: string
  userId: string
  clientId: string
  /** The scope the first step granted (space-separated). */
  scope: string
  /** The RFC 8707 resource the first step asked for; null: Portcullis itself. */
  resource: string | null
  /** When the password was checked (the tokens' `auth_time`). */
  authTime: string
  /** Wrong second factors so far; at the limit the token is spent. */
  attempts: number
  createdAt: string
  expiresAt: string
  /** When it was spent (success or too many failures); a spent token is dead. */
  usedAt: string | null
}

/** What a WebAuthn challenge was issued for. */
export type WebAuthnPurpose = 'register' | 'authenticate'

/**
 * A row of `webauthn_challenges`: a challenge issued for one ceremony, single-use and short-lived
 * (WebAuthn §13.4.3). `userId` is null for a username-less sign-in.
 */
export interface WebAuthnChallengeRecord {
  id: string
  challenge: string
  purpose: WebAuthnPurpose
  userId: string | null
  createdAt: string
  expiresAt: string
  usedAt: string | null
}
