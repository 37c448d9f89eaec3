import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { choosePinning } from '../../bench/pinning.js'
import { statFields } from '../../bench/proc.js'
import { saturation } from '../../bench/saturation.js'

const use = (clientCpuSeconds: number, serverCpuSeconds: number, serverCores = 1) => ({
  clientCpuSeconds,
  serverCpuSeconds,
  wallSeconds: 5,
  clientCores: 1,
  serverCores,
})

describe('saturation', () => {
  it('flags a client using its whole core while the server has CPU to spare', () => {
    const s = saturation(use(4.8, 3))
    assert.equal(s.clientBound, true)
    assert.equal(s.clientBusy, 0.96)
    assert.equal(s.serverBusy, 0.6)
  })

  it('does not flag a saturated server, even beside a busy client', () => {
    assert.equal(saturation(use(4.8, 4.9)).clientBound, false)
  })

  it('does not flag a client with CPU to spare', () => {
    assert.equal(saturation(use(2, 1)).clientBound, false)
  })

  it("measures the server against all its cores: 1.5 of 2 cores leaves room, so it's the client", () => {
    assert.equal(saturation(use(4.8, 7.5, 2)).clientBound, true)
    assert.equal(saturation(use(4.8, 9.5, 2)).clientBound, false)
  })

  it('reports nothing busy for a run of no duration', () => {
    const s = saturation({ ...use(1, 1), wallSeconds: 0 })
    assert.deepEqual(s, { clientBusy: 0, serverBusy: 0, clientBound: false })
  })
})

describe('pinning', () => {
  it('gives wrk the last core and the servers the others when taskset exists', () => {
    const p = choosePinning(4, '/usr/bin/taskset')
    assert.equal(p.client, '3')
    assert.equal(p.server, '0-2')
    assert.equal(p.serverCores, 3)
    assert.equal(choosePinning(2, '/usr/bin/taskset').server, '0')
  })

  it('runs unpinned, and says why, without taskset or with one core', () => {
    const none = choosePinning(2, null)
    assert.equal(none.client, undefined)
    assert.match(none.description, /taskset not on the PATH/)
    assert.equal(choosePinning(1, '/usr/bin/taskset').client, undefined)
  })
})

describe('/proc stat fields', () => {
  it('splits after the command name even when it holds spaces and parentheses', () => {
    const fields = statFields('42 (node (a) b) S 1 42 42 0 -1 4194560 10 0 0 0 150 25 7 3 20')
    assert.equal(fields[0], 'S')
    assert.equal(fields[14 - 3], '150')
    assert.equal(fields[15 - 3], '25')
    assert.equal(fields[16 - 3], '7')
  })
})
