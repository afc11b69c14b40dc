import { Effect } from "effect"
import {
  boardScopedSessionKey,
  gatewayMainSessionKey,
  normalizeIdentityProfile,
  normalizeTemplateText
} from "../domain/identity.js"
import type { AgentId } from "../domain/ids.js"
import type { Board, Gateway, User } from "../domain/models.js"
import type { AgentUpdate } from "../domain/wire.js"
import { Forbidden, NotFound, reason, Unprocessable } from "../errors.js"
import { agentAttributes, annotate } from "../observability/attributes.js"
import type { AgentPatch } from "../services/AgentRepository.js"
import { AgentRepository } from "../services/AgentRepository.js"
import { GatewayRepository } from "../services/GatewayRepository.js"
import { hasBoardAccess, requireAgentAccess, requireBoard, requireGateway, requireOrgAdmin } from "./access.js"
import { findAgent } from "./agentRecords.js"
import { conflictOnDuplicate, now, orFail } from "./common.js"
import { provisionAgentRecord } from "./provisionAgentRecord.js"

const forbidden = () => new Forbidden({ detail: reason.forbidden })
const notFound = () => new NotFound({ detail: reason.notFound })

/** Options of `updateAgent`. */
export interface UpdateAgentOptions {
  /** Re-provision even when nothing changed; also rewrites BOOTSTRAP.md. */
  readonly force: boolean
}

const hasFieldUpdates = (payload: AgentUpdate): boolean =>
  payload.boardId !== undefined || payload.name !== undefined || payload.heartbeatConfig !== undefined ||
  payload.identityProfile !== undefined || payload.identityTemplate !== undefined || payload.soulTemplate !== undefined

/**
 * Changes an agent and re-provisions it with a fresh token. `status` is the agent's own (403); `is_gateway_main`
 * converts between a board agent and the gateway-main agent.
 */
export const updateAgent = Effect.fn("updateAgent")(function*(
  user: User | null,
  agentId: AgentId,
  payload: AgentUpdate,
  options: UpdateAgentOptions
) {
  const context = yield* requireOrgAdmin(user)
  const agent = yield* findAgent(agentId)
  yield* annotate(agentAttributes(agent))
  yield* requireAgentAccess(agent, context, true)
  const makeMain = payload.isGatewayMain ?? null
  if (payload.status !== undefined) return yield* new Forbidden({ detail: "status is controlled by agent heartbeat" })
  if (payload.boardId !== undefined && payload.boardId !== null) {
    const board = yield* requireBoard(payload.boardId)
    if (board.organizationId !== context.organization.id) return yield* notFound()
    if (!(yield* hasBoardAccess(context.member, board, true))) return yield* forbidden()
  }
  if (!hasFieldUpdates(payload) && !options.force && makeMain === null) return agent

  const gateways = yield* GatewayRepository
  const wasMain = agent.boardId === null
  const patch: { -readonly [K in keyof AgentPatch]: AgentPatch[K] } = {}
  if (payload.name !== undefined) patch.name = payload.name
  if (payload.heartbeatConfig !== undefined) patch.heartbeatConfig = payload.heartbeatConfig
  if (payload.identityProfile !== undefined) patch.identityProfile = normalizeIdentityProfile(payload.identityProfile)
  if (payload.identityTemplate !== undefined) patch.identityTemplate = normalizeTemplateText(payload.identityTemplate)
  if (payload.soulTemplate !== undefined) patch.soulTemplate = normalizeTemplateText(payload.soulTemplate)

  let target: { readonly gateway: Gateway; readonly board: Board | null }
  if (makeMain === true) {
    const board = yield* requireBoard(payload.boardId ?? agent.boardId)
    const { gateway } = yield* requireGateway(board)
    Object.assign(patch, {
      boardId: null,
      gatewayId: gateway.id,
      isBoardLead: false,
      openclawSessionId: gatewayMainSessionKey(gateway.id)
    })
    target = { gateway, board: null }
  } else if (makeMain === false || (payload.boardId !== undefined && !wasMain)) {
    if (payload.boardId === undefined || payload.boardId === null) {
      return yield* new Unprocessable({
        detail: makeMain === false
          ? "board_id is required when converting a gateway-main agent to board scope"
          : "board_id is required"
      })
    }
    const board = yield* requireBoard(payload.boardId)
    const { gateway } = yield* requireGateway(board)
    const moved = { id: agent.id, boardId: board.id, isBoardLead: makeMain === false ? false : agent.isBoardLead }
    Object.assign(patch, {
      boardId: board.id,
      gatewayId: gateway.id,
      isBoardLead: moved.isBoardLead,
      openclawSessionId: boardScopedSessionKey(moved)
    })
    target = { gateway, board }
  } else if (wasMain) {
    // A gateway-main agent stays one unless `is_gateway_main: false` says otherwise.
    const gateway = yield* gateways.findById(agent.gatewayId).pipe(
      Effect.flatMap(orFail(() => new Unprocessable({ detail: "Gateway agent requires a gateway configuration" })))
    )
    target = { gateway, board: null }
  } else {
    const board = yield* requireBoard(agent.boardId)
    const { gateway } = yield* requireGateway(board)
    target = { gateway, board }
  }

  const agents = yield* AgentRepository
  patch.updatedAt = yield* now
  yield* agents.update(agent.id, patch).pipe(conflictOnDuplicate)
  return yield* provisionAgentRecord(agent.id, {
    action: "update",
    gateway: target.gateway,
    board: target.board,
    user: context.user,
    forceBootstrap: options.force,
    resetSession: true
  })
})
