import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { apiDescription, describeDuration } from '../../src/routes/openapi-description.js'
import { buildTestApp, testConfig } from '../helpers.js'

describe('describeDuration', () => {
  it('names a whole number of seconds in the largest unit that divides it', () => {
    assert.equal(describeDuration(900), '15 minutes')
    assert.equal(describeDuration(60), '1 minute')
    assert.equal(describeDuration(3600), '1 hour')
    assert.equal(describeDuration(5 * 3600), '5 hours')
    assert.equal(describeDuration(86400), '1 day')
    assert.equal(describeDuration(14 * 86400), '14 days')
    assert.equal(describeDuration(90), '90 seconds')
    assert.equal(describeDuration(1), '1 second')
  })
})

describe('the OpenAPI description', () => {
  it('states the default lifetimes, and no grace window when there is none', () => {
    const text = apiDescription(testConfig())
    assert.match(text, /a JWT valid for 15 minutes/)
    assert.match(text, /Sessions end after 14 days unused or 90 days in all/)
    assert.doesNotMatch(text, /grace/)
  })

  it('states the configured lifetimes and grace window, as /openapi.json serves them', async (t) => {
    const env = {
      PORTCULLIS_ACCESS_TOKEN_TTL: '600',
      PORTCULLIS_SESSION_IDLE_TTL: String(5 * 3600),
      PORTCULLIS_SESSION_MAX_TTL: String(30 * 86400),
      PORTCULLIS_REFRESH_GRACE_SECONDS: '10',
    }
    const { app } = await buildTestApp(t, { env })
    const doc = (await app.inject('/openapi.json')).json() as { info: { description: string } }
    const text = doc.info.description
    assert.match(text, /a JWT valid for 10 minutes/)
    assert.match(text, /Sessions end after 5 hours unused or 30 days in all/)
    assert.match(text, /a retry within 10 seconds \(the grace window\)/)
    assert.doesNotMatch(text, /15 minutes|14 days|90 days/)
  })

  it('lists the tag groups in the order a newcomer needs them, health last', async (t) => {
    const { app } = await buildTestApp(t)
    const doc = (await app.inject('/openapi.json')).json() as { tags: { name: string }[] }
    assert.deepEqual(
      doc.tags.map((tag) => tag.name),
      ['users', 'tokens', 'sessions', 'passkeys', 'admin', 'keys', 'meta', 'health'],
    )
  })
})
