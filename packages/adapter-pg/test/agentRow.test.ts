// Change-feed snapshots (`to_jsonb(NEW)` rows kept in mc_agent_changes) written before a migration added a column
// still decode: the column takes the value the migration gave existing rows.
import { assert, describe, it } from "@effect/vitest"
import { DateTime, Schema } from "effect"
import { AgentFromRow } from "../src/PgAgentRepository.js"

const snapshotBefore0003 = {
  id: "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f",
  board_id: null,
  gateway_id: "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
  name: "Old snapshot",
  status: "online",
  openclaw_session_id: null,
  agent_token_digest: "sha256$abc",
  heartbeat_config: null,
  identity_profile: null,
  identity_template: null,
  soul_template: null,
  provision_requested_at: null,
  provision_confirm_token_hash: null,
  provision_action: null,
  last_provision_error: null,
  delete_requested_at: null,
  delete_confirm_token_hash: null,
  last_seen_at: "2026-02-12T09:30:00.123+00:00",
  is_board_lead: false,
  created_at: "2026-02-12T09:00:00+00:00",
  updated_at: "2026-02-12T09:30:00.123+00:00"
}

describe("agent rows", () => {
  it("a snapshot without the lifecycle and previous-token columns decodes with their defaults", () => {
    const agent = Schema.decodeUnknownSync(AgentFromRow)(snapshotBefore0003)
    assert.deepStrictEqual(
      [
        agent.lastHeartbeatAt,
        agent.lifecycleGeneration,
        agent.wakeAttempts,
        agent.lastWakeSentAt,
        agent.checkinDeadlineAt,
        agent.previousTokenDigest,
        agent.previousTokenValidUntil
      ],
      [null, 0, 0, null, null, null, null]
    )
  })

  it("a snapshot with them keeps their values", () => {
    const agent = Schema.decodeUnknownSync(AgentFromRow)({
      ...snapshotBefore0003,
      last_heartbeat_at: null,
      lifecycle_generation: 4,
      wake_attempts: 2,
      last_wake_sent_at: "2026-02-12T09:31:00+00:00",
      checkin_deadline_at: "2026-02-12T09:31:30+00:00",
      previous_token_digest: "sha256$old",
      previous_token_valid_until: "2026-02-12T09:41:00+00:00"
    })
    assert.deepStrictEqual([agent.lifecycleGeneration, agent.wakeAttempts, agent.previousTokenDigest], [
      4,
      2,
      "sha256$old"
    ])
    assert.strictEqual(DateTime.formatIso(agent.checkinDeadlineAt!), "2026-02-12T09:31:30.000Z")
  })
})
