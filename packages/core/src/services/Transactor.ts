import type { Effect } from "effect"
import { Context } from "effect"
import type { DatabaseUnavailable } from "../errors.js"

/**
 * The transaction boundary: the writes of `effect` commit together or not at all. Fails with `DatabaseUnavailable`
 * when the transaction cannot be opened or committed (then nothing of it was written).
 */
export class Transactor extends Context.Service<Transactor, {
  readonly withTransaction: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | DatabaseUnavailable, R>
}>()("@mission-control/core/Transactor") {}
