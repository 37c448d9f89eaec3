import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { revokeSigningKey } from '../auth/key-revocation.js'
import { ApiError } from '../errors.js'
import { actorOf } from '../http/actor.js'
import { authOf } from '../http/protected.js'
import { errorResponses } from '../http/schemas.js'
import type { Services } from '../services.js'

const KeyParams = Type.Object({ kid: Type.String({ maxLength: 64 }) })
const Revoked = Type.Object({
  kid: Type.String(),
  successor: Type.Union([Type.String(), Type.Null()], {
    description: 'The key that signs from now on, when the revoked key was the one signing',
  }),
})

/**
 * POST /admin/keys/{kid}/revoke: withdraws a leaked signing key at once on the instance that
 * answers (other instances within PORTCULLIS_KEY_RELOAD_SECONDS), the same operation as
 * `portcullis keys revoke`, which a running server only sees at its next key reload.
 */
export function adminKeyRoutes(
  services: Pick<Services, 'keyring' | 'audit'>,
): FastifyPluginAsyncTypebox {
  const { keyring, audit } = services
  return async (app) => {
    app.post(
      '/admin/keys/:kid/revoke',
      {
        config: { scopes: ['admin'] },
        schema: {
          operationId: 'revokeSigningKey',
          tags: ['admin'],
          summary: 'Revoke a leaked signing key',
          description:
            'The key leaves the JWKS and its tokens are refused at once on this instance (on the others within the key-reload interval); its private half is deleted; if it was signing, a successor signs from now on. Audited as `key.revoke`. An unknown or already revoked kid is 404. Needs `admin`.',
          params: KeyParams,
          response: { 200: Revoked, ...errorResponses(400, 401, 403, 404, 503) },
        },
      },
      async (request) => {
        const { kid } = request.params
        const actor = actorOf(request, authOf(request).user.id)
        const result = await revokeSigningKey(keyring, audit, kid, actor)
        if (!result) throw new ApiError('not_found', 'no unrevoked signing key has that id')
        return { kid, successor: result.successor }
      },
    )
  }
}
