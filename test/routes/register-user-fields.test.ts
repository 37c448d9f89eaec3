import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildTestApp, PASSWORD } from '../helpers.js'

const register = (body: object) => ({ method: 'POST' as const, url: '/register', payload: body })

// The reference rules users import and `users create` share (README, "Importing users").
describe('POST /register: the user-field rules every path shares', () => {
  it('answers an empty email with 400 invalid_request and stores nothing', async (t) => {
    const { app, services } = await buildTestApp(t)
    const res = await app.inject(register({ username: 'lena', password: PASSWORD, email: '' }))
    assert.equal(res.statusCode, 400, res.body)
    assert.deepEqual(res.json(), {
      error: 'invalid_request',
      error_description: 'email is not a valid email address',
    })
    assert.equal(await services.store.users.findByUsername('lena'), null)
  })

  it('keeps an empty full_name as sent', async (t) => {
    const { app } = await buildTestApp(t)
    const res = await app.inject(register({ username: 'nora', password: PASSWORD, full_name: '' }))
    assert.equal(res.statusCode, 201, res.body)
    assert.equal(res.json().full_name, '')
  })
})
