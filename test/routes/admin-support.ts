/** Shared helpers of the admin API and audit tests (admin-users, admin-clients, audit). */
import assert from 'node:assert/strict'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { decodeJwt } from 'jose'
import { PASSWORD, postToken } from '../helpers.js'

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE'

export interface TokenPair {
  access_token: string
  refresh_token: string
  scope: string
}

export interface AdminUser {
  id: string
  username: string
  email: string | null
  full_name: string | null
  email_verified: boolean
  roles: string[]
  disabled: boolean
  created_at: string
  updated_at: string
}

export interface RequestOptions {
  token?: string
  body?: unknown
  headers?: Record<string, string>
  remoteAddress?: string
}

/** A request with an optional bearer token and JSON body. */
export function call(
  app: FastifyInstance,
  method: Method,
  url: string,
  options: RequestOptions = {},
) {
  return app.inject({
    method,
    url,
    headers: {
      ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { payload: options.body as object }),
    ...(options.remoteAddress === undefined ? {} : { remoteAddress: options.remoteAddress }),
  })
}

/** The one error shape: exactly `{error, error_description}`, with this status and code. */
export function assertError(res: LightMyRequestResponse, status: number, code: string) {
  assert.equal(res.statusCode, status, res.body)
  const body = res.json() as Record<string, unknown>
  assert.deepEqual(Object.keys(body).sort(), ['error', 'error_description'], res.body)
  assert.equal(body.error, code, res.body)
  assert.equal(typeof body.error_description, 'string')
  assert.notEqual(body.error_description, '')
}

/** A client error (4xx, never 5xx) in the one error shape. */
export function assertClientError(res: LightMyRequestResponse, label = '') {
  assert.ok(
    res.statusCode >= 400 && res.statusCode < 500,
    `${label}: expected 4xx, got ${res.statusCode} ${res.body}`,
  )
  const body = res.json() as Record<string, unknown>
  assert.deepEqual(
    Object.keys(body).sort(),
    ['error', 'error_description'],
    `${label}: ${res.body}`,
  )
}

/** 401 invalid_token with the RFC 6750 challenge. */
export function assertInvalidToken(res: LightMyRequestResponse) {
  assertError(res, 401, 'invalid_token')
  assert.match(
    String(res.headers['www-authenticate']),
    /^Bearer realm="portcullis", error="invalid_token"/,
  )
}

export function assertNoContent(res: LightMyRequestResponse) {
  assert.equal(res.statusCode, 204, res.body)
  assert.equal(res.body, '')
}

/** Logs in with the password grant and returns the token pair; asserts a 200. */
export async function loginPair(
  app: FastifyInstance,
  username: string,
  form: Record<string, string> = {},
  headers: Record<string, string> = {},
): Promise<TokenPair> {
  const res = await postToken(app, { username, password: PASSWORD, ...form }, headers)
  assert.equal(res.statusCode, 200, res.body)
  return res.json() as TokenPair
}

export const refresh = (app: FastifyInstance, refreshToken: string, form = {}) =>
  postToken(app, { grant_type: 'refresh_token', refresh_token: refreshToken, ...form })

/** The session id (`sid`) an access token carries. */
export const sidOf = (accessToken: string) => String(decodeJwt(accessToken).sid)
