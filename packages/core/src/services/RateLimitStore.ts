import { Clock, Context, Effect, Layer } from "effect"
import type { DatabaseUnavailable } from "../errors.js"

/** A limit of `limit` requests per `windowMillis`. */
export interface RateLimit {
  readonly limit: number
  readonly windowMillis: number
}

/** What one counted request left: whether it is within the limit. */
export interface RateLimitDecision {
  readonly allowed: boolean
}

/**
 * Counts requests per key in a sliding window (the previous window's count weighted by how much of it still
 * overlaps, plus the current window's). Refused requests count too, so a caller that keeps hammering stays limited.
 * The in-memory store limits one process; the Postgres adapter's store shares one limit between every process on
 * the database.
 */
export class RateLimitStore extends Context.Service<RateLimitStore, {
  readonly hit: (key: string, limit: RateLimit) => Effect.Effect<RateLimitDecision, DatabaseUnavailable>
}>()("@mission-control/core/RateLimitStore") {}

/** The two windows' counts a key has at `now`, as both stores keep them. */
export interface WindowCounts {
  readonly windowStart: number
  readonly hits: number
  readonly previousHits: number
}

/** The start of the fixed window `now` falls in. */
export const windowStartOf = (now: number, windowMillis: number): number => now - (now % windowMillis)

/** Whether the counts (this request included) stay within the limit at `now`. */
export const withinLimit = (counts: WindowCounts, now: number, limit: RateLimit): boolean => {
  const overlap = 1 - (now - counts.windowStart) / limit.windowMillis
  return counts.previousHits * overlap + counts.hits <= limit.limit
}

/** The counts after one more request at `now`, from the key's counts before (none for a new key). */
export const countHit = (before: WindowCounts | undefined, now: number, windowMillis: number): WindowCounts => {
  const windowStart = windowStartOf(now, windowMillis)
  if (before === undefined) return { windowStart, hits: 1, previousHits: 0 }
  if (before.windowStart === windowStart) return { ...before, hits: before.hits + 1 }
  const previousHits = before.windowStart === windowStart - windowMillis ? before.hits : 0
  return { windowStart, hits: 1, previousHits }
}

/** A store in this process's memory; keys idle for two windows are dropped as it goes. */
export const makeMemory = (): RateLimitStore["Service"] => {
  const counts = new Map<string, WindowCounts>()
  let lastSweep = 0
  const sweep = (now: number, windowMillis: number) => {
    if (now - lastSweep < windowMillis) return
    lastSweep = now
    const current = windowStartOf(now, windowMillis)
    for (const [key, value] of counts) if (value.windowStart < current - windowMillis) counts.delete(key)
  }
  return {
    hit: (key, limit) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        sweep(now, limit.windowMillis)
        const next = countHit(counts.get(key), now, limit.windowMillis)
        counts.set(key, next)
        return { allowed: withinLimit(next, now, limit) }
      })
  }
}

/** `makeMemory` as a layer. */
export const layerMemory = Layer.sync(RateLimitStore, makeMemory)
