import type { GatewayError, HeartbeatEntry } from "@mission-control/core"
import { Deferred, Duration, Effect, Exit, Semaphore } from "effect"

/** What one `config.patch` changed, as the function that sends it reports. */
export interface HeartbeatPatchApplied {
  /** False when the config already held every setting, so no patch was sent. */
  readonly patched: boolean
  /** The agents whose settings the patch changed. */
  readonly changedAgents: ReadonlySet<string>
  /** The patch also changed settings of no single agent (the legacy channel defaults): every caller counts it. */
  readonly sharedChange: boolean
}

/** How the coalescer waits out the gateway's refusals. */
export interface HeartbeatPatchOptions {
  /** The longest wait for one `retryAfterMs` (the gateway's window is 60 s): a longer one is cut to this. */
  readonly maxRetryAfter: Duration.Input
  /** How many refusals with `retryAfterMs` a batch waits out before it fails with the last one. */
  readonly maxRetryAfterWaits: number
  /** How many times a batch re-reads the config when its `baseHash` went stale. */
  readonly maxStaleHashRetries: number
}

export const defaultHeartbeatPatchOptions: HeartbeatPatchOptions = {
  maxRetryAfter: "65 seconds",
  maxRetryAfterWaits: 5,
  maxStaleHashRetries: 5
}

/** The config changed between our `config.get` and our `config.patch` (or the hash was missing): read again. */
export const isStaleConfigHash = (error: GatewayError): boolean =>
  /changed since last load|base hash required/i.test(error.detail)

/**
 * The patch is in the gateway's saved config, though not (yet) in the running one: 2026.9 answers `UNAVAILABLE` with
 * "persisted but was not applied … (superseded)" when a newer config write (an `agents.create`, say) was applied over
 * it, and "persisted and was accepted for restart" when a restart will apply it. A later write had to read ours (the
 * `baseHash`), so the config in force contains our settings, or will.
 */
export const isPersistedPatch = (error: GatewayError): boolean =>
  error.method === "config.patch" && /\bpersisted\b/i.test(error.detail) &&
  /superseded|accepted for restart|restart is required/i.test(error.detail)

interface Waiter {
  readonly entries: ReadonlyArray<HeartbeatEntry>
  readonly outcome: Deferred.Deferred<{ readonly patched: boolean }, GatewayError>
}

/** The entries of a batch, one per agent: a later caller's entry for an agent replaces an earlier one. */
const mergeEntries = (batch: ReadonlyArray<Waiter>): ReadonlyArray<HeartbeatEntry> => {
  const byAgent = new Map<string, HeartbeatEntry>()
  for (const waiter of batch) {
    for (const entry of waiter.entries) {
      byAgent.delete(entry.agentId)
      byAgent.set(entry.agentId, entry)
    }
  }
  return [...byAgent.values()]
}

/**
 * Group commit of heartbeat settings for one gateway connection. Callers arriving while a patch is in flight, or while
 * a batch waits out the gateway's `retryAfterMs`, join the next batch: one config read and one `config.patch` for all
 * of them. Each caller gets its own outcome (`patched` when the patch changed one of its agents) or the batch's
 * failure. The batch runs in the fiber of one of its callers (no background fiber): when that caller is interrupted,
 * the others' entries go back to the queue and the next caller runs them.
 */
export const makeHeartbeatPatcher = (
  apply: (entries: ReadonlyArray<HeartbeatEntry>) => Effect.Effect<HeartbeatPatchApplied, GatewayError>,
  options: Partial<HeartbeatPatchOptions> = {}
): (entries: ReadonlyArray<HeartbeatEntry>) => Effect.Effect<{ readonly patched: boolean }, GatewayError> => {
  const { maxRetryAfter, maxRetryAfterWaits, maxStaleHashRetries } = { ...defaultHeartbeatPatchOptions, ...options }
  const maxRetryAfterMs = Duration.toMillis(maxRetryAfter)
  const pending: Array<Waiter> = []
  const writer = Semaphore.makeUnsafe(1)

  const takePending = (batch: Array<Waiter>) => Effect.sync(() => void batch.push(...pending.splice(0)))

  const runBatch = (batch: Array<Waiter>) =>
    Effect.gen(function*() {
      let staleHashRetries = 0
      let retryAfterWaits = 0
      while (true) {
        const entries = mergeEntries(batch)
        const outcome = yield* Effect.result(apply(entries))
        if (outcome._tag === "Success") return outcome.success
        const error = outcome.failure
        if (isPersistedPatch(error)) {
          return { patched: true, changedAgents: new Set(entries.map((entry) => entry.agentId)), sharedChange: false }
        }
        if (isStaleConfigHash(error) && staleHashRetries < maxStaleHashRetries) {
          staleHashRetries++
          yield* Effect.sleep(Duration.millis(50 * staleHashRetries))
        } else if (error.retryable && error.retryAfterMs !== null && retryAfterWaits < maxRetryAfterWaits) {
          // The gateway's control-plane write limit (or its restart): not the callers' failure, wait and send again.
          retryAfterWaits++
          const waitMs = Math.min(Math.max(error.retryAfterMs, 0), maxRetryAfterMs)
          yield* Effect.logInfo("config.patch refused for now; waiting before the next attempt").pipe(
            Effect.annotateLogs({ retryAfterMs: error.retryAfterMs, waitMs, callers: batch.length })
          )
          yield* Effect.sleep(Duration.millis(waitMs))
        } else {
          return yield* Effect.fail(error)
        }
        // Whoever arrived meanwhile joins this batch: the next attempt reads the config again anyway.
        yield* takePending(batch)
      }
    })

  const settle = (batch: ReadonlyArray<Waiter>, exit: Exit.Exit<HeartbeatPatchApplied, GatewayError>) =>
    Effect.uninterruptible(Effect.forEach(batch, (waiter) =>
      Deferred.done(
        waiter.outcome,
        Exit.map(exit, (applied) => ({
          patched: applied.patched &&
            (applied.sharedChange || waiter.entries.some((entry) => applied.changedAgents.has(entry.agentId)))
        }))
      ), { discard: true }))

  // One batch: everything queued when the writer is free, plus whoever arrives while it waits to send again. When the
  // leading caller is interrupted, the others' entries go back to the front of the queue (its own are dropped).
  const flush = (leader: Waiter) =>
    Effect.suspend(() => {
      // Settled by the batch before: its caller is about to see it, and leads nothing.
      if (Deferred.isDoneUnsafe(leader.outcome)) return Effect.void
      const batch = pending.splice(0)
      return runBatch(batch).pipe(
        Effect.exit,
        Effect.flatMap((exit) => settle(batch, exit)),
        Effect.onInterrupt(() =>
          Effect.sync(() => {
            const unsettled = batch.filter((waiter) => waiter !== leader && !Deferred.isDoneUnsafe(waiter.outcome))
            pending.unshift(...unsettled)
          })
        )
      )
    })

  return (entries) =>
    entries.length === 0 ? Effect.succeed({ patched: false }) : Effect.suspend(() => {
      const waiter: Waiter = { entries, outcome: Deferred.makeUnsafe() }
      pending.push(waiter)
      const lead = writer.withPermits(1)(flush(waiter)).pipe(Effect.andThen(Deferred.await(waiter.outcome)))
      return Effect.raceFirst(Deferred.await(waiter.outcome), lead).pipe(
        Effect.onInterrupt(() =>
          Effect.sync(() => {
            const index = pending.indexOf(waiter)
            if (index >= 0) pending.splice(index, 1)
          })
        )
      )
    })
}
