import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import type { Clock } from '../clock.js'
import { ApiError, invalidRequest } from '../errors.js'
import { type ClientRecord, type Store, UniqueViolationError } from '../store/store.js'
import type { Actor, AuditService } from './audit.js'
import { hasControlCharacters } from './control-characters.js'
import { docsClient, docsClientId } from './docs-client.js'
import { redirectUriProblem } from './redirect-uri.js'
import { sha256 } from './sha256.js'

export const grantTypes = [
  'authorization_code',
  'password',
  'refresh_token',
  'client_credentials',
] as const
export type GrantType = (typeof grantTypes)[number]

/** What an admin (or the CLI) gives to register a client. */
export interface ClientInput {
  /** The `client_id`; generated when omitted. */
  id?: string | undefined
  name: string
  /** Confidential clients get a secret (shown once); public ones have none. */
  confidential: boolean
  grantTypes: string[]
  scopes: string[]
  introspect?: boolean | undefined
  /** Where `/authorize` may send the user back; `authorization_code` needs at least one. */
  redirectUris?: string[] | undefined
  /** Where RP-initiated logout may send the user back. */
  postLogoutRedirectUris?: string[] | undefined
  /** Skips the consent page: the operator vouches for the client. */
  firstParty?: boolean | undefined
  /** The RFC 8707 resource it serves (one of the configured resources); none: Portcullis. */
  resource?: string | null | undefined
}

/** The most redirect URIs (and, apart, post-logout ones) a client may register. */
export const maxRedirectUris = 20

export interface ClientPolicy {
  /** The scopes this server offers. */
  scopes: readonly string[]
  /** The built-in public first-party client. */
  builtinId: string
  /** This server's issuer: the built-in docs client's redirect URI is under it. */
  issuer: string
  /** The resources (RFC 8707) the operator configured; a client's `resource` is one of them. */
  resources: readonly string[]
}

// RFC 6749 §A.1: client_id is VSCHAR; we keep to a URL- and header-safe subset.
const clientIdPattern = /^[A-Za-z0-9._~-]{1,64}$/
/** Whether `id` has the shape of a client_id (so an audit record may name it as one). */
export const isClientIdShape = (id: string) => clientIdPattern.test(id)
const uuidShape = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * Client secrets are 256 random bits, so a fast hash suffices (no dictionary to resist, unlike
 * passwords) and keeps client authentication cheap on every token and introspection call.
 */
export const hashSecret = (secret: string) => sha256(secret)
const newSecret = () => randomBytes(32).toString('base64url')

const notFound = (id: string) => new ApiError('not_found', `no client ${id}`)

/** The URIs of `field`, each checked by redirectUriProblem, duplicates dropped; 400 otherwise. */
function registrableUris(field: string, uris: readonly string[] = []): string[] {
  const unique = [...new Set(uris)]
  if (unique.length > maxRedirectUris) {
    throw invalidRequest(`${field} may list at most ${maxRedirectUris} URIs`)
  }
  for (const uri of unique) {
    const problem = redirectUriProblem(uri)
    // The URI is not echoed: it may be long or hold what a log should not.
    if (problem) throw invalidRequest(`each of ${field} ${problem}`)
  }
  return unique
}

/** The client registry (RFC 6749 §2): registration, secrets and their verification. */
export class ClientService {
  constructor(
    private readonly store: Store,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly policy: ClientPolicy,
  ) {}

  /** The built-in public client: password and refresh grants, every offered scope. */
  get builtin(): ClientRecord {
    return {
      id: this.policy.builtinId,
      name: 'built-in first-party client',
      secretHash: null,
      grantTypes: ['password', 'refresh_token'],
      scopes: [...this.policy.scopes],
      introspect: false,
      // It never gets a client_credentials token, so nothing carries this.
      registrationId: 'builtin',
      createdAt: new Date(0).toISOString(),
      updatedAt: new Date(0).toISOString(),
      redirectUris: [],
      postLogoutRedirectUris: [],
      firstParty: true,
      resource: null,
    }
  }

  /**
   * Registers a client; returns it with its secret, which is stored only as a hash and cannot
   * be shown again. 400 invalid_request names a bad field; 409 `client_taken` a taken id.
   */
  async create(input: ClientInput, actor: Actor) {
    const id = input.id ?? `client_${randomBytes(12).toString('base64url')}`
    if (!clientIdPattern.test(id) || id === this.policy.builtinId || id === docsClientId) {
      throw invalidRequest('client_id must be 1-64 of A-Z a-z 0-9 . _ ~ - and not a built-in id')
    }
    // RFC 9068 §5: a client_credentials token's `sub` is the client_id, so it must never look
    // like a user's `sub` (a UUID), or a resource server could take the client for that user.
    if (uuidShape.test(id)) throw invalidRequest('client_id must not have the shape of a UUID')
    const name = input.name.trim()
    if (name === '' || name.length > 200 || hasControlCharacters(name)) {
      throw invalidRequest('name must be 1-200 characters without control characters')
    }
    const grants = [...new Set(input.grantTypes)]
    const badGrant = grants.find((g) => !(grantTypes as readonly string[]).includes(g))
    if (badGrant !== undefined || grants.length === 0) {
      throw invalidRequest(`grant_types must be some of: ${grantTypes.join(', ')}`)
    }
    // RFC 6749 §4.4: the client credentials grant MUST only be used by confidential clients.
    if (grants.includes('client_credentials') && !input.confidential) {
      throw invalidRequest('client_credentials needs a confidential client')
    }
    const scopes = [...new Set(input.scopes)]
    const unknown = scopes.filter((s) => !this.policy.scopes.includes(s))
    if (unknown.length > 0) throw invalidRequest(`unknown scopes: ${unknown.join(' ')}`)
    // RFC 7662 §2.1: the introspection endpoint requires authentication, so only clients that
    // can authenticate (confidential ones) may introspect.
    if (input.introspect && !input.confidential) {
      throw invalidRequest('introspect needs a confidential client')
    }
    const redirectUris = registrableUris('redirect_uris', input.redirectUris)
    const postLogoutRedirectUris = registrableUris(
      'post_logout_redirect_uris',
      input.postLogoutRedirectUris,
    )
    // RFC 6749 §3.1.2.2: a client of the code flow registers where its codes may go (and public
    // clients may use it: PKCE binds the code to the client instance, RFC 7636).
    const codeFlow = grants.includes('authorization_code')
    if (codeFlow && redirectUris.length === 0) {
      throw invalidRequest('authorization_code needs at least one redirect URI')
    }
    if (!codeFlow && redirectUris.length + postLogoutRedirectUris.length > 0) {
      throw invalidRequest('redirect URIs need the authorization_code grant')
    }
    const resource = input.resource ?? null
    if (resource !== null && !this.policy.resources.includes(resource)) {
      throw invalidRequest(
        'resource must be one of the configured resources (PORTCULLIS_RESOURCES)',
      )
    }
    const secret = input.confidential ? newSecret() : null
    const at = new Date(this.clock.now()).toISOString()
    const client: ClientRecord = {
      id,
      name,
      secretHash: secret ? hashSecret(secret) : null,
      grantTypes: grants,
      scopes,
      introspect: input.introspect ?? false,
      registrationId: randomUUID(),
      createdAt: at,
      updatedAt: at,
      redirectUris,
      postLogoutRedirectUris,
      firstParty: input.firstParty ?? false,
      resource,
    }
    try {
      await this.store.clients.create(client)
    } catch (error) {
      if (error instanceof UniqueViolationError) {
        throw new ApiError('client_taken', `client_id ${id} is already registered`)
      }
      throw error
    }
    await this.audit.record({ type: 'client.create', clientId: id, actor, detail: { name } })
    return { client, secret }
  }

  list(): Promise<ClientRecord[]> {
    return this.store.clients.list()
  }

  /** The registered client or a built-in one (password, docs) with this id, or null. */
  async find(id: string): Promise<ClientRecord | null> {
    if (id === this.policy.builtinId) return this.builtin
    if (id === docsClientId) return docsClient(this.policy.issuer, this.policy.scopes)
    return this.store.clients.findById(id)
  }

  /** Replaces a confidential client's secret; the old one stops working at once. */
  async rotateSecret(id: string, actor: Actor): Promise<string> {
    const client = await this.store.clients.findById(id)
    if (!client) throw notFound(id)
    if (client.secretHash === null) throw invalidRequest('a public client has no secret')
    const secret = newSecret()
    await this.store.clients.setSecretHash(
      id,
      hashSecret(secret),
      new Date(this.clock.now()).toISOString(),
    )
    await this.audit.record({ type: 'client.secret_rotate', clientId: id, actor })
    return secret
  }

  /** Deletes a client with its consents, and ends every session started through it. */
  async delete(id: string, actor: Actor): Promise<void> {
    if (!(await this.store.clients.delete(id))) throw notFound(id)
    await this.store.sessions.revokeAllForClient(id, new Date(this.clock.now()).toISOString())
    await this.audit.record({ type: 'client.delete', clientId: id, actor })
  }

  /**
   * The client these credentials authenticate, or null: an existing client, and the secret
   * matches (a confidential client) or is absent (a public one). Secrets compare in constant time.
   */
  async verify(id: string, secret: string | undefined): Promise<ClientRecord | null> {
    const client = await this.find(id)
    if (!client) return null
    if (client.secretHash === null) return secret === undefined || secret === '' ? client : null
    if (secret === undefined) return null
    const given = Buffer.from(hashSecret(secret))
    const stored = Buffer.from(client.secretHash)
    return given.length === stored.length && timingSafeEqual(given, stored) ? client : null
  }
}
