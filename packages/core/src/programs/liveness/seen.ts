// An agent seen in its gateway's own events: `lastSeenAt` moved as a heartbeat moves it, without the heartbeat.

import { DateTime, Effect, Option } from "effect"
import type { AgentId } from "../../domain/ids.js"
import type { Agent } from "../../domain/models.js"
import { AgentLocks } from "../../services/AgentLocks.js"
import type { AgentPatch } from "../../services/AgentRepository.js"
import { AgentRepository } from "../../services/AgentRepository.js"
import { missedCheckInReason } from "../checkIn.js"
import { dieOnDuplicate, now } from "../common.js"

/** The newest activity of an agent its gateway showed, by kind of evidence. */
export interface SeenEvidence {
  /** Output of a run (`agent`, `chat` events): the agent works. */
  readonly run: DateTime.Utc | null
  /** A session of the agent updated (`health` events), which a control-plane write to the session also does. */
  readonly session: DateTime.Utc | null
}

/**
 * What marking an agent seen did: `seen` (`lastSeenAt` moved), `unchanged` (it was seen as late already, or the only
 * evidence does not count now), `gone` (no such agent).
 */
export interface SeenOutcome {
  readonly result: "seen" | "unchanged" | "gone"
  /** The agent's `lastSeenAt` after the call (null when gone or never seen). */
  readonly lastSeenAt: DateTime.Utc | null
}

const latest = (a: DateTime.Utc | null, b: DateTime.Utc | null): DateTime.Utc | null =>
  a === null ? b : b === null ? a : DateTime.max(a, b)

/**
 * The fields that mark `agent` seen at `at`, or undefined when that would not move its `lastSeenAt` forward. Seen
 * after its last wakeup, an agent awaiting a check-in has checked in (as with its first authenticated request); an
 * agent `provisioning` or `offline` with no provisioning under way is `online` (a reason it was given up on is void).
 */
const seenPatch = (agent: Agent, at: DateTime.Utc, current: DateTime.Utc): AgentPatch | undefined => {
  if (agent.lastSeenAt !== null && !DateTime.isGreaterThan(at, agent.lastSeenAt)) return undefined
  const checkedIn = agent.checkinDeadlineAt !== null &&
    (agent.lastWakeSentAt === null || DateTime.isGreaterThanOrEqualTo(at, agent.lastWakeSentAt))
  const revived = agent.provisionAction === null && (agent.status === "provisioning" || agent.status === "offline")
  return {
    lastSeenAt: at,
    updatedAt: current,
    ...(revived ? { status: "online" } : {}),
    ...(revived && agent.lastProvisionError === missedCheckInReason ? { lastProvisionError: null } : {}),
    ...(checkedIn ? { checkinDeadlineAt: null, wakeAttempts: 0 } : {})
  }
}

// While a wakeup's check-in is awaited a session update proves nothing (the wakeup itself updates the session it is
// sent to): only run output counts then.
const seenAt = (agent: Agent, evidence: SeenEvidence, current: DateTime.Utc): DateTime.Utc | null => {
  const at = latest(evidence.run, agent.checkinDeadlineAt === null ? evidence.session : null)
  return at === null ? null : DateTime.min(at, current)
}

const markRead = Effect.fnUntraced(function*(agent: Agent, evidence: SeenEvidence) {
  const agents = yield* AgentRepository
  const current = yield* now
  const at = seenAt(agent, evidence, current)
  const patch = at === null ? undefined : seenPatch(agent, at, current)
  if (patch === undefined) return { result: "unchanged", lastSeenAt: agent.lastSeenAt } satisfies SeenOutcome
  const updated = yield* agents.update(agent.id, patch).pipe(dieOnDuplicate)
  return Option.match(updated, {
    onNone: (): SeenOutcome => ({ result: "gone", lastSeenAt: null }),
    onSome: (written): SeenOutcome => ({ result: "seen", lastSeenAt: written.lastSeenAt })
  })
})

const gone: SeenOutcome = { result: "gone", lastSeenAt: null }

/**
 * Marks an agent seen from its gateway's events (`LivenessWatcher`): its `lastSeenAt` moves to the newest evidence
 * (never backwards, never past now), through the repository, so the change feed shows it. An agent awaiting a
 * check-in is read again and written under its lock (the check-in pass may be re-waking it), and counts only run
 * output.
 */
export const markAgentSeenFromGateway = Effect.fn("markAgentSeenFromGateway")(function*(
  agentId: AgentId,
  evidence: SeenEvidence
) {
  const agents = yield* AgentRepository
  const found = yield* agents.findById(agentId)
  if (Option.isNone(found)) return gone
  if (found.value.checkinDeadlineAt === null) return yield* markRead(found.value, evidence)
  const locks = yield* AgentLocks
  return yield* locks.withLock(`agent/${agentId}`)(
    Effect.flatMap(
      agents.findById(agentId),
      Option.match({ onNone: () => Effect.succeed(gone), onSome: (agent) => markRead(agent, evidence) })
    )
  )
})
