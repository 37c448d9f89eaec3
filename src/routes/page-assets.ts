import type { FastifyPluginAsync } from 'fastify'
import { type PageAsset, pageAssets } from '../pages/assets.js'

/**
 * GET /assets/email-link.js and /assets/email-pages.css: the hosted pages' script and
 * stylesheet. Public and versioned by content (pages ask for `?v=<hash>`), so cacheable for a
 * year; hidden from the OpenAPI document (not part of the API).
 */
export function pageAssetRoutes(assets: readonly PageAsset[] = pageAssets): FastifyPluginAsync {
  return async (app) => {
    for (const asset of assets) {
      app.get(asset.path, { schema: { hide: true } }, async (_request, reply) =>
        reply
          .header('content-type', asset.contentType)
          .header('cache-control', 'public, max-age=31536000, immutable')
          .send(asset.body),
      )
    }
  }
}
