import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { parseEnv } from 'node:util'
import { configRows, configTable, loadConfig } from '../src/config.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const read = (path: string) => readFileSync(join(root, path), 'utf8')

/** Every PORTCULLIS_* name that appears in src/, and NODE_ENV. */
function namesInSource(): Set<string> {
  const names = new Set(['NODE_ENV'])
  const files = readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' })
  for (const file of files.filter((f) => f.endsWith('.ts'))) {
    for (const m of read(join('src', file)).matchAll(/\bPORTCULLIS_[A-Z0-9_]*[A-Z0-9]\b/g)) {
      names.add(m[0])
    }
  }
  return names
}

/** The names loadConfig actually reads from the environment it is given. */
function namesReadByConfig(): Set<string> {
  const seen = new Set<string>()
  const env = new Proxy({} as Record<string, string | undefined>, {
    get(_, key) {
      if (typeof key === 'string') seen.add(key)
      return undefined
    },
  })
  loadConfig(env)
  return seen
}

describe('configuration documentation', () => {
  const example = parseEnv(read('deploy/.env.example'))

  it('deploy/.env.example and the README table list every variable the server reads', () => {
    const names = new Set([...namesInSource(), ...namesReadByConfig()])
    assert.ok(names.size > 50, `found ${names.size} names`)
    const tableFirstCells = read('README.md')
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .map((line) => line.split('|')[1] ?? '')
    const inTable = (name: string) => tableFirstCells.some((cell) => cell.includes(`\`${name}\``))
    const missing = [...names].filter((n) => !(n in example) || !inTable(n))
    assert.deepEqual(missing, [])
    const unknown = Object.keys(example).filter((n) => !names.has(n))
    assert.deepEqual(unknown, [], 'deploy/.env.example names no variable the server ignores')
  })

  it('the README table is the one generated from the definitions (scripts/config-table.ts)', () => {
    const lines = read('README.md').split('\n')
    const start = lines.indexOf(
      '| variable | default | meaning |',
      lines.indexOf('## Configuration'),
    )
    assert.ok(start > 0, 'the README has a configuration table')
    const end = lines.indexOf('', start)
    assert.equal(lines.slice(start + 2, end).join('\n'), configTable())
  })

  it('every variable loadConfig reads has exactly one definition, and every definition is read', () => {
    const defined = configRows.flatMap((r) =>
      r.variables.flatMap((v) => (v.alias ? [v.name, v.alias] : [v.name])),
    )
    assert.equal(new Set(defined).size, defined.length, 'no variable is defined twice')
    assert.deepEqual(new Set(defined), namesReadByConfig())
  })

  it('deploy/.env.example gives the defaults: loading it changes nothing', () => {
    assert.deepEqual(loadConfig(example), loadConfig({}))
  })
})
