import { Effect } from "effect"
import { leadSessionKey, workerSessionKey } from "../domain/identity.js"
import type { AgentId } from "../domain/ids.js"
import type { Agent, Board, Gateway } from "../domain/models.js"
import { pendingAgent } from "../domain/pendingAgent.js"
import { NotFound, reason } from "../errors.js"
import { AgentRepository } from "../services/AgentRepository.js"
import { conflictOnDuplicate, newUuid, now, orFail } from "./common.js"

/** The agent of `id`, or 404 "Not Found". */
export const findAgent = (id: AgentId) =>
  Effect.flatMap(AgentRepository, (agents) => agents.findById(id)).pipe(
    Effect.flatMap(orFail(() => new NotFound({ detail: reason.notFound })))
  )

/** The fields of a board agent its creator chooses. */
export type BoardAgentFields = Pick<
  Agent,
  "name" | "heartbeatConfig" | "identityProfile" | "identityTemplate" | "soulTemplate" | "isBoardLead"
>

/** Inserts a new agent of the board (its lead when `isBoardLead`), pending provisioning (409 on a duplicate). */
export const insertBoardAgent = Effect.fnUntraced(function*(
  board: Board,
  gateway: Gateway,
  fields: BoardAgentFields,
  id?: AgentId
) {
  const agents = yield* AgentRepository
  // Not `id ?? (yield* …)`: the CJS build turns `??` into a closure, where `yield` is not allowed.
  const agentId = id === undefined ? yield* newUuid<AgentId>() : id
  const agent = pendingAgent({
    ...fields,
    id: agentId,
    boardId: board.id,
    gatewayId: gateway.id,
    openclawSessionId: fields.isBoardLead ? leadSessionKey(board.id) : workerSessionKey(agentId),
    provisionAction: "provision"
  }, yield* now)
  yield* agents.insert(agent).pipe(conflictOnDuplicate)
  return agent
})
