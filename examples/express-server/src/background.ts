import { Cause, Effect } from "effect"
import type { Schedule } from "effect"

const errorLine = (error: Error, depth: number): string => {
  const line = `${error.name}: ${error.message}`
  return error.cause instanceof Error && depth < 3 ? `${line} (caused by ${errorLine(error.cause, depth + 1)})` : line
}

/** A cause on one line: each error's name and message, with what caused it, and no stack. */
export const causeLine = (cause: Cause.Cause<unknown>): string =>
  Cause.prettyErrors(cause).map((error) => errorLine(error, 0)).join("; ").replace(/\s+/g, " ").trim()

/**
 * Runs `effect` now and then on `schedule`, for as long as the schedule goes on. A failure of one run (the database
 * unavailable) or a defect is logged at warning level, on one line with its cause, and the next run comes on schedule
 * as usual; only interrupting the loop ends it early.
 */
export const runForever = <A, E, R, Output, Env>(
  name: string,
  effect: Effect.Effect<A, E, R>,
  schedule: Schedule.Schedule<Output, void, never, Env>
): Effect.Effect<Output, never, R | Env> =>
  effect.pipe(
    Effect.asVoid,
    // Interrupting the loop (the runtime disposed) skips this handler: a run's cause is all that reaches it, even one
    // that only holds interrupts (a fiber inside the run was interrupted), and the loop carries on after it too.
    Effect.catchCause((cause) => Effect.logWarning(`${name} failed; trying again on schedule: ${causeLine(cause)}`)),
    Effect.repeat(schedule)
  )
