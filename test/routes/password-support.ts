/** Helpers of the password-recovery tests: the endpoints over HTTP, and the outbox read back. */
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import type { Services } from '../../src/services.js'
import type { OutboxRecord } from '../../src/store/store.js'
import { linkToken, messagesTo, outboxMessages } from '../support/outbox.js'

export const NEW_PASSWORD = 'a brand new passphrase, never used'

/** POST /password/forgot with `{email}` (from `ip`, if given). */
export function forgot(app: FastifyInstance, email: string, ip?: string) {
  return app.inject({
    method: 'POST',
    url: '/password/forgot',
    payload: { email },
    ...(ip ? { remoteAddress: ip } : {}),
  })
}

/** POST /password/reset with `{token, new_password}`. */
export function resetPassword(app: FastifyInstance, token: string, newPassword = NEW_PASSWORD) {
  return app.inject({
    method: 'POST',
    url: '/password/reset',
    payload: { token, new_password: newPassword },
  })
}

/** Every message in the outbox, oldest first (after the detached `forgot` work has finished). */
export async function outbox(services: Services): Promise<OutboxRecord[]> {
  await services.recovery.idle()
  return outboxMessages(services.store)
}

/** The messages of `kind` to `to`, oldest first (after the detached `forgot` work). */
export async function messages(services: Services, kind: string, to: string) {
  await services.recovery.idle()
  return messagesTo(services.store, to, kind)
}

/** The token in a message's link (`…#token=…`); fails the test when there is none. */
export function tokenOf(message: OutboxRecord | undefined): string {
  assert.ok(message, 'no message')
  return linkToken(message)
}

/** The token of the newest reset message to `to`. */
export async function newestResetToken(services: Services, to: string): Promise<string> {
  return tokenOf((await messages(services, 'reset_password', to)).at(-1))
}

/** Asserts the error shape: status, code, and no stack or extra field. */
export function assertError(
  res: { statusCode: number; json: () => unknown },
  status: number,
  error: string,
) {
  assert.equal(res.statusCode, status)
  const body = res.json() as Record<string, unknown>
  assert.equal(body.error, error)
  assert.deepEqual(Object.keys(body).sort(), ['error', 'error_description'])
}
