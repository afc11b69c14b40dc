// Starts the example as a user would (its start command) with a setting that cannot work, once per failure an
// operator meets: each must end the process fast, with exit code 1 and one line on stderr that says what failed,
// which setting and what to do. Loopback only.
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { createDatabase, defaultDatabaseUrl, serverReachable } from "@mission-control/adapter-pg/testing"
import type { GatewaySimulator } from "@mission-control/gateway-rpc/testing"
import { startGatewaySimulator } from "@mission-control/gateway-rpc/testing"
import { spawn } from "node:child_process"
import type { Server } from "node:net"
import { createServer } from "node:net"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const exampleDir = fileURLToPath(new URL("..", import.meta.url))
const repositoryDir = fileURLToPath(new URL("../../..", import.meta.url))

// What "fast" means here: the start command's own cost (tsx loading the sources, 3-5 s on a busy two-core machine)
// and the check. Before these checks a gateway that was down took 50 s, a port in use 20 s.
const failsWithinMs = 20_000

interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  readonly ms: number
}

// At most two examples at once (two cores): each one's time is its own start, not a queue's.
let running = 0
const waiting: Array<() => void> = []
const slot = async <A>(task: () => Promise<A>): Promise<A> => {
  if (running >= 2) await new Promise<void>((resolve) => waiting.push(resolve))
  running++
  try {
    return await task()
  } finally {
    running--
    waiting.shift()?.()
  }
}

/** Runs the example with `env` on top of settings that would otherwise work, until it exits (killed if it hangs). */
const startExample = (env: Readonly<Record<string, string>>): Promise<Run> =>
  slot(() =>
    new Promise<Run>((resolve, reject) => {
      const started = Date.now()
      // tsx itself, not through npx: under `pnpm test`, npx warns on stderr about pnpm's npm_config_* variables.
      const child = spawn(join(exampleDir, "node_modules", ".bin", "tsx"), ["src/main.ts"], {
        cwd: exampleDir,
        env: {
          ...process.env,
          PORT: "0",
          DATABASE_URL: "",
          GATEWAY_URL: "",
          GATEWAY_TOKEN: "",
          MC_LOG_LEVEL: "",
          ...env
        },
        stdio: ["ignore", "pipe", "pipe"],
        detached: true
      })
      let stdout = ""
      let stderr = ""
      child.stdout.on("data", (chunk) => (stdout += chunk))
      child.stderr.on("data", (chunk) => (stderr += chunk))
      const killer = setTimeout(() => {
        try {
          process.kill(-child.pid!, "SIGKILL")
        } catch {}
      }, 2 * failsWithinMs)
      child.on("error", reject)
      child.on("close", (code) => {
        clearTimeout(killer)
        resolve({ code, stdout, stderr, ms: Date.now() - started })
      })
    })
  )

/** The run failed fast with exactly one line on stderr, nothing on stdout; returns that line. */
const assertOneLine = (run: Run, expected: RegExp): string => {
  const output = `exit ${run.code} after ${run.ms} ms\nstdout: ${run.stdout}\nstderr: ${run.stderr}`
  assert.strictEqual(run.code, 1, output)
  assert.strictEqual(run.stdout, "", output)
  assert.match(run.stderr, /^[^\n]+\n$/, output)
  const line = run.stderr.trimEnd()
  assert.match(line, expected)
  assert.isBelow(run.ms, failsWithinMs, output)
  return line
}

/** A loopback port nothing listens on (it did a moment ago). */
const closedPort = async (): Promise<number> => {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as { readonly port: number }).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")

describe.concurrent("the example's start-up errors", () => {
  let simulator: GatewaySimulator
  let busy: Server
  let busyPort: number
  beforeAll(async () => {
    simulator = await startGatewaySimulator({ token: "the-gateway-token" })
    busy = createServer()
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve))
    busyPort = (busy.address() as { readonly port: number }).port
  })
  afterAll(async () => {
    await simulator?.stop()
    await new Promise<void>((resolve) => busy === undefined ? resolve() : busy.close(() => resolve()))
  })

  it(
    "database unreachable: names the address (without the password) and DATABASE_URL",
    { timeout: 60_000 },
    async () => {
      const port = await closedPort()
      const run = await startExample({ DATABASE_URL: `postgres://postgres:s3cret@127.0.0.1:${port}/mc` })
      const line = assertOneLine(
        run,
        new RegExp(
          `^Mission Control could not start \\(DATABASE_URL\\): no database answers at ${
            escape(`postgres://postgres:***@127.0.0.1:${port}/mc`)
          }: connection refused\\. Start Postgres there, or point DATABASE_URL at a running server .*\\(MC_LOG_LEVEL=debug logs the details\\)\\.$`
        )
      )
      assert.notInclude(line, "s3cret")
    }
  )

  it("database unreachable, with MC_LOG_LEVEL=debug: the details come first, the same line last", {
    timeout: 60_000
  }, async () => {
    const port = await closedPort()
    const run = await startExample({ DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/mc`, MC_LOG_LEVEL: "debug" })
    assert.strictEqual(run.code, 1, run.stderr)
    assert.strictEqual(run.stdout, "")
    const lines = run.stderr.trimEnd().split("\n")
    assert.isAbove(lines.length, 1)
    assert.match(lines[0]!, /DEBUG .*start-up failed/)
    assert.include(run.stderr, `connect ECONNREFUSED 127.0.0.1:${port}`)
    assert.match(
      lines.at(-1)!,
      /^Mission Control could not start \(DATABASE_URL\): no database answers at .*\(the debug log above has the details\)\.$/
    )
    assert.isBelow(run.ms, failsWithinMs)
  })

  it("malformed DATABASE_URL: says so, and how one looks", { timeout: 60_000 }, async () => {
    const run = await startExample({ DATABASE_URL: "not-a-url" })
    assertOneLine(
      run,
      /^Mission Control could not start \(DATABASE_URL\): DATABASE_URL is not a URL\. Set it to postgres:\/\/user:password@host:5432\/database, or unset it to use the embedded database\.$/
    )
  })

  it("missing database: names it and how to create it", { timeout: 60_000 }, async (context) => {
    // A real Postgres: the embedded one has a single database and takes any name.
    if (!(await serverReachable()) && process.env["CI"] !== "true") return context.skip()
    const name = `mc_missing_${globalThis.crypto.randomUUID().replace(/-/g, "").slice(0, 12)}`
    const url = new URL(defaultDatabaseUrl())
    url.pathname = `/${name}`
    const run = await startExample({ DATABASE_URL: url.toString() })
    assertOneLine(
      run,
      new RegExp(
        `^Mission Control could not start \\(DATABASE_URL\\): Postgres at .*/${name}: database "${name}" does not exist\\. Create it \\(createdb ${name}\\), or point DATABASE_URL at an existing database`
      )
    )
  })

  it("gateway unreachable: names GATEWAY_URL", { timeout: 60_000 }, async () => {
    const port = await closedPort()
    const run = await startExample({ GATEWAY_URL: `ws://127.0.0.1:${port}`, GATEWAY_TOKEN: "any" })
    assertOneLine(
      run,
      new RegExp(
        `^Mission Control could not start \\(GATEWAY_URL\\): no gateway answers at ws://127\\.0\\.0\\.1:${port}: connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\. Start the gateway, or fix GATEWAY_URL`
      )
    )
  })

  it("gateway refusing the token: names GATEWAY_TOKEN, and never shows a token", { timeout: 60_000 }, async () => {
    const run = await startExample({ GATEWAY_URL: simulator.url, GATEWAY_TOKEN: "a-wrong-token" })
    const line = assertOneLine(
      run,
      new RegExp(
        `^Mission Control could not start \\(GATEWAY_TOKEN\\): the gateway at ${
          escape(simulator.url)
        } refused the token: .*token mismatch\\. Set GATEWAY_TOKEN to the gateway's own token`
      )
    )
    assert.notInclude(line, "a-wrong-token")
    assert.notInclude(line, "the-gateway-token")
  })

  it("port in use: names the port and PORT", { timeout: 60_000 }, async () => {
    const run = await startExample({ PORT: String(busyPort) })
    assertOneLine(
      run,
      new RegExp(
        `^Mission Control could not start \\(PORT\\): port ${busyPort} on 127\\.0\\.0\\.1 is in use\\. Stop what listens there, or set PORT to a free port \\(0 picks one\\)`
      )
    )
  })
})

describe("the documented start command", () => {
  it("prints the ready line first on stdout, and seeds a gateway agent named after its organization", {
    timeout: 120_000
  }, async () => {
    // A fresh database on the machine's Postgres when there is one (faster than the embedded one), else embedded.
    const database = (await serverReachable()) ? await createDatabase() : undefined
    const child = spawn("npx", ["--yes", "pnpm@10", "--silent", "start"], {
      cwd: repositoryDir,
      env: { ...process.env, PORT: "0", DATABASE_URL: database?.url ?? "", GATEWAY_URL: "", MC_LOG_LEVEL: "" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true
    })
    const stopped = new Promise<void>((resolve) => child.on("close", () => resolve()))
    try {
      let output = ""
      const firstLine = await new Promise<string>((resolve, reject) => {
        let stdout = ""
        child.stdout.on("data", (chunk) => {
          stdout += chunk
          output += chunk
          if (stdout.includes("\n")) resolve(stdout.slice(0, stdout.indexOf("\n")))
        })
        child.stderr.on("data", (chunk) => (output += chunk))
        child.on("close", (code) => reject(new Error(`the example exited with ${code}: ${output}`)))
        setTimeout(() => reject(new Error(`no line within 90 s: ${output}`)), 90_000).unref()
      })
      const ready = JSON.parse(firstLine)
      assert.isTrue(ready.ready)
      const acme = ready.organizations[0]
      const agents = await fetch(`${ready.url}/api/v1/agents`, {
        headers: { authorization: `Bearer ${acme.users.owner.token}` }
      })
      const names = ((await agents.json()).items as ReadonlyArray<{ readonly name: string }>).map((agent) => agent.name)
      assert.sameMembers(names, ["Lead Agent", "Acme Gateway Agent"])
    } finally {
      try {
        process.kill(-child.pid!, "SIGTERM")
      } catch {}
      await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, 10_000).unref())])
      await database?.drop()
    }
  })
})
