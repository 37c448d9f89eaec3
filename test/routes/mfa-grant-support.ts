import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { decodeJwt } from 'jose'
import type { Services } from '../../src/services.js'
import type { SessionRecord } from '../../src/store/store.js'
import { PASSWORD, postToken } from '../helpers.js'

export const MFA_GRANT = 'urn:portcullis:params:oauth:grant-type:mfa'

/** The password grant's first step for `username`, expected to answer 403 `error`. */
export async function firstStep(
  app: FastifyInstance,
  username: string,
  error = 'mfa_required',
  extra: Record<string, string> = {},
) {
  const res = await postToken(app, { username, password: PASSWORD, ...extra })
  assert.equal(res.statusCode, 403, res.body)
  const body = res.json() as {
    error: string
    error_description: string
    mfa_token: string
    mfa_methods?: string[]
  }
  assert.equal(body.error, error)
  return { res, body }
}

/** The MFA grant with `mfa_token` and `otp`. */
export const secondStep = (
  app: FastifyInstance,
  mfaToken: string,
  otp: string,
  extra: Record<string, string> = {},
) => postToken(app, { grant_type: MFA_GRANT, mfa_token: mfaToken, otp, ...extra })

/** The session an access token belongs to (its `sid`). */
export async function sessionOf(services: Services, accessToken: string): Promise<SessionRecord> {
  const sid = decodeJwt(accessToken).sid
  assert.equal(typeof sid, 'string')
  const session = await services.store.sessions.findById(sid as string)
  assert.ok(session)
  return session
}
