import { apiPrefix, maxBodyDepth, probePaths } from "@mission-control/core/http"
import type { Request, Response } from "express"
import express from "express"
import { IncomingMessage } from "node:http"
import type { HandlerOptions } from "./handler.js"
import { createMissionControlHandler } from "./handler.js"

/** Options of `createMissionControlRouter`: the handler's, with the host's authentication on Express requests. */
export type RouterOptions<E> = HandlerOptions<E, Request>

/** The Express router with the runtime it runs on. */
export type MissionControlRouter = express.Router & {
  /** Releases the runtime's resources (pools, connections) when the router built it. */
  readonly dispose: () => Promise<void>
  /** Resolves once the runtime is built: a bad database URL fails here, not on the first request. */
  readonly ready: () => Promise<void>
}

const hostRequests = new WeakMap<IncomingMessage, Request>()

const rootPaths: ReadonlySet<string> = new Set(Object.values(probePaths))

/** The path the API routes a request by: its own under `/api/v1`; the probes, at the root, as they are. */
const apiUrlOf = (req: Request): string => {
  const original = req.originalUrl
  if (original === apiPrefix || original.startsWith(`${apiPrefix}/`) || original.startsWith(`${apiPrefix}?`)) {
    return original
  }
  if (rootPaths.has(original.split("?", 1)[0]!)) return original
  return `${apiPrefix}${req.url === "/" ? "" : req.url}`
}

/**
 * A parsed body as JSON text again. `JSON.stringify` recurses: a value nested too deep to serialise (the host's
 * parser took it) is replayed as JSON nested just past the API's depth limit, which answers 422 `json_limits`.
 */
const jsonOf = (parsed: unknown): string => {
  try {
    return JSON.stringify(parsed ?? null)
  } catch {
    return `${"[".repeat(maxBodyDepth + 1)}${"]".repeat(maxBodyDepth + 1)}`
  }
}

/**
 * The request as the API reads it. A body the host's `express.json()` (or another body parser) already consumed is
 * replayed from what it parsed; the API then decodes it as if it had read it itself.
 */
const asReceived = (req: Request): IncomingMessage => {
  if (!req.readableEnded || req.body === undefined) return req
  const parsed: unknown = req.body
  const bytes = Buffer.isBuffer(parsed) ? parsed : Buffer.from(typeof parsed === "string" ? parsed : jsonOf(parsed))
  const replay = new IncomingMessage(req.socket)
  replay.method = req.method
  replay.url = req.url
  replay.httpVersionMajor = req.httpVersionMajor
  replay.httpVersionMinor = req.httpVersionMinor
  replay.headers = { ...req.headers, "content-length": String(bytes.length) }
  delete replay.headers["transfer-encoding"]
  replay.push(bytes)
  replay.push(null)
  replay.complete = true
  hostRequests.set(replay, req)
  return replay
}

/**
 * An Express router serving the Mission Control HTTP API, derived from the one API definition of
 * `@mission-control/core/http`. Mount it at `/api/v1`; plug in the host's user authentication with
 * `authenticateUser`. Mounted elsewhere, it serves the same routes under that path. The probes (`/healthz`,
 * `/readyz`, `/health`) are served where the host routes them to it: `app.get(["/healthz", "/readyz"], router)`. Works with Express 4 and 5: it answers every request under the mount itself and never calls
 * `next`, so the host's error middleware never sees an API failure.
 */
export const createMissionControlRouter = <E>(options: RouterOptions<E>): MissionControlRouter => {
  const handler = createMissionControlHandler<E, Request>(
    options,
    (message) => hostRequests.get(message) ?? (message as Request)
  )
  const router = express.Router()
  router.use((req: Request, res: Response) => {
    // Express strips the mount path; the API's routes carry `/api/v1` wherever the router is mounted.
    req.url = apiUrlOf(req)
    handler.handle(asReceived(req) as Request, res)
  })
  return Object.assign(router, { dispose: handler.dispose, ready: handler.ready })
}
