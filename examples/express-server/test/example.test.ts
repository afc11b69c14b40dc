// Starts the example server as a user would (its start script, a free port) and calls it as the docs show.
import { afterAll, assert, describe, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

const exampleDir = fileURLToPath(new URL("..", import.meta.url))

describe("example server", () => {
  const child = spawn("npx", ["tsx", "src/main.ts"], {
    cwd: exampleDir,
    env: { ...process.env, PORT: "0", DATABASE_URL: "", GATEWAY_URL: "" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true
  })
  afterAll(() => {
    try {
      process.kill(-child.pid!, "SIGTERM")
    } catch {}
  })
  const ready = new Promise<any>((resolve, reject) => {
    let stdout = ""
    let output = ""
    child.stdout.on("data", (chunk) => {
      stdout += chunk
      output += chunk
      const line = stdout.split("\n")[0]
      if (stdout.includes("\n") && line !== undefined) {
        try {
          resolve(JSON.parse(line))
        } catch (error) {
          reject(new Error(`not a ready line: ${line}`))
        }
      }
    })
    child.stderr.on("data", (chunk) => (output += chunk))
    child.on("exit", (code) => reject(new Error(`example exited with ${code}: ${output}`)))
  })

  it("prints the ready line and answers the documented calls", { timeout: 120_000 }, async () => {
    const info = await ready
    assert.isTrue(info.ready)
    assert.strictEqual(info.organizations.length, 2)
    const [acme, globex] = info.organizations
    assert.isString(acme.lead.token)
    const as = (token: string) => ({
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }
    })

    // Each organization on its own gateway simulator, never one shared: a gateway's token drives all its agents.
    assert.isTrue(acme.gateway.simulator && globex.gateway.simulator)
    assert.notStrictEqual(acme.gateway.url, globex.gateway.url)
    for (const [mine, theirs] of [[acme, globex], [globex, acme]]) {
      const own = await fetch(`${info.url}/api/v1/gateways/${mine.gateway.id}`, as(mine.users.owner.token))
      assert.strictEqual(own.status, 200)
      assert.strictEqual((await own.json()).url, mine.gateway.url)
      const other = await fetch(`${info.url}/api/v1/gateways/${theirs.gateway.id}`, as(mine.users.owner.token))
      assert.strictEqual(other.status, 404)
    }

    const agents = await fetch(`${info.url}/api/v1/agents`, as(acme.users.owner.token))
    assert.strictEqual(agents.status, 200)
    assert.strictEqual((await agents.json()).total, 2) // the lead and the gateway agent
    assert.strictEqual((await fetch(`${info.url}/api/v1/agents`, as(acme.users.member.token))).status, 403)
    assert.strictEqual(
      (await fetch(`${info.url}/api/v1/agents/${acme.lead.id}`, as(globex.users.owner.token))).status,
      404
    )

    const heartbeat = await fetch(`${info.url}/api/v1/agent/heartbeat`, {
      method: "POST",
      headers: { "x-agent-token": acme.lead.token, "content-type": "application/json" },
      body: JSON.stringify({ name: "Lead Agent", status: "online" })
    })
    assert.strictEqual(heartbeat.status, 200)
    const created = await fetch(`${info.url}/api/v1/agents`, {
      method: "POST",
      ...as(acme.users.owner.token),
      body: JSON.stringify({ board_id: acme.board.id, name: "Researcher" })
    })
    assert.strictEqual(created.status, 200)
    assert.strictEqual((await fetch(`${info.url}/healthz`)).status, 200)

    // Metrics in Prometheus's text format: the fleet by computed status, the heartbeat just received.
    const metrics = await fetch(`${info.url}/metrics`)
    assert.strictEqual(metrics.status, 200)
    assert.include(metrics.headers.get("content-type") ?? "", "text/plain")
    const text = await metrics.text()
    assert.match(text, /^mission_control_agents\{[^}]*status="online"[^}]*\} 1$/m)
    assert.match(text, /^mission_control_agent_heartbeats_total\{[^}]*\} [1-9]/m)
  })
})
