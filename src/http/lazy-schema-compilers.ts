import { createRequire } from 'node:module'
import type { FastifyServerOptions } from 'fastify'

type Compilers = NonNullable<
  NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']
>
type ValidatorFactory = NonNullable<Compilers['buildValidator']>
type SerializerFactory = NonNullable<Compilers['buildSerializer']>
type Validate = ReturnType<ReturnType<ValidatorFactory>>
type Serialize = ReturnType<ReturnType<SerializerFactory>>

// Fastify's own default compilers (Ajv for requests, fast-json-stringify for responses),
// resolved from Fastify's package exactly as Fastify resolves them, and loaded on first use.
const fromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'))
const defaultValidatorFactory = (): ValidatorFactory =>
  (fromFastify('@fastify/ajv-compiler') as () => ValidatorFactory)()
const defaultSerializerFactory = (): SerializerFactory =>
  (fromFastify('@fastify/fast-json-stringify-compiler') as () => SerializerFactory)()

/**
 * Fastify's default schema compilers, made lazy: a route's request validators and response
 * serializers are compiled by the first request that needs them, not while the server starts
 * (compiling every route's schemas, and loading Ajv, was the largest share of the start's CPU).
 * The functions compiled are Fastify's own, with the same options and shared schemas, so every
 * request is validated and every response serialized exactly as before; only the moment of
 * compiling moves. Two differences to know: a schema that does not compile fails its route's
 * first request instead of the start (the route tests catch it), and Fastify no longer
 * lower-cases the property names of `headers` schemas for a custom compiler: write them in
 * lower case.
 */
export function lazySchemaCompilers(): { compilersFactory: Required<Compilers> } {
  let validatorFactory: ValidatorFactory | undefined
  let serializerFactory: SerializerFactory | undefined
  return {
    compilersFactory: {
      buildValidator: (externalSchemas, options) => (route) => {
        let compiled: Validate | undefined
        const validate = ((data: unknown) => {
          if (compiled === undefined) {
            validatorFactory ??= defaultValidatorFactory()
            compiled = validatorFactory(externalSchemas, options)(route)
          }
          const result = compiled(data)
          // Fastify reads the errors of a failed validation from the function it was given.
          validate.errors = compiled.errors
          return result
        }) as Validate
        return validate
      },
      buildSerializer: (externalSchemas, options) => (route) => {
        let compiled: Serialize | undefined
        return (data) => {
          if (compiled === undefined) {
            serializerFactory ??= defaultSerializerFactory()
            compiled = serializerFactory(externalSchemas, options)(route)
          }
          return compiled(data)
        }
      },
    },
  }
}
