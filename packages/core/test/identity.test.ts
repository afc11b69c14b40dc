import { assert, describe, it } from "@effect/vitest"
import {
  agentKey,
  boardScopedSessionKey,
  computedStatus,
  formatTimestamp,
  gatewayMainSessionKey,
  leadSessionKey,
  normalizeIdentityProfile,
  parseGatewayDuration,
  parseKeyValueLines,
  parseSince,
  pendingAgent,
  slugify,
  workerSessionKey,
  workspacePath
} from "@mission-control/core"
import type { AgentId, BoardId, GatewayId, JsonObject } from "@mission-control/core"
import { DateTime, Duration } from "effect"
import { pythonJson } from "../src/programs/workspaceLifecycle.js"

const gatewayId = "00000000-0000-0000-0000-000000000123" as GatewayId
const boardId = "00000000-0000-0000-0000-000000000456" as BoardId
const agentId = "00000000-0000-0000-0000-000000000789" as AgentId

describe("session keys", () => {
  it("follow the reference's forms", () => {
    assert.strictEqual(gatewayMainSessionKey(gatewayId), "agent:mc-gateway-00000000-0000-0000-0000-000000000123:main")
    assert.strictEqual(leadSessionKey(boardId), "agent:lead-00000000-0000-0000-0000-000000000456:main")
    assert.strictEqual(workerSessionKey(agentId), "agent:mc-00000000-0000-0000-0000-000000000789:main")
    assert.strictEqual(boardScopedSessionKey({ id: agentId, boardId, isBoardLead: true }), leadSessionKey(boardId))
    assert.strictEqual(boardScopedSessionKey({ id: agentId, boardId, isBoardLead: false }), workerSessionKey(agentId))
  })
})

describe("pendingAgent", () => {
  it("starts every new agent alike: provisioning, never seen, no token, the default heartbeat", () => {
    const at = DateTime.makeUnsafe("2026-02-12T09:30:00Z")
    const agent = pendingAgent({
      id: agentId,
      boardId,
      gatewayId,
      name: "Scout",
      openclawSessionId: workerSessionKey(agentId),
      provisionAction: "provision"
    }, at)
    assert.deepStrictEqual(
      [agent.status, agent.lastSeenAt, agent.agentTokenDigest, agent.isBoardLead, agent.provisionAction],
      ["provisioning", null, null, false, "provision"]
    )
    assert.deepStrictEqual(agent.heartbeatConfig, { every: "10m", target: "none", includeReasoning: false })
    assert.deepStrictEqual([agent.provisionRequestedAt, agent.createdAt, agent.updatedAt], [at, at, at])
    assert.strictEqual(computedStatus(agent, at), "provisioning")
    const lead = pendingAgent({
      id: agentId,
      boardId,
      gatewayId,
      name: "Lead Agent",
      openclawSessionId: leadSessionKey(boardId),
      provisionAction: "update",
      isBoardLead: true,
      heartbeatConfig: { every: "5m" },
      identityProfile: { role: "Board Lead" }
    }, at)
    assert.deepStrictEqual([lead.isBoardLead, lead.provisionAction, lead.heartbeatConfig, lead.identityProfile], [
      true,
      "update",
      { every: "5m" },
      { role: "Board Lead" }
    ])
  })
})

describe("slugify and agent keys", () => {
  it("slugifies like the reference", () => {
    assert.strictEqual(slugify("Hello, World"), "hello-world")
    assert.strictEqual(slugify("  A   B  "), "a-b")
    assert.strictEqual(slugify("!!!", () => "deadbeef"), "deadbeef")
    assert.match(slugify("!!!"), /^[0-9a-f]{32}$/)
  })

  it("derives the agent key from the session key, else from the name", () => {
    assert.strictEqual(agentKey({ openclawSessionId: "agent:alice:main", name: "x" }), "alice")
    assert.strictEqual(agentKey({ openclawSessionId: null, name: "Hello, World" }), "hello-world")
    assert.strictEqual(agentKey({ openclawSessionId: "agent::main", name: "Bob" }), "bob")
  })

  it("builds workspace paths that keep ~ and drop mc- of gateway keys", () => {
    assert.strictEqual(
      workspacePath({ openclawSessionId: "agent:alice:main", name: "x" }, "~/.openclaw"),
      "~/.openclaw/workspace-alice"
    )
    assert.strictEqual(
      workspacePath({ openclawSessionId: null, name: "Alice" }, "~/.openclaw/"),
      "~/.openclaw/workspace-alice"
    )
    assert.strictEqual(
      workspacePath({ openclawSessionId: gatewayMainSessionKey(gatewayId), name: "x" }, "/srv"),
      `/srv/workspace-gateway-${gatewayId}`
    )
    assert.strictEqual(
      workspacePath({ openclawSessionId: leadSessionKey(boardId), name: "x" }, "/srv"),
      `/srv/workspace-lead-${boardId}`
    )
    assert.strictEqual(workspacePath({ openclawSessionId: null, name: "x" }, "  "), undefined)
  })
})

describe("computed status", () => {
  const now = DateTime.makeUnsafe("2026-02-12T10:00:00Z")
  const agentSeen = (
    lastSeenAt: DateTime.Utc | null,
    heartbeatConfig: JsonObject | null = null,
    status = "online"
  ) => ({
    status,
    lastSeenAt,
    heartbeatConfig
  })
  const ago = (duration: Duration.Input) => DateTime.subtractDuration(now, duration)
  it("keeps deleting and updating", () => {
    assert.strictEqual(computedStatus(agentSeen(null, null, "updating"), now), "updating")
    assert.strictEqual(computedStatus(agentSeen(null, null, "deleting"), now), "deleting")
  })
  it("is provisioning until first seen; without a heartbeat interval, offline after ten minutes", () => {
    assert.strictEqual(computedStatus(agentSeen(null), now), "provisioning")
    assert.strictEqual(computedStatus(agentSeen(ago("10 minutes")), now), "online")
    assert.strictEqual(computedStatus(agentSeen(ago(Duration.millis(600_001))), now), "offline")
    assert.strictEqual(computedStatus(agentSeen(now, null, "busy"), now), "busy")
    assert.strictEqual(computedStatus(agentSeen(ago("11 minutes"), { every: "soon" }), now), "offline")
  })
  it("is offline after one and a half heartbeat intervals", () => {
    assert.strictEqual(computedStatus(agentSeen(ago("14 minutes"), { every: "10m" }), now), "online")
    assert.strictEqual(computedStatus(agentSeen(ago("16 minutes"), { every: "10m" }), now), "offline")
    assert.strictEqual(computedStatus(agentSeen(ago("80 minutes"), { every: "1h" }), now), "online")
    assert.strictEqual(computedStatus(agentSeen(ago("91 minutes"), { every: "1h" }), now), "offline")
    assert.strictEqual(computedStatus(agentSeen(ago("44 seconds"), { every: "30s" }), now), "online")
    assert.strictEqual(computedStatus(agentSeen(ago("46 seconds"), { every: "30s" }), now), "offline")
  })
  it("reads the gateway's durations", () => {
    assert.strictEqual(parseGatewayDuration("10m"), 600_000)
    assert.strictEqual(parseGatewayDuration("1h30m"), 5_400_000)
    assert.strictEqual(parseGatewayDuration("15"), 900_000)
    assert.strictEqual(parseGatewayDuration("250ms"), 250)
    assert.strictEqual(parseGatewayDuration("10 minutes"), undefined)
    assert.strictEqual(parseGatewayDuration("0m"), undefined)
    assert.strictEqual(parseGatewayDuration(""), undefined)
  })
})

describe("identity profiles and key=value files", () => {
  it("normalises profiles", () => {
    assert.deepStrictEqual(
      normalizeIdentityProfile({
        " role ": " Writer ",
        empty: "  ",
        nil: null,
        list: [" a ", "", "b"],
        flag: true,
        n: 3
      }),
      { role: "Writer", list: "a, b", flag: "True", n: "3" }
    )
    assert.isNull(normalizeIdentityProfile("text"))
    assert.isNull(normalizeIdentityProfile({ a: "" }))
    assert.isNull(normalizeIdentityProfile([1]))
  })

  it("parses KEY=value lines, last one wins", () => {
    const values = parseKeyValueLines("# comment\n\nAUTH_TOKEN=one\nlower=x\n  AUTH_TOKEN= two  \nBASE_URL=http://x")
    assert.strictEqual(values.get("AUTH_TOKEN"), "two")
    assert.strictEqual(values.get("BASE_URL"), "http://x")
    assert.isFalse(values.has("lower"))
  })
})

describe("wire formats", () => {
  it("renders naive ISO timestamps", () => {
    assert.strictEqual(formatTimestamp(DateTime.makeUnsafe("2026-02-12T09:30:00.123Z")), "2026-02-12T09:30:00.123000")
    assert.strictEqual(formatTimestamp(DateTime.makeUnsafe("2026-03-01T00:00:00Z")), "2026-03-01T00:00:00")
  })

  it("parses since like the reference", () => {
    assert.strictEqual(DateTime.formatIso(parseSince("2026-02-12T09:30:00Z")!), "2026-02-12T09:30:00.000Z")
    assert.strictEqual(DateTime.formatIso(parseSince("2026-02-12T09:30:00")!), "2026-02-12T09:30:00.000Z")
    assert.strictEqual(DateTime.formatIso(parseSince("2026-02-12T10:30:00+01:00")!), "2026-02-12T09:30:00.000Z")
    assert.isUndefined(parseSince("not a date"))
    assert.isUndefined(parseSince("  "))
  })

  it("renders JSON the way Python's json.dumps does", () => {
    assert.strictEqual(
      pythonJson({ a: 1, b: ["x", null], c: { d: true } }),
      "{\"a\": 1, \"b\": [\"x\", null], \"c\": {\"d\": true}}"
    )
    assert.strictEqual(pythonJson("é"), "\"\\u00e9\"")
  })
})
