import { randomUUID } from 'node:crypto'
import type {
  PublicKeyCredentialCreationOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server'
import type { Clock } from '../../clock.js'
import { ApiError } from '../../errors.js'
import {
  type MfaFactorRecord,
  type Store,
  UniqueViolationError,
  type UserRecord,
} from '../../store/store.js'
import type { AuditService } from '../audit.js'
import { hasControlCharacters } from '../control-characters.js'
import type { MfaNotices } from './mfa-notices.js'
import { auditMeta, endSingleFactorSignIns, type MfaContext } from './mfa-types.js'
import {
  challengeTtlMs,
  PasskeyChallenges,
  type RelyingParty,
  userHandleOf,
} from './passkey-ceremony.js'
import { webauthnLibrary } from './webauthn-library.js'

/** What the passkeys service needs. */
export interface PasskeyDeps {
  store: Pick<Store, 'mfaFactors' | 'webauthnChallenges' | 'users' | 'sessions'>
  audit: AuditService
  clock: Clock
  /** Emails the owner when a passkey is added or removed (an attacker's would not go unseen). */
  notices: Pick<MfaNotices, 'send'>
}

/** A passkey's longest name; a longer one is refused (400). */
export const passkeyNameMaxLength = 64
const defaultName = 'Passkey'

/** A name a user gave a passkey, trimmed; 400 when empty, too long or with control characters. */
export function passkeyName(raw: string | undefined): string {
  if (raw === undefined) return defaultName
  const name = raw.trim()
  if (name === '' || name.length > passkeyNameMaxLength || hasControlCharacters(name)) {
    throw new ApiError(
      'invalid_request',
      `name must be 1 to ${passkeyNameMaxLength} characters without control characters`,
    )
  }
  return name
}

/**
 * The transports a browser reported that WebAuthn defines (§5.8.4, AuthenticatorTransport);
 * anything else (the client's own text, stored and sent back in later options) is dropped.
 */
const transportNames = new Set(['usb', 'nfc', 'ble', 'smart-card', 'hybrid', 'internal', 'cable'])
function knownTransports(reported: unknown): string[] {
  if (!Array.isArray(reported)) return []
  return [...new Set(reported.filter((t): t is string => transportNames.has(t)))]
}

const refused = () =>
  new ApiError(
    'invalid_request',
    'the passkey could not be registered: start again with new options',
  )

/**
 * Users' passkeys (WebAuthn Level 3 through @simplewebauthn/server): registration while signed
 * in, listing, renaming, removal. Discoverable credentials with user verification are required
 * (a passkey alone is then two factors: possession and the user's PIN or biometric, WebAuthn
 * §6.2.3). The user handle is the user's opaque id, never their username. Every registration,
 * failure, rename and removal is audited. Sign-in with a passkey: PasskeySignIn.
 */
export class Passkeys {
  private readonly challenges: PasskeyChallenges

  constructor(
    private readonly deps: PasskeyDeps,
    private readonly rp: RelyingParty,
  ) {
    this.challenges = new PasskeyChallenges(deps.store, deps.clock)
  }

  /** The user's passkeys (confirmed at registration), oldest first. */
  async list(userId: string): Promise<MfaFactorRecord[]> {
    const factors = await this.deps.store.mfaFactors.listForUser(userId)
    return factors.filter((f) => f.kind === 'passkey')
  }

  /**
   * Creation options for `navigator.credentials.create` (WebAuthn §5.4): a resident key and
   * user verification required, the user's passkeys excluded (no second registration of one
   * authenticator), a fresh single-use challenge valid 5 minutes.
   */
  async registrationOptions(user: UserRecord): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const existing = await this.list(user.id)
    const challenge = await this.challenges.issue('register', user.id)
    const { generateRegistrationOptions } = await webauthnLibrary()
    return generateRegistrationOptions({
      rpName: this.rp.rpName,
      rpID: this.rp.rpId,
      userName: user.username,
      userDisplayName: user.fullName ?? user.username,
      userID: userHandleOf(user.id) as Uint8Array<ArrayBuffer>,
      challenge: Buffer.from(challenge, 'base64url') as Uint8Array<ArrayBuffer>,
      timeout: challengeTtlMs,
      attestationType: 'none',
      excludeCredentials: existing.flatMap((f) =>
        f.credentialId === null ? [] : [{ id: f.credentialId, transports: f.transports }],
      ),
      authenticatorSelection: {
        residentKey: 'required',
        requireResidentKey: true,
        userVerification: 'required',
      },
    })
  }

  /**
   * Registers the attestation `response` to the user's live registration challenge: origin,
   * RP ID, challenge and user verification checked; stores the credential ID, public key,
   * counter, transports and backup flags. 400 for anything refused (audited
   * `passkey.failure`), including a credential already registered.
   */
  async register(
    user: UserRecord,
    response: RegistrationResponseJSON,
    name: string | undefined,
    context: MfaContext,
  ): Promise<MfaFactorRecord> {
    const label = passkeyName(name)
    const challenge = await this.challenges.consume(
      response.response?.clientDataJSON,
      'register',
      user.id,
    )
    const fail = async (reason: string) => {
      await auditPasskey(this.deps.audit, 'passkey.failure', user.id, context, {
        reason,
        ceremony: 'register',
      })
      return refused()
    }
    if (challenge === null) throw await fail('challenge')
    const { verifyRegistrationResponse } = await webauthnLibrary()
    let verified: Awaited<ReturnType<typeof verifyRegistrationResponse>>
    try {
      verified = await verifyRegistrationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: [...this.rp.origins],
        expectedRPID: this.rp.rpId,
        requireUserVerification: true,
      })
    } catch {
      throw await fail('verification')
    }
    if (!verified.verified) throw await fail('verification')
    const info = verified.registrationInfo
    const at = new Date(this.deps.clock.now()).toISOString()
    const factor: MfaFactorRecord = {
      id: randomUUID(),
      userId: user.id,
      kind: 'passkey',
      name: label,
      secret: null,
      lastStep: null,
      credentialId: info.credential.id,
      publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
      signCount: info.credential.counter,
      transports: knownTransports(info.credential.transports),
      backupEligible: info.credentialDeviceType === 'multiDevice',
      backedUp: info.credentialBackedUp,
      createdAt: at,
      confirmedAt: at,
      lastUsedAt: null,
    }
    try {
      await this.deps.store.mfaFactors.insert(factor)
    } catch (error) {
      if (error instanceof UniqueViolationError) throw await fail('duplicate')
      throw error
    }
    await endSingleFactorSignIns(this.deps.store, user.id, at, context)
    await auditPasskey(this.deps.audit, 'passkey.register', user.id, context, {
      factor_id: factor.id,
      backup_eligible: factor.backupEligible,
    })
    await this.notify(user.id, 'passkey_added')
    return factor
  }

  /** Renames the user's passkey `id`; 404 when it is not theirs (or not a passkey). */
  async rename(userId: string, id: string, name: string, context: MfaContext): Promise<void> {
    const label = passkeyName(name)
    await this.own(userId, id)
    if (!(await this.deps.store.mfaFactors.rename(id, userId, label))) throw notFound()
    await auditPasskey(this.deps.audit, 'passkey.rename', userId, context, { factor_id: id })
  }

  /** Removes the user's passkey `id` (with it the recovery codes, if it was the last factor). */
  async remove(userId: string, id: string, context: MfaContext): Promise<void> {
    await this.own(userId, id)
    if (!(await this.deps.store.mfaFactors.delete(id, userId))) throw notFound()
    await auditPasskey(this.deps.audit, 'passkey.remove', userId, context, { factor_id: id })
    await this.notify(userId, 'passkey_removed')
  }

  private async notify(userId: string, change: 'passkey_added' | 'passkey_removed') {
    const user = await this.deps.store.users.findById(userId)
    if (user)
      await this.deps.notices.send(user, { kind: 'mfa_changed', username: user.username, change })
  }

  private async own(userId: string, id: string): Promise<void> {
    const factor = await this.deps.store.mfaFactors.findById(id)
    if (factor === null || factor.userId !== userId || factor.kind !== 'passkey') throw notFound()
  }
}

const notFound = () => new ApiError('not_found', 'no such passkey')

/** A passkey event in the audit log (`passkey.failure` is the only failure). */
export async function auditPasskey(
  audit: AuditService,
  type:
    | 'passkey.register'
    | 'passkey.rename'
    | 'passkey.remove'
    | 'passkey.login'
    | 'passkey.failure',
  userId: string | null,
  context: MfaContext,
  detail: Record<string, unknown>,
): Promise<void> {
  await audit.record({
    type,
    outcome: type === 'passkey.failure' ? 'failure' : 'success',
    ...auditMeta(userId, context),
    detail,
  })
}
