import type { Option } from "effect"
import { DateTime, Effect, Fiber } from "effect"
import type { ActivityEventId, AgentId, TaskId } from "../domain/ids.js"
import type { Agent, PageResult, User } from "../domain/models.js"
import { ActivityEvent } from "../domain/models.js"
import { Conflict } from "../errors.js"
import { ActivityRepository } from "../services/ActivityRepository.js"
import type { DuplicateAgent, Page, PageRequest } from "../services/AgentRepository.js"

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

/** The conflict a duplicate-agent write means to an API caller. */
export const duplicateToConflict = (error: DuplicateAgent): Conflict => {
  switch (error.constraint) {
    case "board_name":
      return new Conflict({ detail: "An agent with this name already exists on this board." })
    case "board_lead":
      return new Conflict({ detail: "This board already has a lead agent." })
    case "gateway_main":
      return new Conflict({ detail: "This gateway already has a gateway agent." })
    case "token_digest":
      return new Conflict({ detail: "Agent token collision; retry." })
  }
}

/** `effect` with its `DuplicateAgent` failures as the reference's 409s; other failures pass through. */
export const conflictOnDuplicate = <A, E, R>(
  effect: Effect.Effect<A, E | DuplicateAgent, R>
): Effect.Effect<A, Exclude<E, DuplicateAgent> | Conflict, R> =>
  catchDuplicate(effect, (error) => Effect.fail(duplicateToConflict(error)))

/** Fails with `onNone()` when the option is empty. */
export const orFail = <E>(onNone: () => E) => <A>(option: Option.Option<A>): Effect.Effect<A, E> =>
  option._tag === "Some" ? Effect.succeed(option.value) : Effect.fail(onNone())

/** `provision` → `Provision`, `wake_up` → `Wake up`. */
export const actionLabel = (action: string): string => {
  const spaced = action.replace(/_/g, " ")
  return spaced.charAt(0).toUpperCase() + spaced.slice(1).toLowerCase()
}

/**
 * Runs `effect` in a fiber of its own and waits for it. Interrupting the caller stops the wait, not the work: what
 * writes to the gateway and then the database finishes both, or records why not.
 */
export const runToCompletion = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.flatMap(Effect.forkDetach(effect), Fiber.join)

/** A repository page as the programs return it, with the page that was asked for. */
export const pageResult = <A>(page: Page<A>, request: PageRequest): PageResult<A> => ({
  items: page.items,
  total: page.total,
  limit: request.limit,
  offset: request.offset
})
