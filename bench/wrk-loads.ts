// The request rotations of the wrk scenarios, built from the benchmark users.
import type { BenchUser } from './users.js'
import { loginForm } from './users.js'
import type { WrkLoad } from './wrk-script.js'

const form = { 'content-type': 'application/x-www-form-urlencoded' }

/** GET /users/me with each user's access token in turn (the ceiling gets the same requests). */
export const bearerLoad = (users: BenchUser[]): WrkLoad => ({
  kind: 'rotate',
  requests: users.map((u) => ({
    method: 'GET',
    path: '/users/me',
    headers: { authorization: `Bearer ${u.token}` },
  })),
})

/** POST /token, the password grant, each user's form in turn (an argon2id hash per request). */
export const loginLoad = (users: BenchUser[]): WrkLoad => ({
  kind: 'rotate',
  requests: users.map((u) => ({
    method: 'POST',
    path: '/token',
    headers: form,
    body: loginForm(u),
  })),
})

/** POST /introspect of each user's access token in turn, by a client with Basic credentials. */
export const introspectLoad = (users: BenchUser[], clientAuthorization: string): WrkLoad => ({
  kind: 'rotate',
  requests: users.map((u) => ({
    method: 'POST',
    path: '/introspect',
    headers: { ...form, authorization: clientAuthorization },
    body: `token=${u.token}`,
  })),
})

/** The refresh grant over a pool of unspent refresh tokens (see WrkLoad `refresh`). */
export const refreshLoad = (refreshTokens: string[]): WrkLoad => ({
  kind: 'refresh',
  path: '/token',
  headers: form,
  refreshTokens,
})
