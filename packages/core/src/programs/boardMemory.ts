import { Effect, Option } from "effect"
import type { BoardId, BoardMemoryId } from "../domain/ids.js"
import type { Agent, Board } from "../domain/models.js"
import { BoardMemory } from "../domain/models.js"
import { annotate, AttributeKey } from "../observability/attributes.js"
import { AgentRepository } from "../services/AgentRepository.js"
import type { PageRequest } from "../services/AgentRepository.js"
import { BoardMemoryRepository } from "../services/BoardMemoryRepository.js"
import { Settings } from "../Settings.js"
import {
  boardGatewayTarget,
  chatDeliveryConcurrency,
  requireAgentBoard,
  requireUserBoard,
  trySendToAgent
} from "./boards.js"
import type { Actor } from "./common.js"
import { newUuid, now, pageResult } from "./common.js"

/** A memory item to record: chat when its tags hold `chat`. */
export interface BoardMemoryInput {
  readonly content: string
  readonly tags?: ReadonlyArray<string> | null | undefined
  readonly source?: string | null | undefined
}

/** The board chat commands agents obey verbatim, and template sync honours. */
export const boardChatCommands = ["/pause", "/resume"] as const

/** Chat excerpts sent to agents are cut to this many characters. */
const maxSnippetLength = 800

/** The board, for an actor: a user with read (or write) access, or an agent that may reach it. */
const requireActorBoard = (actor: Actor, boardId: BoardId, write: boolean) =>
  actor._tag === "User" ? requireUserBoard(actor.user, boardId, write) : requireAgentBoard(actor.agent, boardId)

/** `@name` handles in a chat message, lower-cased. */
export const extractMentions = (message: string): ReadonlySet<string> =>
  new Set([...message.matchAll(/@([A-Za-z][\p{L}\p{N}_-]{0,31})/gu)].map((match) => match[1]!.toLowerCase()))

/** Whether a chat message's mentions name the agent: its name, its first name, or `@lead` for the board lead. */
export const mentionsAgent = (agent: Agent, mentions: ReadonlySet<string>): boolean => {
  if (mentions.size === 0) return false
  if (mentions.has("lead") && agent.isBoardLead) return true
  const name = agent.name.trim().toLowerCase()
  if (name === "") return false
  const handles = new Set([...mentions].filter((handle) => handle !== "lead"))
  return handles.has(name) || handles.has(name.split(/\s+/)[0]!)
}

const actorName = (actor: Actor): string =>
  actor._tag === "Agent" ? actor.agent.name : actor.user.preferredName || actor.user.name || "User"

/**
 * Tells the board's agents about a chat item, best effort (a gateway failure is skipped, as the reference skips it):
 * `/pause` and `/resume` go verbatim to every agent of the board (delivered), other chat to the lead and the agents
 * it mentions. Never to the agent that wrote it.
 */
const notifyChat = Effect.fnUntraced(function*(board: Board, memory: BoardMemory, actor: Actor) {
  if (memory.content === "") return
  const target = yield* boardGatewayTarget(board)
  if (Option.isNone(target)) return
  const agents = (yield* Effect.flatMap(AgentRepository, (repo) => repo.listByBoards([board.id]))).filter((agent) =>
    actor._tag !== "Agent" || agent.id !== actor.agent.id
  )
  const command = memory.content.trim().toLowerCase()
  if ((boardChatCommands as ReadonlyArray<string>).includes(command)) {
    yield* Effect.forEach(agents, (agent) => trySendToAgent(agent, target.value, command, true), {
      concurrency: chatDeliveryConcurrency,
      discard: true
    })
    return
  }
  const mentions = extractMentions(memory.content)
  const recipients = agents.filter((agent) => agent.isBoardLead || mentionsAgent(agent, mentions))
  if (recipients.length === 0) return
  const settings = yield* Settings
  const trimmed = memory.content.trim()
  const snippet = trimmed.length > maxSnippetLength ? `${trimmed.slice(0, maxSnippetLength - 3)}...` : trimmed
  yield* Effect.forEach(recipients, (agent) => {
    const message = `${mentionsAgent(agent, mentions) ? "BOARD CHAT MENTION" : "BOARD CHAT"}\n` +
      `Board: ${board.name}\n` +
      `From: ${actorName(actor)}\n\n` +
      `${snippet}\n\n` +
      "Reply via board chat:\n" +
      `POST ${settings.baseUrl}/api/v1/agent/boards/${board.id}/memory\n` +
      "Body: {\"content\":\"...\",\"tags\":[\"chat\"]}"
    return trySendToAgent(agent, target.value, message, false)
  }, { concurrency: chatDeliveryConcurrency, discard: true })
})

/**
 * Records a memory item on a board the actor may write (a user with write access, or an agent of the board). A chat
 * item (tagged `chat`) takes its author as `source` when none is given and is passed on to the board's agents
 * (see `notifyChat`); a gateway failure never fails the write.
 */
export const createBoardMemory = Effect.fn("createBoardMemory")(function*(
  actor: Actor,
  boardId: BoardId,
  input: BoardMemoryInput
) {
  yield* annotate({ [AttributeKey.boardId]: boardId })
  const board = yield* requireActorBoard(actor, boardId, true)
  const tags = input.tags ?? null
  const isChat = tags !== null && tags.includes("chat")
  const memory = new BoardMemory({
    id: yield* newUuid<BoardMemoryId>(),
    boardId: board.id,
    content: input.content,
    tags: tags === null ? null : [...tags],
    isChat,
    source: isChat && !input.source ? actorName(actor) : input.source ?? null,
    createdAt: yield* now
  })
  yield* Effect.flatMap(BoardMemoryRepository, (repo) => repo.insert(memory))
  if (isChat) yield* notifyChat(board, memory, actor)
  return memory
})

/** A page of a board's memory the actor may read, newest first; only chat, or only the rest, with `isChat`. */
export const listBoardMemory = Effect.fn("listBoardMemory")(function*(
  actor: Actor,
  boardId: BoardId,
  filter: { readonly isChat?: boolean | undefined },
  page: PageRequest
) {
  yield* annotate({ [AttributeKey.boardId]: boardId })
  const board = yield* requireActorBoard(actor, boardId, false)
  const memory = yield* BoardMemoryRepository
  return pageResult(yield* memory.list(board.id, filter, page), page)
})

/**
 * Pauses a board: the `/pause` chat command, sent to its agents, and honoured by template sync (which skips the
 * board's agents until a later `/resume`).
 */
export const pauseBoard = Effect.fn("pauseBoard")(function*(actor: Actor, boardId: BoardId) {
  return yield* createBoardMemory(actor, boardId, { content: "/pause", tags: ["chat"] })
})

/** Resumes a paused board: the `/resume` chat command (see `pauseBoard`). */
export const resumeBoard = Effect.fn("resumeBoard")(function*(actor: Actor, boardId: BoardId) {
  return yield* createBoardMemory(actor, boardId, { content: "/resume", tags: ["chat"] })
})
