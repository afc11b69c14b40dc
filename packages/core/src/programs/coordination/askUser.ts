import { Effect, Option } from "effect"
import type { AskUser, AskUserOutcome } from "../../domain/coordinationWire.js"
import { defaultUserReplySource, defaultUserReplyTags } from "../../domain/coordinationWire.js"
import { gatewayMainSessionKey } from "../../domain/identity.js"
import type { BoardId } from "../../domain/ids.js"
import type { Agent } from "../../domain/models.js"
import { annotate, AttributeKey } from "../../observability/attributes.js"
import { AgentRepository } from "../../services/AgentRepository.js"
import { Settings } from "../../Settings.js"
import { requireBoardLead } from "../access.js"
import { recordActivity, runToCompletion } from "../common.js"
import { requireBoardForAgent, requireBoardGateway } from "./access.js"
import { recordingGatewayFailure, sendToSession } from "./dispatch.js"
import { askUserText } from "./messages.js"

/**
 * A board lead asks the user through its gateway's main agent (its main session, delivery on). 404 for a board not
 * found, 403 for a caller of another board or not a lead, 422 for a board without a usable gateway, 502 "Gateway
 * ask-user dispatch failed: …" (recorded as `gateway.lead.ask_user.failed`). Answers the gateway agent's record
 * when there is one.
 */
export const askUserViaGatewayMain = Effect.fn("askUserViaGatewayMain")(function*(
  caller: Agent,
  boardId: BoardId,
  ask: AskUser
) {
  yield* annotate({ [AttributeKey.boardId]: boardId })
  const board = yield* requireBoardForAgent(caller, boardId)
  yield* requireBoardLead(caller)
  const { gateway, target } = yield* requireBoardGateway(board)
  const settings = yield* Settings
  const message = askUserText({
    baseUrl: settings.baseUrl,
    board,
    leadName: caller.name,
    content: ask.content,
    correlationId: ask.correlationId,
    preferredChannel: ask.preferredChannel,
    replyTags: ask.replyTags.length > 0 ? ask.replyTags : defaultUserReplyTags,
    replySource: ask.replySource || defaultUserReplySource
  })
  yield* runToCompletion(
    sendToSession(target, {
      sessionKey: gatewayMainSessionKey(gateway.id),
      label: "Gateway Agent",
      message,
      deliver: true
    }).pipe(
      recordingGatewayFailure({
        prefix: "Gateway ask-user dispatch failed",
        event: "gateway.lead.ask_user.failed",
        message: (error) => `Lead user question failed for ${board.name}: ${error}`,
        actorId: caller.id
      }),
      Effect.andThen(recordActivity(
        "gateway.lead.ask_user.sent",
        `Lead requested user info via gateway agent for board: ${board.name}.`,
        caller.id
      ))
    )
  )
  const agents = yield* AgentRepository
  const main = yield* agents.findGatewayMain(gateway.id)
  return {
    boardId: board.id,
    mainAgent: Option.match(main, {
      onNone: () => null,
      onSome: (agent) => ({ id: agent.id, name: agent.name })
    })
  } satisfies AskUserOutcome
})
