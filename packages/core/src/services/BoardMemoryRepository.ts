import type { Effect } from "effect"
import { Context } from "effect"
import type { BoardId } from "../domain/ids.js"
import type { BoardMemory } from "../domain/models.js"
import type { DatabaseUnavailable } from "../errors.js"
import type { Page, PageRequest } from "./AgentRepository.js"

/** Board memory: notes and the board chat, whose `/pause` and `/resume` commands pause template sync. */
export class BoardMemoryRepository extends Context.Service<
  BoardMemoryRepository,
  {
    readonly insert: (memory: BoardMemory) => Effect.Effect<void, DatabaseUnavailable>
    /**
     * A page of a board's memory, newest first (id breaks ties), only chat items or only others when `isChat` is
     * given. Items whose content is blank are left out, as the reference leaves them out.
     */
    readonly list: (
      boardId: BoardId,
      filter: { readonly isChat?: boolean | undefined },
      page: PageRequest
    ) => Effect.Effect<Page<BoardMemory>, DatabaseUnavailable>
    /** Boards among these whose latest `/pause` or `/resume` chat command is `/pause`. */
    readonly pausedBoardIds: (
      boardIds: ReadonlyArray<BoardId>
    ) => Effect.Effect<ReadonlySet<BoardId>, DatabaseUnavailable>
  }
>()("@mission-control/core/BoardMemoryRepository") {}
