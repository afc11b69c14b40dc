import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { BoardId } from "../../domain/ids.js"
import { ensureBoardLead } from "../../index.js"
import { MissionControlApi } from "../Api.js"
import { CurrentActor } from "../middleware.js"
import { agentView, pathId, respond } from "../views.js"

/** Boards: their lead. */
export const BoardsHandlers = HttpApiBuilder.group(
  MissionControlApi,
  "boards",
  (handlers) =>
    handlers.handle("ensureLead", ({ params, payload }) =>
      respond(Effect.gen(function*() {
        const actor = yield* CurrentActor
        const boardId = yield* pathId(BoardId, params.board_id)
        const lead = yield* ensureBoardLead(actor, boardId, {
          agentName: payload?.agent_name ?? null,
          identityProfile: payload?.identity_profile ?? null
        })
        return { agent: yield* agentView(lead.agent), created: lead.created }
      })))
)

/** Boards as agents read them. */
export const AgentBoardsHandlers = HttpApiBuilder.group(MissionControlApi, "agentBoards", (handlers) => handlers)
