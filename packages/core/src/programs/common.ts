import type { Option } from "effect"
import { DateTime, Effect } from "effect"
import type { ActivityEventId, AgentId, TaskId } from "../domain/ids.js"
import type { Agent, User } from "../domain/models.js"
import { ActivityEvent } from "../domain/models.js"
import { ActivityRepository } from "../services/ActivityRepository.js"
import type { DuplicateAgent } from "../services/AgentRepository.js"

/** Who calls a program: a user of the host application, or an agent authenticated by its token. */
export type Actor =
  | { readonly _tag: "User"; readonly user: User }
  | { readonly _tag: "Agent"; readonly agent: Agent }

/** Constructors of actors. */
export const Actor = {
  user: (user: User): Actor => ({ _tag: "User", user }),
  agent: (agent: Agent): Actor => ({ _tag: "Agent", agent })
}

/** The current time, from Effect's `Clock` (so tests drive it with `TestClock`). */
export const now: Effect.Effect<DateTime.Utc> = DateTime.now

/** A fresh UUID v4. */
export const newUuid = <Id extends string>(): Effect.Effect<Id> =>
  Effect.sync(() => globalThis.crypto.randomUUID() as Id)

/** Appends an activity event. */
export const recordActivity = Effect.fnUntraced(function*(
  eventType: string,
  message: string,
  agentId: AgentId | null,
  taskId: TaskId | null = null
) {
  const activity = yield* ActivityRepository
  yield* activity.record(
    new ActivityEvent({
      id: yield* newUuid<ActivityEventId>(),
      eventType,
      message,
      agentId,
      taskId,
      createdAt: yield* now
    })
  )
})

/** Fails with `onNone()` when the option is empty. */
/** `effect` with its `DuplicateAgent` failures handled by `onDuplicate`; every other failure passes through. */
export const catchDuplicate = <A, E, R, A2, E2, R2>(
  effect: Effect.Effect<A, E | DuplicateAgent, R>,
  onDuplicate: (error: DuplicateAgent) => Effect.Effect<A2, E2, R2>
): Effect.Effect<A | A2, Exclude<E, DuplicateAgent> | E2, R | R2> =>
  // Matched by tag, so a failure from another copy of the package counts; the cast is the refinement's Exclude.
  Effect.catchIf(
    effect,
    (error): error is DuplicateAgent =>
      typeof error === "object" && error !== null && "_tag" in error && error._tag === "DuplicateAgent",
    onDuplicate
  ) as Effect.Effect<A | A2, Exclude<E, DuplicateAgent> | E2, R | R2>

/**
 * `effect` with a `DuplicateAgent` failure as a defect: for writes that change no unique field, where one is a bug.
 * Every other failure (the database unavailable) stays typed.
 */
export const dieOnDuplicate = <A, E, R>(
  effect: Effect.Effect<A, E | DuplicateAgent, R>
): Effect.Effect<A, Exclude<E, DuplicateAgent>, R> => catchDuplicate(effect, Effect.die)

export const orFail = <E>(onNone: () => E) => <A>(option: Option.Option<A>): Effect.Effect<A, E> =>
  option._tag === "Some" ? Effect.succeed(option.value) : Effect.fail(onNone())

/** `provision` → `Provision`, `wake_up` → `Wake up`. */
export const actionLabel = (action: string): string => {
  const spaced = action.replace(/_/g, " ")
  return spaced.charAt(0).toUpperCase() + spaced.slice(1).toLowerCase()
}
