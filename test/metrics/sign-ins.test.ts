import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Registry } from 'prom-client'
import { signInMetrics } from '../../src/metrics/sign-ins.js'

async function outcomes(registry: Registry): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric('portcullis_logins_total')?.get()
  return Object.fromEntries((metric?.values ?? []).map((v) => [String(v.labels.outcome), v.value]))
}

describe('portcullis_logins_total from the audit records', () => {
  it('counts a refused passkey sign-in as a failure, and a refused passkey registration not at all', async () => {
    const registry = new Registry()
    const signIns = signInMetrics(registry)
    signIns.audited({ type: 'passkey.failure', detail: '{"ceremony":"register","reason":"x"}' })
    signIns.audited({ type: 'passkey.failure', detail: '{"reason":"challenge"}' })
    signIns.audited({ type: 'passkey.failure', detail: null })
    signIns.audited({ type: 'login.success', detail: null })
    signIns.audited({ type: 'mfa.required', detail: '{}' })
    signIns.audited({ type: 'passkey.register', detail: '{}' })
    signIns.throttled()
    assert.deepEqual(await outcomes(registry), {
      success: 1,
      failure: 2,
      throttled: 1,
      mfa_required: 1,
    })
  })
})
