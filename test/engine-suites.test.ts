import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { declarationProblems } from './engine-suites.js'

// The marker names are spelled apart so that this file's own text does not match them.
const builds = `const app = await ${'buildTestApp'}(t)`
const opens = `const store = ${'openSqliteStore'}(':memory:')`
const declared = {
  everyEngine: ['test/a.test.ts'],
  oneEngine: { 'test/b.test.ts': 'opens SQLite by name' },
}
const text: Record<string, string> = {
  'test/a.test.ts': builds,
  'test/b.test.ts': opens,
  'test/c.test.ts': 'assert.equal(1, 1)',
}
const read = (file: string) => text[file] ?? ''

describe('engine-dependent suite declarations', () => {
  it('accept files that are declared, and files that build nothing', () => {
    assert.deepEqual(declarationProblems(Object.keys(text), read, declared), [])
  })

  it('name a file that builds the app or opens a store without being declared', () => {
    const files = [...Object.keys(text), 'test/d.test.ts', 'test/e.test.ts']
    text['test/d.test.ts'] = builds
    text['test/e.test.ts'] = opens
    try {
      const problems = declarationProblems(files, read, declared)
      assert.equal(problems.length, 2)
      assert.match(problems[0] ?? '', /^test\/d\.test\.ts builds the app or opens a store/)
      assert.match(problems[1] ?? '', /^test\/e\.test\.ts builds the app or opens a store/)
    } finally {
      delete text['test/d.test.ts']
      delete text['test/e.test.ts']
    }
  })

  it('name a declared file that does not exist, and one declared twice', () => {
    const problems = declarationProblems(['test/a.test.ts'], read, {
      everyEngine: ['test/a.test.ts', 'test/gone.test.ts'],
      oneEngine: { 'test/a.test.ts': 'twice', 'test/b.test.ts': 'renamed' },
    })
    assert.deepEqual(problems, [
      'test/gone.test.ts is declared but does not exist',
      'test/b.test.ts is declared but does not exist',
      'test/a.test.ts is declared both in everyEngine and in oneEngine',
    ])
  })

  it('hold for the repository as it is', () => {
    const files = readdirSync('test', { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile() && e.name.endsWith('.test.ts'))
      .map((e) => join(e.parentPath, e.name))
    assert.deepEqual(
      declarationProblems(files, (f) => readFileSync(f, 'utf8')),
      [],
    )
  })
})
