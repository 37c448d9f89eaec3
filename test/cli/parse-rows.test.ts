import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { describe, it } from 'node:test'
import { parseRows } from '../../src/cli/import/parse-rows.js'

const collect = async (input: Readable, format: 'jsonl' | 'csv') => {
  const rows = []
  for await (const row of parseRows(input, format)) rows.push(row)
  return rows
}

describe('parseRows', () => {
  for (const format of ['jsonl', 'csv'] as const) {
    it(`passes a read error on instead of waiting forever (${format})`, async () => {
      const input = new Readable({ read() {} })
      input.push(format === 'csv' ? 'username,password_hash\n' : '{"username":"a"}\n')
      const rows = collect(input, format)
      input.destroy(Object.assign(new Error('disk on fire'), { code: 'EIO' }))
      await assert.rejects(rows, { message: 'disk on fire' })
    })
  }

  it('numbers CSV lines exactly across CRLF, blank lines and quoted line breaks split between chunks', async () => {
    const text = 'username,full_name\r\na,"one\r\ntwo"\r\n\r\nb,x\r\n'
    // Every split point, so a CRLF torn between two chunks is covered too.
    for (let cut = 1; cut < text.length; cut++) {
      const rows = await collect(Readable.from([text.slice(0, cut), text.slice(cut)]), 'csv')
      assert.deepEqual(
        rows.map((r) => r.line),
        [2, 5],
        `cut at ${cut}`,
      )
    }
  })

  it('stops at an unclosed CSV quote, naming its line', async () => {
    const rows = await collect(Readable.from(['username,full_name\na,"open\nb,c\n']), 'csv')
    assert.equal(rows.length, 1)
    const [row] = rows
    assert.match(
      row && 'error' in row ? row.error : '',
      /^malformed CSV, reading stopped: Quote Not Closed/,
    )
  })
})
