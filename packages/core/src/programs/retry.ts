import { Duration, Effect, Schedule } from "effect"
import { GatewayTimeout } from "../errors.js"
import type { GatewayError } from "../services/GatewayControlPlane.js"
import { isTransientGatewayError } from "../services/GatewayControlPlane.js"
import type { RetryPolicy } from "../Settings.js"

/** `10 minutes` from 600 s, `45 seconds` from 45 s (minutes from 120 s up), as the reference words it. */
export const describeDeadline = (deadline: Duration.Duration): string => {
  const seconds = Math.floor(Duration.toSeconds(deadline))
  return seconds >= 120 ? `${Math.floor(seconds / 60)} minutes` : `${seconds} seconds`
}

/**
 * What a caller is told of a gateway failure (a deadline's text is already public). Transport failures say only that
 * the gateway was unreachable: their text (`connect ECONNREFUSED 10.0.0.7:2`) would let an admin probe hosts and
 * ports through the API; the text itself is logged.
 */
export const publicGatewayErrorText = (error: GatewayError | GatewayTimeout): string =>
  error._tag === "GatewayError" && error.reason === "Transport" ? "unreachable" : error.detail

/** The message of a deadline that ran out while the gateway kept failing (or never answered). */
export const unreachableMessage = (policy: RetryPolicy, lastError: GatewayError | undefined): string =>
  `Gateway unreachable after ${describeDeadline(policy.deadline)} (${policy.label} timeout). Last error: ${
    lastError === undefined ? "no answer" : publicGatewayErrorText(lastError)
  }`

const isTransient = (error: unknown): error is GatewayError =>
  isTaggedGatewayError(error) && isTransientGatewayError(error)

// Matched by tag, so a gateway error from another copy of this package still counts.
const isTaggedGatewayError = (error: unknown): error is GatewayError =>
  typeof error === "object" && error !== null && "_tag" in error && error._tag === "GatewayError"

/** Exponential backoff with jitter, capped at `maxDelay`, for transient errors only, until the deadline. */
export const transientSchedule = (policy: RetryPolicy) =>
  Schedule.min([Schedule.exponential(policy.baseDelay, 2), Schedule.spaced(policy.maxDelay)]).pipe(
    Schedule.jittered,
    Schedule.upTo({ duration: policy.deadline }),
    Schedule.while(({ input }: { readonly input: unknown }) => isTransient(input))
  )

/**
 * The longest wait the gateway may ask for (`retryAfterMs` of its control-plane write limit, a 60 s window) that an
 * attempt in progress is given beyond the deadline: a request is never failed by that limit alone.
 */
const gatewayWaitGrace = Duration.seconds(65)

/**
 * Retries `effect` on transient gateway errors. When the deadline passes with a transient error, fails with
 * `GatewayTimeout`; non-transient errors fail at once, unchanged. No retry starts after the deadline, and the whole
 * run, attempts included, is cut at the deadline plus a grace (the deadline again, at most 65 s) that covers a wait
 * the gateway asked for: an attempt still waiting on the gateway then is interrupted.
 */
export const retryTransient =
  (policy: RetryPolicy) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | GatewayTimeout, R> =>
    Effect.suspend(() => {
      let lastError: GatewayError | undefined
      const timeout = () =>
        Effect.gen(function*() {
          if (lastError !== undefined) yield* Effect.logWarning(`${policy.label}: gateway error`, lastError.detail)
          return yield* new GatewayTimeout({ detail: unreachableMessage(policy, lastError) })
        })
      return effect.pipe(
        Effect.tapError((error) =>
          Effect.sync(() => {
            if (isTransient(error)) lastError = error
          })
        ),
        Effect.retry(transientSchedule(policy)),
        Effect.catchIf((error): boolean => isTransient(error), timeout),
        Effect.timeoutOrElse({
          duration: Duration.sum(policy.deadline, Duration.min(policy.deadline, gatewayWaitGrace)),
          orElse: timeout
        })
      )
    })

/** Retries only `NotFound` (an agent the gateway has not loaded yet), until the policy's deadline. */
export const retryWhileNotVisible =
  (policy: RetryPolicy) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    effect.pipe(
      Effect.retry(
        Schedule.min([Schedule.exponential(policy.baseDelay, 2), Schedule.spaced(policy.maxDelay)]).pipe(
          Schedule.upTo({ duration: policy.deadline }),
          Schedule.while(({ input }: { readonly input: unknown }) =>
            isTaggedGatewayError(input) && input.reason === "NotFound"
          )
        )
      )
    )
