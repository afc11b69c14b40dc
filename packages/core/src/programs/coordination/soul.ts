import { Effect, Option } from "effect"
import type { SoulUpdate } from "../../domain/coordinationWire.js"
import { gatewayAgentIdOf } from "../../domain/identity.js"
import type { AgentId, BoardId } from "../../domain/ids.js"
import type { Agent } from "../../domain/models.js"
import { Forbidden, GatewayFailure, reason, Unprocessable } from "../../errors.js"
import { annotate, AttributeKey } from "../../observability/attributes.js"
import { AgentRepository } from "../../services/AgentRepository.js"
import { requireBoardLead } from "../access.js"
import { dieOnDuplicate, now, recordActivity, runToCompletion } from "../common.js"
import { requireBoardForAgent, requireBoardGateway, requireBoardTarget } from "./access.js"
import { coordinationFailure, onGateway } from "./dispatch.js"

const soulFile = "SOUL.md"

// The reference answers every server-side failure of a SOUL read with this one text, never the gateway's.
const soulReadFailed = () => new GatewayFailure({ detail: "Gateway SOUL read failed" })

/**
 * An agent's SOUL.md as its gateway holds it, for the board's lead or the agent itself (403 otherwise). 404 for a
 * board or agent not found, 422 for a board without a usable gateway, 502 "Gateway SOUL read failed" when the
 * gateway fails or has no such file.
 */
export const readAgentSoul = Effect.fn("readAgentSoul")(function*(caller: Agent, boardId: BoardId, agentId: AgentId) {
  yield* annotate({ [AttributeKey.boardId]: boardId, [AttributeKey.agentId]: agentId })
  const board = yield* requireBoardForAgent(caller, boardId)
  if (!caller.isBoardLead && caller.id !== agentId) return yield* new Forbidden({ detail: reason.forbidden })
  const target = yield* requireBoardTarget(board, agentId)
  const gateway = yield* requireBoardGateway(board)
  const file = yield* onGateway(gateway.target, (client) => client.readFile(gatewayAgentIdOf(target), soulFile)).pipe(
    Effect.tapError((error) => Effect.logWarning("SOUL read failed", error.detail)),
    Effect.mapError(soulReadFailed)
  )
  if (Option.isNone(file)) {
    yield* Effect.logWarning("SOUL read failed: the gateway has no SOUL.md for the agent")
    return yield* soulReadFailed()
  }
  return file.value.content
})

/**
 * A board lead rewrites an agent's SOUL: the trimmed content (blank: 422 "content is required") is saved as the
 * agent's `soul_template` (used when it is provisioned again), then written to the gateway (502 "Gateway SOUL
 * update failed: …"), then recorded as `agent.soul.updated` with the reason and source given.
 */
export const updateAgentSoul = Effect.fn("updateAgentSoul")(function*(
  caller: Agent,
  boardId: BoardId,
  agentId: AgentId,
  update: SoulUpdate
) {
  yield* annotate({ [AttributeKey.boardId]: boardId, [AttributeKey.agentId]: agentId })
  const board = yield* requireBoardForAgent(caller, boardId)
  yield* requireBoardLead(caller)
  const target = yield* requireBoardTarget(board, agentId)
  const content = update.content.trim()
  if (content === "") return yield* new Unprocessable({ detail: "content is required" })
  const agents = yield* AgentRepository
  yield* agents.update(target.id, { soulTemplate: content, updatedAt: yield* now }).pipe(dieOnDuplicate)
  const gateway = yield* requireBoardGateway(board)
  const reasonText = update.reason?.trim() ?? ""
  const source = update.sourceUrl?.trim() ?? ""
  const note = `SOUL.md updated for ${target.name}.` + (reasonText === "" ? "" : ` Reason: ${reasonText}`) +
    (source === "" ? "" : ` Source: ${source}`)
  yield* runToCompletion(
    onGateway(gateway.target, (client) => client.writeFile(gatewayAgentIdOf(target), soulFile, content)).pipe(
      Effect.mapError(coordinationFailure("Gateway SOUL update failed")),
      Effect.andThen(recordActivity("agent.soul.updated", note, caller.id))
    )
  )
})
