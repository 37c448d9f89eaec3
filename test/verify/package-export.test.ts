import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

describe('the portcullis/verify package export', () => {
  it('resolves to the built verifier library', async () => {
    const lib = await import('portcullis/verify')
    for (const name of [
      'createVerifier',
      'requireScopes',
      'verifyRequest',
      'portcullisAuth',
      'VerifyError',
    ]) {
      assert.equal(typeof (lib as Record<string, unknown>)[name], 'function', name)
    }
  })
})
