import { signInAmr } from '../../src/auth/mfa/amr.js'
import type { MfaContext } from '../../src/auth/mfa/mfa-service.js'
import { totpCode } from '../../src/auth/mfa/totp.js'
import type { UserRecord } from '../../src/store/store.js'
import { registerUser, type TestApp } from '../helpers.js'

/** The request context of service calls in tests. */
export const mfaContext: MfaContext = { clientId: null, ip: '127.0.0.1', userAgent: 'test' }

/** One TOTP step in milliseconds (RFC 6238 X = 30 s). */
export const STEP_MS = 30_000

/** The TOTP code of `secret` at the clock's time plus `steps` steps. */
export const codeAt = ({ clock }: Pick<TestApp, 'clock'>, secret: string, steps = 0) =>
  totpCode(secret, clock.now() + steps * STEP_MS)

/** The stored user `username`. */
export async function userRecord({ services }: TestApp, username: string): Promise<UserRecord> {
  const user = await services.store.users.findByUsername(username)
  if (!user) throw new Error(`no user ${username}`)
  return user
}

/**
 * Registers `username` (with `extra` fields, e.g. an email) and enrolls and confirms an
 * authenticator app through the service; returns the user, the secret and the recovery codes.
 * The clock is moved one step on, so the confirming code's step is in the past.
 */
export async function enrolledUser(
  testApp: TestApp,
  username: string,
  extra: Record<string, string> = {},
) {
  await registerUser(testApp.app, username, undefined, extra)
  const user = await userRecord(testApp, username)
  const { secret } = await testApp.services.mfa.enrollTotp(user, mfaContext)
  const recoveryCodes = await testApp.services.mfa.confirmTotp(
    user.id,
    codeAt(testApp, secret),
    mfaContext,
  )
  testApp.clock.advance(STEP_MS)
  return { user, secret, recoveryCodes }
}

/**
 * An access token (scope `scope`) of a new session of `userId` signed in with password and TOTP
 * just now (`amr` pwd otp mfa): what a step-up route accepts. Built through the services, as the
 * second step of the password grant would leave it.
 */
export async function multiFactorToken(
  { services, clock }: TestApp,
  userId: string,
  scope = 'profile',
): Promise<string> {
  const clientId = services.config.clients.builtinId
  const { session } = await services.sessions.start(
    userId,
    clientId,
    scope,
    { ip: '127.0.0.1', userAgent: 'test' },
    {
      refreshToken: true,
      amr: signInAmr(true, 'totp'),
      authTime: new Date(clock.now()).toISOString(),
    },
  )
  return (await services.tokens.issue(userId, clientId, scope, session.id)).token
}
