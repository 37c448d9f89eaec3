/**
 * The lazy schema compilers: nothing is compiled while routes are registered, and once a route's
 * first request compiles its validator, Fastify reads a failed validation's errors as before.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import Fastify from 'fastify'
import { lazySchemaCompilers } from '../../src/http/lazy-schema-compilers.js'

const ajvOptions = {
  customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false },
  plugins: [],
}

describe('lazySchemaCompilers', () => {
  const { buildValidator, buildSerializer } = lazySchemaCompilers().compilersFactory

  it('compiles a validator at its first use, not when the route is registered', () => {
    const route = {
      schema: { type: 'object', required: 7 },
      method: 'POST',
      url: '/x',
      httpPart: 'body',
    }
    const validate = buildValidator({}, ajvOptions)(route)
    assert.throws(() => validate({}), /required/)
  })

  it('hands over the errors of a failed validation on the function it returned', () => {
    const schema = { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] }
    const validate = buildValidator(
      {},
      ajvOptions,
    )({ schema, method: 'POST', url: '/x', httpPart: 'body' })
    assert.equal(validate({ n: 'one' }), false)
    assert.equal(validate.errors?.[0]?.instancePath, '/n')
    assert.equal(validate({ n: 1 }), true)
    assert.equal(validate.errors, null)
  })

  it('serializes with the response schema: properties it does not name are left out', () => {
    const schema = { type: 'object', properties: { id: { type: 'string' } } }
    const serialize = buildSerializer(
      {},
      {},
    )({ schema, method: 'GET', url: '/x', httpStatus: '200' })
    assert.equal(serialize({ id: 'a', passwordHash: 'secret' }), '{"id":"a"}')
  })

  it('lets an app become ready without compiling any route schema', async () => {
    const app = Fastify({ schemaController: lazySchemaCompilers() })
    // Compiling this schema throws: the app only notices if something compiles it.
    app.post(
      '/never-called',
      { schema: { body: { type: 'object', required: 7 } } },
      async () => ({}),
    )
    app.post('/fine', { schema: { body: { type: 'object' } } }, async () => ({ ok: true }))
    await app.ready()
    const fine = await app.inject({ method: 'POST', url: '/fine', payload: {} })
    assert.equal(fine.statusCode, 200)
    await app.close()
  })
})
