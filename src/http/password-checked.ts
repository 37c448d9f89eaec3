import type { FastifyRequest } from 'fastify'
import { clientKey } from '../auth/client-key.js'
import type { LoginThrottle } from '../auth/login-throttle.js'
import { ApiError } from '../errors.js'

/**
 * Runs `check`, a confirmation of the account's password by a signed-in user, under the same
 * login throttling as /token: a stolen access token must not become a way to guess the
 * account's password. A wrong password (400 invalid_grant) counts as a failed login; any other
 * outcome gives the attempt back and clears no failures (it is not a login).
 */
export async function passwordChecked(
  throttle: LoginThrottle,
  request: FastifyRequest,
  account: string,
  check: () => Promise<void>,
): Promise<void> {
  const attempt = await throttle.reserve(account, clientKey(request.ip), undefined)
  try {
    await check()
  } catch (error) {
    if (error instanceof ApiError && error.code === 'invalid_grant') await attempt.failed()
    else await attempt.release()
    throw error
  }
  await attempt.release()
}
