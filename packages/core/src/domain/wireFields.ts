import { Schema, SchemaTransformation } from "effect"
import { boundedText, limits, noNulCharacter, withinJsonLimits } from "./limits.js"
import { JsonObject } from "./models.js"

// The building blocks of the wire shapes: request bodies in the reference's field names, decoded to domain inputs.

export const trimmedText = (maxLength: number) =>
  Schema.Trim.check(Schema.isMinLength(1), Schema.isMaxLength(maxLength), noNulCharacter)
export const Name = trimmedText(limits.name)
export const Status = Schema.NullOr(boundedText(limits.status))
export const Template = Schema.NullOr(boundedText(limits.template))
export const HeartbeatConfig = Schema.NullOr(JsonObject.check(withinJsonLimits))
export const IdentityProfileInput = Schema.Unknown.check(withinJsonLimits)

/** A body field the client may leave out: decoding fills in `value`. */
export interface Defaulted<S extends Schema.Top> {
  readonly _tag: "Defaulted"
  readonly schema: S
  readonly value: S["Type"]
}

export const withDefault = <S extends Schema.Top>(schema: S, value: S["Type"]): Defaulted<S> => ({
  _tag: "Defaulted",
  schema,
  value
})

type FieldSpecs = { readonly [key: string]: Schema.Top | Defaulted<Schema.Top> }
type WireName<K, M> = K extends keyof M ? M[K] extends string ? M[K] : K : K
type WireField<X> = X extends Defaulted<infer S> ? Schema.optionalKey<S> : Extract<X, Schema.Top>
type DomainField<X> = X extends Defaulted<infer S> ? S : Extract<X, Schema.Top>
type WireFields<F extends FieldSpecs, M> = { readonly [K in keyof F as WireName<K, M>]: WireField<F[K]> }
type DomainFields<F extends FieldSpecs> = { readonly [K in keyof F]: DomainField<F[K]> }

const isDefaulted = (spec: Schema.Top | Defaulted<Schema.Top>): spec is Defaulted<Schema.Top> =>
  "_tag" in spec && spec._tag === "Defaulted"

/**
 * A request body in two shapes: `body`, the wire shape with the reference's names (`board_id`), which the HTTP API
 * validates and its typed client sends (a defaulted field may be left out); and the domain input of the programs,
 * with the domain's names (`boardId`) and every default filled in, made by `fromBody`. `schema` is both in one, for
 * code decoding wire JSON itself. Every field is validated under its wire key in one pass, so a request gets one
 * issue per bad field, each at the path its client sent.
 */
export const fromWireKeys = <
  const F extends FieldSpecs,
  const M extends { readonly [K in keyof F]?: string }
>(fields: F, wireNames: M) => {
  const wireFields: Record<string, Schema.Top> = {}
  const domainFields: Record<string, Schema.Top> = {}
  const renames: Array<readonly [wire: string, domain: string, defaulted: Defaulted<Schema.Top> | undefined]> = []
  for (const [key, spec] of Object.entries(fields)) {
    const wireName: string = (wireNames as Readonly<Record<string, string | undefined>>)[key] ?? key
    const defaulted = isDefaulted(spec) ? spec : undefined
    wireFields[wireName] = defaulted === undefined ? spec as Schema.Top : Schema.optionalKey(defaulted.schema)
    domainFields[key] = defaulted === undefined ? spec as Schema.Top : defaulted.schema
    renames.push([wireName, key, defaulted])
  }
  // The loops build exactly these shapes; TypeScript cannot follow a key renaming through a loop.
  const body = Schema.Struct(wireFields as unknown as WireFields<F, M>)
  const domain = Schema.toType(Schema.Struct(domainFields as unknown as DomainFields<F>))
  type Body = typeof body.Type
  type Domain = typeof domain.Type
  const fromBody = (wire: Body): Domain => {
    const input = wire as Readonly<Record<string, unknown>>
    const output: Record<string, unknown> = {}
    for (const [wireName, key, defaulted] of renames) {
      if (wireName in input) output[key] = input[wireName]
      else if (defaulted !== undefined) output[key] = defaulted.value
    }
    return output as Domain
  }
  const toBody = (value: Domain): Body => {
    const input = value as Readonly<Record<string, unknown>>
    const output: Record<string, unknown> = {}
    for (const [wireName, key] of renames) if (key in input) output[wireName] = input[key]
    return output as Body
  }
  const schema = body.pipe(
    Schema.decodeTo(domain, SchemaTransformation.transform({ decode: fromBody, encode: toBody }))
  )
  return { body, fromBody, schema }
}
