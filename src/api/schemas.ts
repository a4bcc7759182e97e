// Schema pieces shared by routes.
import { Type } from 'typebox'
import type { TSchema } from 'typebox'

/** Free text a person typed: no control characters (NUL cannot be stored), bounded length. */
export function Text(maxLength: number, options: Record<string, unknown> = {}) {
  return Type.String({
    minLength: 1,
    maxLength,
    pattern: '^[^\\p{Cc}\\p{Cs}]*$',
    ...options,
  })
}

export function Nullable<T extends TSchema>(schema: T) {
  return Type.Union([schema, Type.Null()])
}

export const IsoTime = Type.String({ format: 'date-time' })
