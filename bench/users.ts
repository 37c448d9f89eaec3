import { randomBytes } from 'node:crypto'

/** A registered benchmark user and a valid access token of theirs. */
export interface BenchUser {
  username: string
  password: string
  token: string
  refreshToken: string
}

/**
 * `send()`, sent again (up to 5 times) while the server answers 503 with `Retry-After`, as a
 * well-behaved client would: servers starting side by side on two cores can lag past the
 * load-shedding threshold while the first requests compile their schemas.
 */
async function retrying503(send: () => Promise<Response>): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    const response = await send()
    const retryAfter = Number(response.headers.get('retry-after'))
    if (response.status !== 503 || !retryAfter || attempt === 5) return response
    await response.body?.cancel()
    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000))
  }
}

async function expectOk(response: Response, what: string): Promise<unknown> {
  const body: unknown = await response.json().catch(() => null)
  if (!response.ok) throw new Error(`${what}: HTTP ${response.status} ${JSON.stringify(body)}`)
  return body
}

/** The form body of a password-grant login, as /token expects it. */
export const loginForm = (user: Pick<BenchUser, 'username' | 'password'>) =>
  new URLSearchParams({ username: user.username, password: user.password }).toString()

async function logIn(
  baseUrl: string,
  user: Pick<BenchUser, 'username' | 'password'>,
): Promise<{ access_token: string; refresh_token: string }> {
  return (await expectOk(
    await retrying503(() =>
      fetch(`${baseUrl}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: loginForm(user),
      }),
    ),
    `log in ${user.username}`,
  )) as { access_token: string; refresh_token: string }
}

/**
 * Logs each user in once more (a few at a time, like createUsers) and returns the new
 * sessions' refresh tokens: a pool for the refresh grant apart from the sessions whose access
 * tokens the other loads present.
 */
export async function issueRefreshTokens(baseUrl: string, users: BenchUser[]): Promise<string[]> {
  const tokens: string[] = []
  for (let start = 0; start < users.length; start += 4) {
    const batch = users.slice(start, start + 4).map((u) => logIn(baseUrl, u))
    tokens.push(...(await Promise.all(batch)).map((l) => l.refresh_token))
  }
  return tokens
}

async function createUser(baseUrl: string, index: number): Promise<BenchUser> {
  const username = `bench_user_${String(index).padStart(3, '0')}`
  const password = `pw-${randomBytes(18).toString('base64url')}`
  await expectOk(
    await retrying503(() =>
      fetch(`${baseUrl}/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password, email: `${username}@example.com` }),
      }),
    ),
    `register ${username}`,
  )
  const login = await logIn(baseUrl, { username, password })
  return { username, password, token: login.access_token, refreshToken: login.refresh_token }
}

/**
 * Registers `count` users and logs each in, a few at a time (each step is an argon2 hash, and
 * the server's hash queue answers 503 when flooded).
 */
export async function createUsers(baseUrl: string, count: number): Promise<BenchUser[]> {
  const users: BenchUser[] = []
  const inFlight = 4
  for (let start = 0; start < count; start += inFlight) {
    const batch = Array.from({ length: Math.min(inFlight, count - start) }, (_, i) =>
      createUser(baseUrl, start + i),
    )
    users.push(...(await Promise.all(batch)))
  }
  return users
}

/** GET /users/me with `token`; returns the parsed body. */
export async function fetchMe(baseUrl: string, token: string): Promise<unknown> {
  return expectOk(
    await fetch(`${baseUrl}/users/me`, { headers: { authorization: `Bearer ${token}` } }),
    'GET /users/me',
  )
}
