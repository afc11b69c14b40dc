import { DateTime, Duration, Effect, Option } from "effect"
import { reason, Unauthorized } from "../errors.js"
import { annotateAgent } from "../observability/attributes.js"
import { AgentRepository } from "../services/AgentRepository.js"
import { AgentTokens, constantTimeEquals } from "../services/AgentTokens.js"
import { dieOnDuplicate, now } from "./common.js"

/** Presence is refreshed at most this often by authenticated agent requests. */
export const presenceTouchInterval = Duration.seconds(30)

/** Options of `authenticateAgent`. */
export interface AuthenticateAgentOptions {
  /** Refresh `last_seen_at` (and mark the agent online) when it is older than 30 s. Default true. */
  readonly touchPresence?: boolean
}

/**
 * The agent a raw token belongs to, found by one indexed lookup of its digest (401 when none). The raw token is
 * never stored or logged. Runs on every agent request, so it has no span of its own: the agent's ids go on the
 * current span (the request's).
 */
export const authenticateAgent = Effect.fnUntraced(function*(
  token: string | null | undefined,
  options: AuthenticateAgentOptions = {}
) {
  const unauthorized = Effect.suspend(() => new Unauthorized({ detail: reason.unauthorized }))
  const raw = token?.trim() ?? ""
  if (raw === "" || raw.length > 512) return yield* unauthorized
  const tokens = yield* AgentTokens
  const agents = yield* AgentRepository
  const digest = yield* tokens.digest(raw)
  const found = yield* agents.findByTokenDigest(digest)
  if (Option.isNone(found) || found.value.agentTokenDigest === null) return yield* unauthorized
  if (!constantTimeEquals(found.value.agentTokenDigest, digest)) return yield* unauthorized
  const agent = found.value
  yield* annotateAgent(agent)
  if (options.touchPresence === false) return agent
  const at = yield* now
  const stale = agent.lastSeenAt === null ||
    Duration.isGreaterThanOrEqualTo(DateTime.distance(agent.lastSeenAt, at), presenceTouchInterval)
  if (!stale) return agent
  const status = agent.status === "updating" || agent.status === "deleting" ? agent.status : "online"
  const touched = yield* agents.update(agent.id, { lastSeenAt: at, updatedAt: at, status }).pipe(dieOnDuplicate)
  return Option.getOrElse(touched, () => agent)
})

/** The token of an agent request: `X-Agent-Token`, else (where allowed) `Authorization: Bearer <token>`. */
export const agentTokenFromHeaders = (
  headers: { readonly agentToken?: string | undefined; readonly authorization?: string | undefined },
  allowBearer: boolean
): string | undefined => {
  const direct = headers.agentToken?.trim()
  if (direct !== undefined && direct !== "") return direct
  if (!allowBearer || headers.authorization === undefined) return undefined
  const match = /^bearer\s+(.+)$/i.exec(headers.authorization.trim())
  const bearer = match?.[1]?.trim()
  return bearer === undefined || bearer === "" ? undefined : bearer
}
