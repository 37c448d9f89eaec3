import type { FastifyRequest } from 'fastify'
import type { ClientService } from '../auth/clients.js'
import type { ClientsConfig } from '../config/access.js'
import type { ClientRecord } from '../store/store.js'
import { type ClientAuthenticator, type ClientForm, clientFailed } from './client-auth.js'

/** What `callingClientOf` needs. */
export interface CallingClientDeps {
  clients: Pick<ClientService, 'builtin'>
  authenticateClient: ClientAuthenticator
  /** Whether the built-in client is refused, and its id. */
  clientPolicy: ClientsConfig
}

/**
 * The calling client of a token-endpoint-like request: the one that authenticated, else the
 * built-in one. With `mustAuthenticate` (client_credentials) a client must authenticate; a
 * server that requires registered clients refuses the built-in one however it is named
 * (omitted, or by its client_id). `basic` false: the Authorization header carries something
 * else (an `mfa_token`), so only the form's `client_id`/`client_secret` count.
 */
export function callingClientOf(deps: CallingClientDeps) {
  return async function callingClient(
    request: FastifyRequest,
    form: ClientForm,
    mustAuthenticate: boolean,
    basic = true,
  ): Promise<ClientRecord> {
    const client = await deps.authenticateClient(request, form, basic)
    if (!client && mustAuthenticate) throw clientFailed('client authentication required')
    const calling = client ?? deps.clients.builtin
    if (deps.clientPolicy.requireClient && calling.id === deps.clientPolicy.builtinId) {
      throw clientFailed(
        client
          ? 'this server requires a registered client'
          : 'this server requires client authentication',
      )
    }
    return calling
  }
}
