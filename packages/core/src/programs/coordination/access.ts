import { Effect, Option } from "effect"
import { gatewayMainSessionKey } from "../../domain/identity.js"
import type { AgentId, BoardId } from "../../domain/ids.js"
import type { Agent, Board } from "../../domain/models.js"
import { Forbidden, NotFound, reason, Unprocessable } from "../../errors.js"
import { AgentRepository } from "../../services/AgentRepository.js"
import { BoardRepository } from "../../services/BoardRepository.js"
import { GatewayRepository } from "../../services/GatewayRepository.js"
import { gatewayTarget } from "../access.js"
import { requireAgentBoard } from "../boards.js"

// Who may coordinate what, in the reference's order of checks and with its texts.

const forbidden = () => new Forbidden({ detail: reason.forbidden })
const notFound = () => new NotFound({ detail: reason.notFound })

/** The text of the 403s for a caller that is not the gateway's own main agent. */
export const gatewayMainOnly = "Only the dedicated gateway agent may call this endpoint."

/**
 * The board of a board-scoped agent route, as every agent route reaches it (`requireAgentBoard`): 404 when missing,
 * 403 for a board agent of another board and for a gateway-main agent of another organization.
 */
export const requireBoardForAgent = requireAgentBoard

/**
 * The agent a board route addresses (404 otherwise): an agent of the board, or the main agent of the board's
 * gateway. Agents of other boards and of other gateways (so of other organizations) are not found.
 */
export const requireBoardTarget = Effect.fnUntraced(function*(board: Board, agentId: AgentId) {
  const agents = yield* AgentRepository
  const found = yield* agents.findById(agentId)
  if (Option.isNone(found)) return yield* notFound()
  const target = found.value
  const onBoard = target.boardId === board.id
  const boardGatewayMain = target.boardId === null && board.gatewayId !== null && target.gatewayId === board.gatewayId
  if (!onBoard && !boardGatewayMain) return yield* notFound()
  return target
})

/** The board's gateway and how to reach it (422s: no gateway, a gateway of another organization, no URL). */
export const requireBoardGateway = Effect.fnUntraced(function*(board: Board) {
  if (board.gatewayId === null) return yield* new Unprocessable({ detail: "Board gateway_id is required" })
  const gateways = yield* GatewayRepository
  const gateway = yield* gateways.findById(board.gatewayId)
  if (Option.isNone(gateway) || gateway.value.organizationId !== board.organizationId) {
    return yield* new Unprocessable({ detail: "Board gateway_id is invalid" })
  }
  return { gateway: gateway.value, target: yield* gatewayTarget(gateway.value) }
})

/**
 * The caller must be the main agent of its gateway: not a board agent (403), its gateway must exist and its session
 * be the gateway's main session (403 "Only the dedicated gateway agent…"); the gateway must have a URL (422).
 */
export const requireGatewayMainActor = Effect.fnUntraced(function*(agent: Agent) {
  if (agent.boardId !== null) return yield* forbidden()
  const gateways = yield* GatewayRepository
  const gateway = yield* gateways.findById(agent.gatewayId)
  if (Option.isNone(gateway) || agent.openclawSessionId !== gatewayMainSessionKey(gateway.value.id)) {
    return yield* new Forbidden({ detail: gatewayMainOnly })
  }
  return { gateway: gateway.value, target: yield* gatewayTarget(gateway.value) }
})

/** A board on the main agent's gateway: 404 "Board not found", 403 when it is on another gateway. */
export const requireBoardOnGateway = Effect.fnUntraced(function*(
  boardId: BoardId,
  gateway: { readonly id: Board["gatewayId"]; readonly organizationId: Board["organizationId"] }
) {
  const boards = yield* BoardRepository
  const board = yield* boards.findById(boardId)
  if (Option.isNone(board)) return yield* new NotFound({ detail: "Board not found" })
  if (board.value.gatewayId !== gateway.id || board.value.organizationId !== gateway.organizationId) {
    return yield* forbidden()
  }
  return board.value
})
