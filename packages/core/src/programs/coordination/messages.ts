import type { Board } from "../../domain/models.js"

// The chat messages coordination sends. Answers come back as board memory items, never as chat: the agent is told
// where and how to post one, with the tags and source the caller asked for.

const line = (label: string, value: string | null | undefined): string => {
  const text = value?.trim() ?? ""
  return text === "" ? "" : `${label}: ${text}\n`
}

const replyInstructions = (
  baseUrl: string,
  board: Board,
  answer: string,
  tags: ReadonlyArray<string>,
  source: string
): string =>
  `Answer with a board memory item, not with a chat message:\n` +
  `POST ${baseUrl}/api/v1/agent/boards/${board.id}/memory\n` +
  `Body: {"content":${JSON.stringify(answer)},"tags":${JSON.stringify(tags)},"source":${JSON.stringify(source)}}\n` +
  "Do not answer in OpenClaw chat."

/** What the gateway's main agent sends a board lead: a question or a handoff. */
export const leadMessageText = (input: {
  readonly baseUrl: string
  readonly board: Board
  readonly senderName: string
  readonly kind: "question" | "handoff"
  readonly content: string
  readonly correlationId: string | null
  readonly replyTags: ReadonlyArray<string>
  readonly replySource: string
}): string =>
  `${input.kind === "question" ? "GATEWAY MAIN QUESTION" : "GATEWAY MAIN HANDOFF"}\n` +
  `Board: ${input.board.name}\n` +
  `Board ID: ${input.board.id}\n` +
  `From agent: ${input.senderName}\n` +
  line("Correlation ID", input.correlationId) +
  `\n${input.content.trim()}\n\n` +
  replyInstructions(input.baseUrl, input.board, "...", input.replyTags, input.replySource)

/** What a board lead asks the gateway's main agent to ask the user. */
export const askUserText = (input: {
  readonly baseUrl: string
  readonly board: Board
  readonly leadName: string
  readonly content: string
  readonly correlationId: string | null
  readonly preferredChannel: string | null
  readonly replyTags: ReadonlyArray<string>
  readonly replySource: string
}): string =>
  "LEAD REQUEST: ASK USER\n" +
  `Board: ${input.board.name}\n` +
  `Board ID: ${input.board.id}\n` +
  `From lead: ${input.leadName}\n` +
  line("Correlation ID", input.correlationId) +
  line("Preferred channel", input.preferredChannel) +
  `\n${input.content.trim()}\n\n` +
  "Put this question to the user on the OpenClaw channels you are set up with (Slack, SMS, …). When none of them " +
  "reaches the user, ask in the board chat of Mission Control instead.\n\n" +
  "Once the user has answered, record the answer.\n" +
  replyInstructions(input.baseUrl, input.board, "<answer>", input.replyTags, input.replySource)
