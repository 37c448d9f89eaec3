import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'

const wireDir = join(import.meta.dirname, '..', '..', 'src', 'wire')
const modules = readdirSync(wireDir).filter((name) => name.endsWith('.ts'))

// A wire schema is shared by routes and services: it must not drag the HTTP framework into the
// auth layer, and its type must come from the schema so the two cannot disagree.
describe('src/wire', () => {
  it('holds the shared wire schemas', () => {
    for (const name of ['error-body.ts', 'public-user.ts', 'registration.ts']) {
      assert.ok(modules.includes(name), name)
    }
  })

  for (const name of modules) {
    it(`${name} imports TypeBox and other wire modules only, no Fastify, no interface`, () => {
      const text = readFileSync(join(wireDir, name), 'utf8')
      const imports = [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1] as string)
      for (const source of imports) {
        assert.ok(
          source === 'typebox' || source.startsWith('./') || source === '../errors.js',
          `${name} imports ${source}`,
        )
      }
      assert.doesNotMatch(text, /\binterface\b/, `${name} declares an interface`)
    })
  }
})
