import { Context, Effect, Layer, Redacted } from "effect"
import { createHash } from "node:crypto"

/** A freshly minted agent token and the digest stored in its place. */
export interface MintedToken {
  readonly token: Redacted.Redacted<string>
  readonly digest: string
}

/** Minting and digesting agent tokens. Raw tokens exist only at minting; the database keeps digests. */
export class AgentTokens extends Context.Service<AgentTokens, {
  readonly mint: Effect.Effect<MintedToken>
  /** The digest under which a raw token is stored and looked up. */
  readonly digest: (token: string) => Effect.Effect<string>
}>()("@mission-control/core/AgentTokens") {}

const toBase64Url = (bytes: Uint8Array): string => {
  let binary = ""
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")
}

/**
 * SHA-256 hex of a UTF-8 string. Node's synchronous hash: every agent request digests its token, and WebCrypto's
 * promise-based digest costs about 17 times the CPU for inputs this short (26 µs against 1.6 µs).
 */
export const sha256Hex = (text: string): Effect.Effect<string> =>
  Effect.sync(() => createHash("sha256").update(text, "utf8").digest("hex"))

/** Compares two strings in time that depends only on their length. */
export const constantTimeEquals = (left: string, right: string): boolean => {
  if (left.length !== right.length) return false
  let difference = 0
  for (let index = 0; index < left.length; index++) difference |= left.charCodeAt(index) ^ right.charCodeAt(index)
  return difference === 0
}

const digestPrefix = "sha256$"

/** 256-bit random tokens (43 URL-safe base64 characters), stored as `sha256$<hex digest>`. */
export const layer = Layer.succeed(AgentTokens, {
  mint: Effect.gen(function*() {
    const bytes = globalThis.crypto.getRandomValues(new Uint8Array(32))
    const token = toBase64Url(bytes)
    const digest = yield* sha256Hex(token)
    return { token: Redacted.make(token), digest: `${digestPrefix}${digest}` }
  }),
  digest: (token) => sha256Hex(token).pipe(Effect.map((hex) => `${digestPrefix}${hex}`))
})
