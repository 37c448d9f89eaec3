import type { FastifyContextConfig, FastifyRequest } from 'fastify'
import type { AuditService } from '../auth/audit.js'
import { isMultiFactor } from '../auth/mfa/amr.js'
import type { MfaService } from '../auth/mfa/mfa-service.js'
import { stepUpSatisfied } from '../auth/mfa/step-up-policy.js'
import type { Clock } from '../clock.js'
import { ApiError } from '../errors.js'
import type { SessionRecord, UserRecord } from '../store/store.js'
import { userAgentOf } from './actor.js'
import { bearerChallenge } from './bearer.js'

/** What the step-up check uses. */
export interface StepUpDeps {
  mfa: Pick<MfaService, 'hasFactor'>
  audit: AuditService
  clock: Clock
  realm: string
  /** How recent the multi-factor sign-in must be (RFC 9470 `max_age`), in seconds. */
  maxAgeSeconds: number
  /** Whether every `/admin` route is sensitive too (PORTCULLIS_ADMIN_REQUIRE_MFA). */
  admin: boolean
}

/**
 * RFC 9470 step-up for sensitive routes (`config.stepUp`, and every `/admin` route when
 * `admin`): a user who has a second factor must be signed in with it (`amr` has `mfa`) within
 * `maxAgeSeconds` of the session's `auth_time`, else 401 insufficient_user_authentication with
 * the challenge's `max_age` (RFC 9470 §3), audited `mfa.step_up_refused`. Users without a factor
 * are not asked: there is nothing to step up to (the required-roles policy keeps admins from
 * staying there). The session's amr and auth_time are those of the sign-in and survive refresh,
 * so a refresh never makes an old sign-in recent.
 */
export function stepUpCheck(deps: StepUpDeps) {
  /** The check of one route, built when it is registered; undefined for a route not sensitive. */
  return function stepUpFor(route: StepUpRoute) {
    const { url } = route
    const sensitive =
      route.config?.stepUp === true ||
      (deps.admin && (url === '/admin' || url.startsWith('/admin/')))
    if (!sensitive) return undefined
    return async function requireStepUp(
      request: FastifyRequest,
      user: UserRecord,
      session: SessionRecord,
    ): Promise<void> {
      const signIn = { userId: user.id, amr: session.amr, authTime: session.authTime }
      if (await stepUpSatisfied(deps.mfa, signIn, deps.clock.now(), deps.maxAgeSeconds)) return
      const description = isMultiFactor(session.amr)
        ? `this action needs a multi-factor sign-in within the last ${deps.maxAgeSeconds} seconds: sign in again with your second factor`
        : 'this action needs a multi-factor sign-in: sign in again with your second factor'
      await deps.audit.record({
        type: 'mfa.step_up_refused',
        outcome: 'failure',
        userId: user.id,
        clientId: session.clientId,
        ip: request.ip,
        userAgent: userAgentOf(request),
        detail: { route: url, amr: session.amr },
      })
      const challenge = bearerChallenge(deps.realm, 'insufficient_user_authentication', description)
      throw new ApiError('insufficient_user_authentication', description, {
        // RFC 9470 §3: max_age is the allowable elapsed time since the last active authentication.
        'www-authenticate': `${challenge}, max_age=${deps.maxAgeSeconds}`,
      })
    }
  }
}

/** What the step-up check reads of a route: its options as given to `onRoute`. */
export interface StepUpRoute {
  url: string
  config?: FastifyContextConfig
}

export type StepUpCheck = ReturnType<typeof stepUpCheck>
