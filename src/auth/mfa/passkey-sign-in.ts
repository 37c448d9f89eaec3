import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server'
import type { MfaFactorRecord, UserRecord } from '../../store/store.js'
import type { SignInMethod } from './amr.js'
import type { MfaContext } from './mfa-types.js'
import {
  challengeTtlMs,
  PasskeyChallenges,
  type RelyingParty,
  userHandleOf,
} from './passkey-ceremony.js'
import { auditPasskey, type PasskeyDeps } from './passkeys.js'
import { webauthnLibrary } from './webauthn-library.js'

/** A passkey assertion that was accepted. */
export interface PasskeyAssertion {
  user: UserRecord
  factor: MfaFactorRecord
  /** For `signInAmr`: `passkey_synced` (backup eligible, `swk`) or `passkey_hardware` (`hwk`). */
  method: Extract<SignInMethod, 'passkey_hardware' | 'passkey_synced'>
}

/**
 * Signing in with a passkey (WebAuthn §7.2): alone and without a username (a discoverable
 * credential; the browser offers the user's passkeys for this RP ID), or as the second factor
 * after a password (the user's credentials are listed). User verification is required. The
 * signature counter must increase whenever it is non-zero (§6.1.1: a counter that does not is a
 * sign of a cloned authenticator): such an assertion is refused and audited. Every success is
 * audited `passkey.login`, every refusal `passkey.failure`, and every refusal looks the same.
 */
export class PasskeySignIn {
  private readonly challenges: PasskeyChallenges

  constructor(
    private readonly deps: PasskeyDeps,
    private readonly rp: RelyingParty,
  ) {
    this.challenges = new PasskeyChallenges(deps.store, deps.clock)
  }

  /**
   * Request options for `navigator.credentials.get`: for `userId` null, no `allowCredentials`
   * (a username-less sign-in); else the user's passkeys. A fresh challenge valid 5 minutes.
   */
  async options(userId: string | null): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const factors = userId === null ? [] : await this.deps.store.mfaFactors.listForUser(userId)
    const challenge = await this.challenges.issue('authenticate', userId)
    const { generateAuthenticationOptions } = await webauthnLibrary()
    return generateAuthenticationOptions({
      rpID: this.rp.rpId,
      challenge: Buffer.from(challenge, 'base64url') as Uint8Array<ArrayBuffer>,
      timeout: challengeTtlMs,
      userVerification: 'required',
      ...(userId === null
        ? {}
        : {
            allowCredentials: factors.flatMap((f) =>
              f.kind === 'passkey' && f.credentialId !== null
                ? [{ id: f.credentialId, transports: f.transports }]
                : [],
            ),
          }),
    })
  }

  /**
   * Checks the assertion `response` against a live challenge issued for `userId` (null: a
   * username-less sign-in; else the passkey must be that user's). On success the counter, the
   * backed-up flag and the last use are recorded (only if no concurrent assertion of the same
   * passkey got there first). Returns the user and the method, or null for any refusal.
   */
  async verify(
    response: AuthenticationResponseJSON,
    userId: string | null,
    context: MfaContext,
  ): Promise<PasskeyAssertion | null> {
    const { store, clock } = this.deps
    const challenge = await this.challenges.consume(
      response?.response?.clientDataJSON,
      'authenticate',
      userId,
    )
    const factor =
      typeof response?.id === 'string' && response.id.length <= 1024
        ? await store.mfaFactors.findByCredentialId(response.id)
        : null
    const owner = factor?.userId ?? userId
    const fail = async (reason: string) => {
      await auditPasskey(this.deps.audit, 'passkey.failure', owner, context, {
        reason,
        ...(factor ? { factor_id: factor.id } : {}),
      })
      return null
    }
    if (challenge === null) return fail('challenge')
    if (factor === null || factor.kind !== 'passkey' || factor.publicKey === null) {
      return fail('unknown_credential')
    }
    if (userId !== null && factor.userId !== userId) return fail('other_user')
    // The authenticator returns the user handle it stored at registration: it must be the owner's.
    const handle = response.response.userHandle
    const expectedHandle = Buffer.from(userHandleOf(factor.userId)).toString('base64url')
    if (handle !== undefined && handle !== expectedHandle) return fail('user_handle')
    const user = await store.users.findById(factor.userId)
    if (user === null || user.disabled) return fail('user_disabled')
    const stored = factor.signCount ?? 0
    const { verifyAuthenticationResponse } = await webauthnLibrary()
    let verified: Awaited<ReturnType<typeof verifyAuthenticationResponse>>
    try {
      verified = await verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: [...this.rp.origins],
        expectedRPID: this.rp.rpId,
        credential: {
          id: factor.credentialId ?? '',
          publicKey: Buffer.from(factor.publicKey, 'base64url') as Uint8Array<ArrayBuffer>,
          counter: stored,
          transports: factor.transports,
        },
        requireUserVerification: true,
      })
    } catch (error) {
      // The library refuses a counter that did not increase (WebAuthn §6.1.1) by throwing.
      const counter = error instanceof Error && /counter/i.test(error.message)
      return fail(counter ? 'counter' : 'verification')
    }
    const info = verified.authenticationInfo
    if (!verified.verified || !info.userVerified) return fail('verification')
    // Checked here too, so the rule holds whatever the library's version does.
    if ((info.newCounter > 0 || stored > 0) && info.newCounter <= stored) return fail('counter')
    const at = new Date(clock.now()).toISOString()
    const next = { signCount: info.newCounter, backedUp: info.credentialBackedUp }
    if (!(await store.mfaFactors.recordAssertion(factor.id, stored, next, at))) {
      return fail('concurrent')
    }
    const method = factor.backupEligible ? 'passkey_synced' : 'passkey_hardware'
    await auditPasskey(this.deps.audit, 'passkey.login', user.id, context, {
      factor_id: factor.id,
      method,
    })
    return { user, factor: { ...factor, ...next, lastUsedAt: at }, method }
  }
}
