import type { Effect } from "effect"
import { Context } from "effect"
import type { BoardId } from "../domain/ids.js"
import type { BoardMemory } from "../domain/models.js"
import type { DatabaseUnavailable } from "../errors.js"

/** Board memory, as far as pausing goes. */
export class BoardMemoryRepository extends Context.Service<
  BoardMemoryRepository,
  {
    readonly insert: (memory: BoardMemory) => Effect.Effect<void, DatabaseUnavailable>
    /** Boards among these whose latest `/pause` or `/resume` chat command is `/pause`. */
    readonly pausedBoardIds: (
      boardIds: ReadonlyArray<BoardId>
    ) => Effect.Effect<ReadonlySet<BoardId>, DatabaseUnavailable>
  }
>()("@mission-control/core/BoardMemoryRepository") {}
