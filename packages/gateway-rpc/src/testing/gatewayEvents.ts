// Payloads of the gateway's `health`, `agent` and `chat` events, shaped as gateway 2026.9.6 sends them (read from its
// `src/gateway/health/collector.ts`, `server-chat.ts`, `chat-broadcast.ts` and `infra/agent-events.ts`), for the
// simulator to push.

/** A session of an agent as the `health` event lists it: its key and when it was last updated (ms). */
export interface SimulatedSession {
  readonly key: string
  readonly updatedAt: number
}

/** An agent of a `health` event with its recent sessions (the gateway lists the 5 newest). */
export interface SimulatedHealthAgent {
  readonly agentId: string
  readonly sessions: ReadonlyArray<SimulatedSession>
  readonly name?: string
}

/** One run of an agent, as its `agent` and `chat` events tell it. */
export interface SimulatedRun {
  /** The session the run is in, `agent:<id>:<rest>`. */
  readonly sessionKey: string
  /** The agent's reply, streamed as one delta and then final; none for a run that fails. */
  readonly reply?: string
  /** The run fails (`lifecycle` phase `error`, `chat` state `error`) instead of replying. */
  readonly fails?: boolean
  /** A heartbeat run the gateway started on its schedule. */
  readonly isHeartbeat?: boolean
  readonly runId?: string
}

const healthSessions = (sessions: ReadonlyArray<SimulatedSession>, now: number) => {
  const recent = [...sessions].sort((a, b) => b.updatedAt - a.updatedAt).slice(0, 5)
  return {
    path: "~/.openclaw/agents/sessions/sessions.json",
    count: sessions.length,
    recent: recent.map((session) => ({ key: session.key, updatedAt: session.updatedAt, age: now - session.updatedAt }))
  }
}

/** The payload of a `health` event listing these agents (the first one the default). */
export const healthPayload = (agents: ReadonlyArray<SimulatedHealthAgent>, now: number = Date.now()) => {
  const defaultAgent = agents[0]
  return {
    ok: true,
    ts: now,
    durationMs: 4,
    channels: {},
    channelOrder: [],
    channelLabels: {},
    heartbeatSeconds: 1800,
    ...(defaultAgent === undefined ? {} : { defaultAgentId: defaultAgent.agentId }),
    agents: agents.map((agent, index) => ({
      agentId: agent.agentId,
      ...(agent.name === undefined ? {} : { name: agent.name }),
      isDefault: index === 0,
      heartbeat: {
        enabled: true,
        every: "30m",
        everyMs: 1_800_000,
        prompt: "Read HEARTBEAT.md if it exists (workspace context). Follow it strictly.",
        target: "none",
        ackMaxChars: 300
      },
      sessions: healthSessions(agent.sessions, now)
    })),
    sessions: healthSessions(defaultAgent?.sessions ?? [], now)
  }
}

/** The events of one run, in the order the gateway sends them: `[event, payload]` pairs. */
export const runEvents = (
  run: SimulatedRun,
  now: number = Date.now()
): ReadonlyArray<readonly [string, Record<string, unknown>]> => {
  const runId = run.runId ?? `run-${now.toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`
  const heartbeat = run.isHeartbeat === undefined ? {} : { isHeartbeat: run.isHeartbeat }
  let seq = 0
  let chatSeq = 0
  const agent = (stream: string, data: Record<string, unknown>) =>
    ["agent", { runId, stream, data, sessionKey: run.sessionKey, seq: ++seq, ts: now, ...heartbeat }] as const
  const chat = (fields: Record<string, unknown>) =>
    ["chat", { runId, sessionKey: run.sessionKey, seq: ++chatSeq, ...fields }] as const
  const start = agent("lifecycle", { phase: "start", startedAt: now })
  if (run.fails === true) {
    return [
      start,
      agent("lifecycle", { phase: "error", error: "No API key found for provider", endedAt: now }),
      chat({ state: "error", errorMessage: "No API key found for provider", errorKind: "model" })
    ]
  }
  const text = run.reply ?? "HEARTBEAT_OK"
  const message = { role: "assistant", content: [{ type: "text", text }], timestamp: now }
  return [
    start,
    agent("assistant", { text, delta: text }),
    chat({ state: "delta", deltaText: text, message }),
    agent("lifecycle", { phase: "end", startedAt: now, endedAt: now }),
    chat({ state: "final", message })
  ]
}
