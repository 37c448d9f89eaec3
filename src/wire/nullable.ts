import { type TSchema, Type } from 'typebox'

/** `schema` or JSON `null`: a field the API always sends, null when the value is not set. */
export const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])
