import type { Effect } from "effect"
import { Context } from "effect"

/** The transaction boundary: the writes of `effect` commit together or not at all. */
export class Transactor extends Context.Service<Transactor, {
  readonly withTransaction: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}>()("@mission-control/core/Transactor") {}
