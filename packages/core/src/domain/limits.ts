import { Schema } from "effect"

/**
 * What the API accepts, so that nothing is stored that it cannot serve back: Postgres text holds no NUL character,
 * an index entry at most about 2,700 bytes, and deeply nested JSON overflows the stack of whoever serialises it.
 * Documented in docs/behaviour.md.
 */
export const limits = {
  /** Names of agents, boards and gateways, in characters. */
  name: 200,
  /** An agent's status as its heartbeat reports it. */
  status: 100,
  /** Identity and soul template overrides. */
  template: 100_000,
  /** A gateway's URL. */
  url: 2_048,
  /** A gateway's workspace root. */
  path: 1_024,
  /** A gateway token. */
  token: 4_096,
  /** Nesting of a JSON value (`heartbeat_config`, `identity_profile`): an object in an object is depth 2. */
  jsonDepth: 16,
  /** Characters of all keys and strings of a JSON value together. */
  jsonText: 65_536
} as const

const nul = "\u0000"

/** A string without NUL characters. */
export const noNulCharacter = Schema.makeFilter(
  (text: string) => !text.includes(nul) || "Input should not contain NUL characters",
  { errorType: "string_nul_character" }
)

/** A string of at most `maxLength` characters and no NUL character. */
export const boundedText = (maxLength: number) => Schema.String.check(Schema.isMaxLength(maxLength), noNulCharacter)

/**
 * Why a JSON value breaks the limits, or `undefined` when it keeps them. Walks the value without recursion, so a
 * value nested past any limit is refused without exhausting the stack.
 */
export const jsonLimitViolation = (value: unknown): string | undefined => {
  const pending: Array<readonly [unknown, number]> = [[value, 1]]
  let text = 0
  while (pending.length > 0) {
    const [current, depth] = pending.pop()!
    if (typeof current === "string") {
      if (current.includes(nul)) return "Input should not contain NUL characters"
      text += current.length
    } else if (typeof current === "object" && current !== null) {
      if (depth > limits.jsonDepth) return `JSON should be nested at most ${limits.jsonDepth} levels deep`
      for (const [key, inner] of Array.isArray(current) ? current.entries() : Object.entries(current)) {
        if (typeof key === "string") {
          if (key.includes(nul)) return "Input should not contain NUL characters"
          text += key.length
        }
        pending.push([inner, depth + 1])
      }
    }
    if (text > limits.jsonText) return `JSON should hold at most ${limits.jsonText} characters of text`
  }
  return undefined
}

/** A check that a JSON value keeps the limits. */
export const withinJsonLimits = Schema.makeFilter(
  (value: unknown) => jsonLimitViolation(value) ?? true,
  { errorType: "json_limits" }
)
