import { Effect } from "effect"
import type { AgentNudge } from "../../domain/coordinationWire.js"
import type { AgentId, BoardId } from "../../domain/ids.js"
import type { Agent } from "../../domain/models.js"
import { Unprocessable } from "../../errors.js"
import { annotate, AttributeKey } from "../../observability/attributes.js"
import { requireBoardLead } from "../access.js"
import { recordActivity, runToCompletion } from "../common.js"
import { requireBoardForAgent, requireBoardGateway, requireBoardTarget } from "./access.js"
import { recordingGatewayFailure, sendToSession } from "./dispatch.js"

/**
 * A board lead nudges an agent of its board: the message goes to the agent's session with delivery on. 404 for a
 * board or agent not found, 403 for a caller of another board or not a lead, 422 for an agent without a session or
 * a board without a usable gateway, 502 "Gateway nudge failed: …" (recorded as `agent.nudge.failed`).
 */
export const nudgeBoardAgent = Effect.fn("nudgeBoardAgent")(function*(
  caller: Agent,
  boardId: BoardId,
  agentId: AgentId,
  nudge: AgentNudge
) {
  yield* annotate({ [AttributeKey.boardId]: boardId, [AttributeKey.agentId]: agentId })
  const board = yield* requireBoardForAgent(caller, boardId)
  yield* requireBoardLead(caller)
  const target = yield* requireBoardTarget(board, agentId)
  const sessionKey = target.openclawSessionId ?? ""
  if (sessionKey === "") return yield* new Unprocessable({ detail: "Target agent has no session key" })
  const gateway = yield* requireBoardGateway(board)
  yield* runToCompletion(
    sendToSession(gateway.target, { sessionKey, label: target.name, message: nudge.message, deliver: true }).pipe(
      recordingGatewayFailure({
        prefix: "Gateway nudge failed",
        event: "agent.nudge.failed",
        message: (error) => `Nudge failed for ${target.name}: ${error}`,
        actorId: caller.id
      }),
      Effect.andThen(recordActivity("agent.nudge.sent", `Nudge sent to ${target.name}.`, caller.id))
    )
  )
})
