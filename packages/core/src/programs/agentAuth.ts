import { DateTime, Duration, Effect, Option } from "effect"
import type { Agent } from "../domain/models.js"
import { reason, Unauthorized } from "../errors.js"
import { annotateAgent } from "../observability/attributes.js"
import type { AgentPatch } from "../services/AgentRepository.js"
import { AgentRepository } from "../services/AgentRepository.js"
import { AgentTokens, constantTimeEquals } from "../services/AgentTokens.js"
import { dieOnDuplicate, now } from "./common.js"

/** Presence is refreshed at most this often by authenticated agent requests. */
export const presenceTouchInterval = Duration.seconds(30)

/** Options of `authenticateAgent`. */
export interface AuthenticateAgentOptions {
  /**
   * Refresh `last_seen_at` (and mark the agent online) when it is older than 30 s or a check-in is awaited (which
   * this request then is). Default true.
   */
  readonly touchPresence?: boolean
}

/**
 * The agent a raw token belongs to, found by one indexed lookup of its digest (401 when none). The raw token is
 * never stored or logged. Runs on every agent request, so it has no span of its own: the agent's ids go on the
 * current span (the request's).
 *
 * A token a rotation replaced still authenticates until the grace period the rotation set ends, so an agent whose
 * session has not re-read its workspace yet is not locked out; the first request with the new token ends that grace
 * (the agent evidently has the new files).
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
  const at = yield* now
  const found = yield* agents.findByTokenDigest(digest)
  let agent: Agent
  let patch: AgentPatch = {}
  if (Option.isSome(found) && found.value.agentTokenDigest !== null) {
    if (!constantTimeEquals(found.value.agentTokenDigest, digest)) return yield* unauthorized
    agent = found.value
    if (agent.previousTokenDigest !== null) patch = endedGrace
  } else {
    const previous = yield* agents.findByPreviousTokenDigest(digest)
    if (Option.isNone(previous) || !withinGrace(previous.value, digest, at)) return yield* unauthorized
    agent = previous.value
  }
  yield* annotateAgent(agent)
  const stale = agent.lastSeenAt === null ||
    Duration.isGreaterThanOrEqualTo(DateTime.distance(agent.lastSeenAt, at), presenceTouchInterval)
  // A woken agent's first request is its check-in, however recently it was seen before the wakeup.
  const checkingIn = agent.checkinDeadlineAt !== null
  if (options.touchPresence !== false && (stale || checkingIn)) {
    const status = agent.status === "updating" || agent.status === "deleting" ? agent.status : "online"
    patch = {
      ...patch,
      lastSeenAt: at,
      updatedAt: at,
      status,
      ...(checkingIn ? { checkinDeadlineAt: null, wakeAttempts: 0 } : {})
    }
  }
  if (Object.keys(patch).length === 0) return agent
  const touched = yield* agents.update(agent.id, patch).pipe(dieOnDuplicate)
  return Option.getOrElse(touched, () => agent)
})

const endedGrace: AgentPatch = { previousTokenDigest: null, previousTokenValidUntil: null }

const withinGrace = (agent: Agent, digest: string, at: DateTime.Utc): boolean =>
  agent.previousTokenDigest !== null && constantTimeEquals(agent.previousTokenDigest, digest) &&
  agent.previousTokenValidUntil !== null && DateTime.isLessThan(at, agent.previousTokenValidUntil)

/**
 * The fields that replace `agent`'s token with the one of digest `digest` at `at`: the token it had stays valid for
 * `grace` (a token it had before that no longer is). Nothing is kept when it had none or keeps the same one.
 */
export const rotatedToken = (
  agent: Agent,
  digest: string,
  at: DateTime.Utc,
  grace: Duration.Input
): AgentPatch =>
  agent.agentTokenDigest === null || agent.agentTokenDigest === digest
    ? { agentTokenDigest: digest }
    : {
      agentTokenDigest: digest,
      previousTokenDigest: agent.agentTokenDigest,
      previousTokenValidUntil: DateTime.addDuration(at, grace)
    }

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
