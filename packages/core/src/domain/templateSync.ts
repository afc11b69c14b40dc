import type { AgentId, BoardId, GatewayId } from "./ids.js"

/** One problem a template sync met: with an agent, or (all fields null but `message`) with the gateway itself. */
export interface TemplateSyncProblem {
  readonly agentId: AgentId | null
  readonly agentName: string | null
  readonly boardId: BoardId | null
  readonly message: string
}

/** What a template sync did. Per-agent problems are listed in `errors`, never raised. */
export interface TemplateSyncSummary {
  readonly gatewayId: GatewayId
  readonly includeMain: boolean
  readonly resetSessions: boolean
  readonly agentsUpdated: number
  readonly agentsSkipped: number
  readonly mainUpdated: boolean
  readonly errors: ReadonlyArray<TemplateSyncProblem>
  /** Workspace files the gateway refused, sorted. */
  readonly unsupportedFiles: ReadonlyArray<string>
}

/** How one agent's sync ended. */
export type SyncOutcome = "updated" | "skipped" | "failed"

/** One agent of a template sync is done: the `index`-th of `total`, counted in completion order from 1. */
export interface SyncAgentProgress {
  readonly type: "agent"
  readonly index: number
  /** The agents this sync goes through, the gateway-main agent included when it is synced. */
  readonly total: number
  readonly agentId: AgentId
  readonly agentName: string
  readonly boardId: BoardId | null
  readonly outcome: SyncOutcome
  /** The agent's problems, joined; null when it had none. */
  readonly message: string | null
}

/** The last event of a template sync stream. */
export interface SyncResultEvent {
  readonly type: "result"
  readonly summary: TemplateSyncSummary
}

/** An event of a template sync stream: progress per agent, then the summary. */
export type SyncEvent = SyncAgentProgress | SyncResultEvent
