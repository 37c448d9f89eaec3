/** Fixtures and assertions shared by the parts of the Store contract suite. */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import type { TestContext } from 'node:test'
import {
  type AuditRecord,
  type ClientRecord,
  type NewUser,
  type SessionRecord,
  type SigningKeyRecord,
  type Store,
  UniqueViolationError,
} from '../../src/store/store.js'

export const EPOCH = '1970-01-01T00:00:00.000Z'
export const T0 = '2026-06-01T12:00:00.000Z'
export const T1 = '2026-06-01T12:05:00.000Z'
export const T2 = '2026-06-01T12:10:00.000Z'

/** Opens a fresh, migrated store that is closed when the test ends. */
export type Fresh = (t: TestContext) => Promise<Store>

export function newUser(overrides: Partial<NewUser> = {}): NewUser {
  const id = randomUUID()
  const username = `user-${id.slice(0, 8)}`
  return {
    id,
    username,
    email: `${username}@Example.com`,
    emailCanonical: `${username}@example.com`,
    fullName: 'Test User',
    passwordHash: '$argon2id$v=19$m=256,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA',
    createdAt: T0,
    ...overrides,
  }
}

export function newKey(kid: string, createdAt: string, alg = 'ES256'): SigningKeyRecord {
  return {
    kid,
    alg,
    publicJwk: JSON.stringify({ kty: 'EC', crv: 'P-256', x: `x-${kid}`, y: `y-${kid}`, kid }),
    privateJwk: JSON.stringify({ kty: 'EC', crv: 'P-256', d: `d-${kid}` }),
    createdAt,
    activatesAt: createdAt,
    retiredAt: null,
  }
}

export function newSession(userId: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id: randomUUID(),
    userId,
    clientId: 'portcullis',
    scope: 'profile',
    ip: '127.0.0.1',
    userAgent: 'test',
    createdAt: T0,
    lastUsedAt: T0,
    idleExpiresAt: T2,
    absoluteExpiresAt: T2,
    revokedAt: null,
    resource: null,
    browserSessionId: null,
    amr: ['pwd'],
    authTime: T0,
    ...overrides,
  }
}

export function newClient(id: string, overrides: Partial<ClientRecord> = {}): ClientRecord {
  return {
    id,
    name: `Client ${id}`,
    secretHash: 'c2VjcmV0LWhhc2gtb2YtdGhlLWNsaWVudA',
    grantTypes: ['password', 'refresh_token'],
    scopes: ['profile', 'email'],
    introspect: false,
    registrationId: `reg-${id}`,
    createdAt: T0,
    updatedAt: T0,
    redirectUris: [],
    postLogoutRedirectUris: [],
    firstParty: false,
    resource: null,
    ...overrides,
  }
}

/** The i-th audit event: ids and times both grow with i (one minute apart from T0). */
export function newEvent(i: number, overrides: Partial<AuditRecord> = {}): AuditRecord {
  return {
    id: `evt-${String(i).padStart(6, '0')}`,
    at: minute(i),
    type: 'login.success',
    outcome: 'success',
    userId: null,
    clientId: 'portcullis',
    actorId: null,
    ip: '192.0.2.1',
    userAgent: 'test',
    detail: null,
    ...overrides,
  }
}

/** T0 plus `i` minutes, as ISO-8601. */
export function minute(i: number): string {
  return new Date(Date.parse(T0) + i * 60_000).toISOString()
}

/** Asserts that `promise` rejects with UniqueViolationError naming `field`. */
export async function rejectsUnique(promise: Promise<unknown>, field: 'username' | 'email' | 'id') {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof UniqueViolationError, `expected UniqueViolationError, got ${error}`)
    assert.equal(error.field, field)
    return true
  })
}
