import type { AgentEvent, AgentWatch, CoreError, MissionControlServices, User } from "@mission-control/core"
import {
  Actor,
  AgentCreate,
  AgentHeartbeat,
  AgentHeartbeatCreate,
  AgentId,
  agentTokenFromHeaders,
  AgentUpdate,
  authenticateAgent,
  BoardId,
  createAgent,
  createGateway,
  deleteAgent,
  deleteAgentAsLead,
  deleteGateway,
  ensureBoardLead,
  Forbidden,
  GatewayCreate,
  GatewayId,
  GatewayUpdate,
  getAgent,
  getGateway,
  heartbeatAgent,
  heartbeatOrCreateAgent,
  isCoreError,
  listAgents,
  listAgentsForAgent,
  listGateways,
  normalizeUuid,
  NotFound,
  Pagination,
  parseSince,
  prepareAgentWatch,
  reason,
  syncGatewayTemplatesAsAdmin,
  syncGatewayTemplatesAsAdminStream,
  Unauthorized,
  updateAgent,
  updateGateway
} from "@mission-control/core"
import type { SyncEvent } from "@mission-control/core"
import type { Layer } from "effect"
import {
  Cause,
  Duration,
  Effect,
  Exit,
  Fiber,
  LogLevel,
  ManagedRuntime,
  References,
  Schema,
  SchemaIssue,
  SchemaTransformation,
  Scope,
  Stream
} from "effect"
import type { NextFunction, Request, Response } from "express"
import express from "express"
import type { PayloadTooLarge, UnsupportedMediaType } from "./http.js"
import {
  decode,
  defaultBodyLimit,
  failureResponse,
  InvalidRequest,
  readJsonBody,
  requestIdOf,
  sendJson,
  sendJsonThenClose,
  tooLarge,
  unsupportedMediaType
} from "./http.js"
import { openApiDocument } from "./openapi.js"

/** Options of `createMissionControlRouter`. */
export interface RouterOptions<E> {
  /** The services the core programs run on; built once for the router (or pass `runtime`). */
  readonly layer?: Layer.Layer<MissionControlServices, E>
  /** A runtime the host already built; the router does not dispose it. */
  readonly runtime?: ManagedRuntime.ManagedRuntime<MissionControlServices, E>
  /** The host's user authentication: the user of the request, or undefined. */
  readonly authenticateUser: (req: Request) => Promise<User | undefined> | User | undefined
  /** Where the router is mounted, for the OpenAPI document's server URL. */
  readonly basePath?: string
  /** Seconds between SSE keep-alive pings (default 15). */
  readonly pingIntervalSeconds?: number
  /**
   * The largest request body accepted, in bytes (default 1 MiB). A larger one answers 413 without being buffered;
   * its rest is read and discarded (up to 64 MiB, for up to 10 seconds), then the connection is closed.
   */
  readonly bodyLimitBytes?: number
}

/** The Express router with the runtime it runs on. */
export type MissionControlRouter = express.Router & {
  /** Releases the runtime's resources (pools, connections) when the router built it. */
  readonly dispose: () => Promise<void>
  /** Resolves once the runtime is built: a bad database URL fails here, not on the first request. */
  readonly ready: () => Promise<void>
}

type Reply =
  | { readonly _tag: "Json"; readonly status: number; readonly body: unknown }
  | { readonly _tag: "Streamed" }

const json = (body: unknown, status = 200): Reply => ({ _tag: "Json", status, body })

const pathId = <A>(schema: Schema.Codec<A, string>, value: unknown) => {
  // A malformed id names nothing: 404, as for a missing one (the reference answered 500).
  const normalized = typeof value === "string" ? normalizeUuid(value) : undefined
  return normalized === undefined
    ? Effect.fail(new NotFound({ detail: reason.notFound }))
    : Schema.decodeEffect(schema)(normalized).pipe(Effect.mapError(() => new NotFound({ detail: reason.notFound })))
}

const Bool = Schema.String.pipe(Schema.decodeTo(
  Schema.Boolean,
  SchemaTransformation.transformEffect({
    decode: (text) => {
      const value = text.trim().toLowerCase()
      if (["true", "1", "yes", "on", "t", "y"].includes(value)) return Effect.succeed(true)
      if (["false", "0", "no", "off", "f", "n"].includes(value)) return Effect.succeed(false)
      // `errorType` becomes the 422 entry's `type` (see `toValidationIssues`).
      return Effect.fail(
        new SchemaIssue.InvalidValue({
          message: "Input should be a valid boolean, unable to interpret input",
          errorType: "bool_parsing"
        })
      )
    },
    encode: (value) => Effect.succeed(String(value))
  })
))
const flag = (fallback: boolean) => Bool.pipe(Schema.withDecodingDefaultType(Effect.succeed(fallback)))

/** The `gateway_id` path parameter; malformed or unknown ids answer the reference's 404 `Gateway not found`. */
const gatewayIdOf = (req: Request) =>
  pathId(GatewayId, req.params["gateway_id"]).pipe(Effect.mapError(() => new NotFound({ detail: "Gateway not found" })))

const OptionalBoardFilter = Schema.Struct({
  board_id: Schema.optional(BoardId),
  gateway_id: Schema.optional(GatewayId)
})

const ListQuery = Schema.Struct({ ...Pagination.fields, ...OptionalBoardFilter.fields })
const ForceQuery = Schema.Struct({ force: flag(false) })
const StreamQuery = Schema.Struct({ board_id: Schema.optional(BoardId), since: Schema.optional(Schema.String) })
const SyncQuery = Schema.Struct({
  include_main: flag(true),
  reset_sessions: flag(false),
  rotate_tokens: flag(false),
  force_bootstrap: flag(false),
  board_id: Schema.optional(BoardId)
})
const LeadBody = Schema.Struct({
  agent_name: Schema.optional(Schema.NullOr(Schema.String)),
  identity_profile: Schema.optional(Schema.NullOr(Schema.Record(Schema.String, Schema.String)))
})

const sseHeaders = {
  "Content-Type": "text/event-stream",
  "Cache-Control": "no-store",
  Connection: "keep-alive",
  "X-Accel-Buffering": "no"
}

/**
 * An Express router serving the Mission Control HTTP API (the reference's routes, bodies and responses) by running
 * the core programs on one runtime. Mount it where the reference mounted its API (`/api/v1`); plug in the host's user
 * authentication with `authenticateUser`. Works with Express 4 and 5: handlers never reject.
 */
export const createMissionControlRouter = <E>(options: RouterOptions<E>): MissionControlRouter => {
  const owned = options.runtime === undefined
  if (options.runtime === undefined && options.layer === undefined) {
    throw new Error("createMissionControlRouter needs a layer or a runtime")
  }
  const runtime = options.runtime ?? ManagedRuntime.make(options.layer!)
  const pingInterval = Duration.seconds(options.pingIntervalSeconds ?? 15)
  const bodyLimit = options.bodyLimitBytes ?? defaultBodyLimit

  type Program = Effect.Effect<
    Reply,
    CoreError | InvalidRequest | PayloadTooLarge | UnsupportedMediaType,
    MissionControlServices
  >
  type Context = { readonly req: Request; readonly res: Response; readonly requestId: string }

  // The host's own lookup may fail with a core error (its database unavailable: a 503), anything else is a defect.
  const user = (req: Request) =>
    Effect.tryPromise({ try: async () => await options.authenticateUser(req), catch: (cause) => cause }).pipe(
      Effect.catch((cause) => isCoreError(cause) ? Effect.fail(cause) : Effect.die(cause)),
      Effect.flatMap((found) =>
        found === undefined ? Effect.fail(new Unauthorized({ detail: reason.unauthorized })) : Effect.succeed(found)
      )
    )

  const agentToken = (req: Request, allowBearer: boolean) =>
    agentTokenFromHeaders(
      { agentToken: req.header("x-agent-token"), authorization: req.header("authorization") },
      allowBearer
    )

  /** The request's JSON body decoded with `schema`; an empty body counts as `whenEmpty` when given. */
  const decodeBody = <A, I>(req: Request, schema: Schema.Codec<A, I>, whenEmpty?: unknown) =>
    readJsonBody(req, bodyLimit).pipe(Effect.flatMap((raw) => decode(schema, raw ?? whenEmpty, "body")))

  /** The agent of an `X-Agent-Token` (or bearer) header; 401 when missing or unknown. */
  const agent = (req: Request) => authenticateAgent(agentToken(req, true))

  /** A user, or an agent when the request carries `X-Agent-Token` (unknown token: 401). */
  const actor = (req: Request) => {
    const token = agentToken(req, false)
    return token !== undefined ? Effect.map(authenticateAgent(token), Actor.agent) : Effect.map(user(req), Actor.user)
  }

  const handle =
    (label: string, program: (context: Context) => Program) =>
    (req: Request, res: Response, next: NextFunction): void => {
      const requestId = requestIdOf(req)
      res.setHeader("X-Request-Id", requestId)
      const started = Date.now()
      // The request line is a debug log: built only when the host's log level lets it through.
      const logged = (status: number) =>
        Effect.flatMap(References.MinimumLogLevel, (minimum) =>
          LogLevel.isGreaterThan(minimum, "Debug")
            ? Effect.void
            : Effect.logDebug("request").pipe(Effect.annotateLogs({
              method: req.method,
              route: label,
              status,
              duration_ms: Date.now() - started,
              request_id: requestId
            })))
      // One fiber per request: the program, then the answer and the request's log line.
      const served = program({ req, res, requestId }).pipe(
        Effect.withSpan(`http ${req.method} ${label}`, { attributes: { "http.request_id": requestId } }, {
          captureStackTrace: false
        }),
        Effect.matchCauseEffect({
          onSuccess: (reply) => {
            if (reply._tag !== "Json") return logged(200)
            sendJson(res, reply.status, reply.body)
            return logged(reply.status)
          },
          onFailure: (cause) => {
            if (Cause.hasInterruptsOnly(cause)) return logged(499)
            const failure = failureResponse(cause as Cause.Cause<unknown>, requestId)
            if (res.headersSent) res.end()
            else if (failure.close) sendJsonThenClose(req, res, failure.status, failure.body)
            else sendJson(res, failure.status, failure.body)
            const log = logged(failure.status)
            return failure.defect
              ? Effect.logError("request failed", cause).pipe(
                Effect.annotateLogs({ request_id: requestId }),
                Effect.andThen(log)
              )
              : log
          }
        }),
        // The client left: nobody to answer (499, as proxies log it).
        Effect.onInterrupt(() => logged(499))
      )
      const fiber = runtime.runFork(served)
      // Only a fault in writing the answer is left for Express's error handling.
      fiber.addObserver((exit) => {
        if (Exit.isFailure(exit) && !Cause.hasInterruptsOnly(exit.cause)) next(Cause.squash(exit.cause))
      })
      // The client left before the answer: the program is interrupted.
      res.on("close", () => {
        if (!res.writableEnded) Effect.runFork(Fiber.interrupt(fiber))
      })
    }

  // One keep-alive timer pings every open stream, rather than a timer per stream.
  const openStreams = new Set<Response>()
  let pingTimer: ReturnType<typeof setInterval> | undefined
  const pingOpenStreams = () => {
    const ping = `: ping - ${new Date().toISOString().replace("T", " ").replace("Z", "")}\r\n\r\n`
    for (const res of openStreams) res.write(ping)
  }
  const trackStream = (res: Response) =>
    Effect.acquireRelease(
      Effect.sync(() => {
        openStreams.add(res)
        pingTimer ??= setInterval(pingOpenStreams, Duration.toMillis(pingInterval)).unref()
      }),
      () =>
        Effect.sync(() => {
          openStreams.delete(res)
          if (openStreams.size === 0 && pingTimer !== undefined) {
            clearInterval(pingTimer)
            pingTimer = undefined
          }
        })
    )

  /** Writes a batch of events as SSE frames, in one socket write. */
  const writeFrames = <A>(res: Response, frame: (event: A) => string) => (batch: Iterable<A>) =>
    Effect.sync(() => {
      let text = ""
      for (const event of batch) text += frame(event)
      res.write(text)
    })

  /** Writes a stream as SSE, with keep-alive pings, until it ends or the client leaves (then the fiber is interrupted). */
  const serveEvents = <A, E extends CoreError, R>(
    context: Context,
    events: Stream.Stream<A, E, R>,
    frame: (event: A) => string
  ): Effect.Effect<Reply, E, R | Scope.Scope> =>
    Effect.gen(function*() {
      context.res.writeHead(200, sseHeaders)
      context.res.flushHeaders()
      yield* trackStream(context.res)
      yield* Stream.runForEachArray(events, writeFrames(context.res, frame))
      context.res.end()
      return { _tag: "Streamed" } as const
    })

  /**
   * Serves an agent watch as SSE from a fiber of its own, and lets the request's fiber end: an open stream then holds
   * the watch's queue and one short loop, not the whole request pipeline. The client leaving stops the loop and
   * closes the watch. Opening is not interrupted half-way, so a watch is either served or closed.
   */
  const serveWatch = <E extends CoreError>(
    context: Context,
    openWatch: Effect.Effect<AgentWatch, E, Scope.Scope>
  ): Effect.Effect<Reply, E> =>
    Effect.uninterruptible(Effect.gen(function*() {
      const scope = yield* Scope.make()
      // A watch that fails to open (before anything is sent) answers as any failure, its scope closed.
      const watch = yield* Scope.provide(openWatch, scope).pipe(
        Effect.onError((cause) => Scope.close(scope, Exit.failCause(cause)))
      )
      const { res } = context
      res.writeHead(200, sseHeaders)
      res.flushHeaders()
      yield* Scope.provide(trackStream(res), scope)
      // Forked from an uninterruptible region, the loop must be made interruptible again for `stop`.
      const loop = yield* Effect.forkDetach(
        Effect.interruptible(Effect.forever(Effect.flatMap(watch.take, writeFrames(res, agentFrame))))
      )
      const stop = Fiber.interrupt(loop).pipe(Effect.andThen(Scope.close(scope, Exit.void)))
      if (res.destroyed) yield* stop
      else res.once("close", () => void runtime.runFork(stop))
      return { _tag: "Streamed" } as const
    }))

  // Open streams share an event's `AgentRead`; its JSON is serialised once for all of them.
  const agentJson = new WeakMap<AgentEvent["agent"], string>()
  const agentFrame = (event: AgentEvent) => {
    let data = agentJson.get(event.agent)
    if (data === undefined) {
      data = JSON.stringify({ agent: event.agent })
      agentJson.set(event.agent, data)
    }
    return `event: agent\r\nid: ${event.sequence}\r\ndata: ${data}\r\n\r\n`
  }

  const syncFrame = (event: SyncEvent) =>
    `event: ${event.type === "result" ? "result" : "progress"}\r\ndata: ${
      JSON.stringify(event.type === "result" ? event.result : event)
    }\r\n\r\n`

  const router = express.Router()
  // The methods of every path, for the 405 of a path asked with another method.
  const methodsOf = new Map<string, Array<string>>()
  const on = (
    method: "get" | "post" | "patch" | "delete",
    path: string,
    handler: (req: Request, res: Response, next: NextFunction) => void
  ) => {
    methodsOf.set(path, [...(methodsOf.get(path) ?? []), method.toUpperCase()])
    router[method](path, handler)
  }

  // --- /agent (agent tokens), first: agents call these all day, and Express tries routes in order
  on(
    "get",
    "/agent/agents",
    handle("/agent/agents", ({ req }) =>
      Effect.gen(function*() {
        const caller = yield* agent(req)
        const query = yield* decode(ListQuery, req.query, "query")
        return json(
          yield* listAgentsForAgent(caller, { boardId: query.board_id, limit: query.limit, offset: query.offset })
        )
      }))
  )

  on(
    "post",
    "/agent/agents",
    handle("/agent/agents", ({ req }) =>
      Effect.gen(function*() {
        const caller = yield* agent(req)
        const body = yield* decodeBody(req, AgentCreate)
        if (!caller.isBoardLead) {
          return yield* new Forbidden({ detail: "Only board leads can perform this action" })
        }
        return json(yield* createAgent(Actor.agent(caller), body))
      }))
  )

  on(
    "post",
    "/agent/heartbeat",
    handle("/agent/heartbeat", ({ req }) =>
      Effect.gen(function*() {
        const caller = yield* agent(req)
        const body = yield* decodeBody(req, AgentHeartbeatCreate)
        return json(yield* heartbeatAgent(Actor.agent(caller), caller.id, body.status))
      }))
  )

  on(
    "delete",
    "/agent/boards/:board_id/agents/:agent_id",
    handle("/agent/boards/{board_id}/agents/{agent_id}", ({ req }) =>
      Effect.gen(function*() {
        const caller = yield* agent(req)
        const boardId = yield* pathId(BoardId, req.params["board_id"])
        const agentId = yield* pathId(AgentId, req.params["agent_id"])
        if (!caller.isBoardLead) return yield* new Forbidden({ detail: "Only board leads can perform this action" })
        return json(yield* deleteAgentAsLead(caller, boardId, agentId))
      }))
  )

  on("get", "/openapi.json", (_req, res) => sendJson(res, 200, openApiDocument(options.basePath ?? "")))

  // --- /agents (users; heartbeats also agents)
  on(
    "get",
    "/agents",
    handle("/agents", ({ req }) =>
      Effect.gen(function*() {
        const caller = yield* user(req)
        const query = yield* decode(ListQuery, req.query, "query")
        return json(
          yield* listAgents(caller, {
            boardId: query.board_id,
            gatewayId: query.gateway_id,
            limit: query.limit,
            offset: query.offset
          })
        )
      }))
  )

  on(
    "get",
    "/agents/stream",
    handle("/agents/stream", (context) =>
      Effect.gen(function*() {
        const caller = yield* user(context.req)
        const query = yield* decode(StreamQuery, context.req.query, "query")
        const lastEventId = Number(context.req.header("last-event-id"))
        const openWatch = yield* prepareAgentWatch(caller, {
          boardId: query.board_id,
          // An invalid `since` means "from now", as the reference reads it.
          since: parseSince(query.since),
          afterSequence: Number.isSafeInteger(lastEventId) && lastEventId >= 0 ? lastEventId : undefined
        })
        return yield* serveWatch(context, openWatch)
      }))
  )

  on(
    "post",
    "/agents/heartbeat",
    handle("/agents/heartbeat", ({ req }) =>
      Effect.gen(function*() {
        const caller = yield* actor(req)
        const body = yield* decodeBody(req, AgentHeartbeatCreate)
        return json(yield* heartbeatOrCreateAgent(caller, body))
      }))
  )

  on(
    "post",
    "/agents",
    handle("/agents", ({ req }) =>
      Effect.gen(function*() {
        const caller = yield* actor(req)
        const body = yield* decodeBody(req, AgentCreate)
        return json(yield* createAgent(caller, body))
      }))
  )

  on(
    "get",
    "/agents/:agent_id",
    handle("/agents/{agent_id}", ({ req }) =>
      Effect.gen(function*() {
        const caller = yield* user(req)
        const id = yield* pathId(AgentId, req.params["agent_id"])
        return json(yield* getAgent(caller, id))
      }))
  )

  on(
    "patch",
    "/agents/:agent_id",
    handle("/agents/{agent_id}", ({ req }) =>
      Effect.gen(function*() {
        const caller = yield* user(req)
        const id = yield* pathId(AgentId, req.params["agent_id"])
        const query = yield* decode(ForceQuery, req.query, "query")
        const body = yield* decodeBody(req, AgentUpdate, {})
        return json(yield* updateAgent(caller, id, body, { force: query.force }))
      }))
  )

  on(
    "post",
    "/agents/:agent_id/heartbeat",
    handle("/agents/{agent_id}/heartbeat", ({ req }) =>
      Effect.gen(function*() {
        const caller = yield* actor(req)
        const id = yield* pathId(AgentId, req.params["agent_id"])
        const body = yield* decodeBody(req, AgentHeartbeat, {})
        return json(yield* heartbeatAgent(caller, id, body.status))
      }))
  )

  on(
    "delete",
    "/agents/:agent_id",
    handle("/agents/{agent_id}", ({ req }) =>
      Effect.gen(function*() {
        const caller = yield* user(req)
        const id = yield* pathId(AgentId, req.params["agent_id"])
        return json(yield* deleteAgent(caller, id))
      }))
  )

  // --- boards
  on(
    "post",
    "/boards/:board_id/lead",
    handle("/boards/{board_id}/lead", ({ req }) =>
      Effect.gen(function*() {
        const caller = yield* actor(req)
        const boardId = yield* pathId(BoardId, req.params["board_id"])
        const body = yield* decodeBody(req, LeadBody, {})
        return json(
          yield* ensureBoardLead(caller, boardId, {
            agentName: body.agent_name ?? null,
            identityProfile: body.identity_profile ?? null
          })
        )
      }))
  )

  // --- /gateways (org admins)
  on(
    "get",
    "/gateways",
    handle("/gateways", ({ req }) =>
      Effect.gen(function*() {
        const caller = yield* user(req)
        const query = yield* decode(Pagination, req.query, "query")
        return json(yield* listGateways(caller, query))
      }))
  )

  on(
    "post",
    "/gateways",
    handle("/gateways", ({ req }) =>
      Effect.gen(function*() {
        const caller = yield* user(req)
        const body = yield* decodeBody(req, GatewayCreate)
        return json(yield* createGateway(caller, body))
      }))
  )

  on(
    "get",
    "/gateways/:gateway_id",
    handle("/gateways/{gateway_id}", ({ req }) =>
      Effect.gen(function*() {
        const caller = yield* user(req)
        const id = yield* gatewayIdOf(req)
        return json(yield* getGateway(caller, id))
      }))
  )

  on(
    "patch",
    "/gateways/:gateway_id",
    handle("/gateways/{gateway_id}", ({ req }) =>
      Effect.gen(function*() {
        const caller = yield* user(req)
        const id = yield* gatewayIdOf(req)
        const body = yield* decodeBody(req, GatewayUpdate, {})
        return json(yield* updateGateway(caller, id, body))
      }))
  )

  on(
    "delete",
    "/gateways/:gateway_id",
    handle("/gateways/{gateway_id}", ({ req }) =>
      Effect.gen(function*() {
        const caller = yield* user(req)
        const id = yield* gatewayIdOf(req)
        return json(yield* deleteGateway(caller, id))
      }))
  )

  on(
    "post",
    "/gateways/:gateway_id/templates/sync",
    handle("/gateways/{gateway_id}/templates/sync", (context) =>
      Effect.gen(function*() {
        const caller = yield* user(context.req)
        const id = yield* gatewayIdOf(context.req)
        const query = yield* decode(SyncQuery, context.req.query, "query")
        const options = {
          includeMain: query.include_main,
          resetSessions: query.reset_sessions,
          rotateTokens: query.rotate_tokens,
          forceBootstrap: query.force_bootstrap,
          boardId: query.board_id ?? null
        }
        if ((context.req.header("accept") ?? "").includes("text/event-stream")) {
          const stream = yield* syncGatewayTemplatesAsAdminStream(caller, id, options)
          return yield* Effect.scoped(serveEvents(context, stream, syncFrame))
        }
        return json(yield* syncGatewayTemplatesAsAdmin(caller, id, options))
      }))
  )

  /** Answers a request no route handles, in the API's JSON shape. */
  const unrouted = (res: Response, req: Request, status: number, detail: string) => {
    const requestId = requestIdOf(req)
    res.setHeader("X-Request-Id", requestId)
    sendJson(res, status, { detail, request_id: requestId })
  }

  // Every request under the mount point is the API's, answered in JSON as FastAPI answers (never Express's HTML
  // page): a known path asked with another method is a 405 with the methods it takes, anything else a 404.
  for (const [path, methods] of methodsOf) {
    const allow = (methods.includes("GET") ? [...methods, "HEAD"] : methods).join(", ")
    router.all(path, (req: Request, res: Response) => {
      res.setHeader("Allow", allow)
      unrouted(res, req, 405, "Method Not Allowed")
    })
  }
  router.use((req: Request, res: Response) => unrouted(res, req, 404, reason.notFound))

  // Failures before a handler runs (Express cannot decode a path parameter, a body parser the host mounted throws):
  // answered in the API's JSON shape. An undecodable id names nothing, as a malformed one: 404.
  router.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error)
    const requestId = requestIdOf(req)
    res.setHeader("X-Request-Id", requestId)
    const status = typeof error === "object" && error !== null && "status" in error && typeof error.status === "number"
      ? error.status
      : 500
    if (
      error instanceof URIError ||
      (status === 400 && String((error as { message?: unknown }).message).includes("decode"))
    ) {
      return sendJson(res, 404, { detail: reason.notFound, request_id: requestId })
    }
    if (status === 413) return sendJson(res, 413, { detail: tooLarge, request_id: requestId })
    if (status === 415) return sendJson(res, 415, { detail: unsupportedMediaType, request_id: requestId })
    if (status >= 400 && status < 500) {
      return sendJson(res, status === 400 ? 422 : status, {
        detail: [{ loc: ["body"], msg: "Invalid request body", type: "value_error" }],
        request_id: requestId
      })
    }
    runtime.runFork(
      Effect.logError("request failed before its handler", String(error)).pipe(
        Effect.annotateLogs({ request_id: requestId })
      )
    )
    return sendJson(res, 500, { detail: "Internal Server Error", request_id: requestId })
  })

  return Object.assign(router, {
    dispose: () => owned ? runtime.dispose() : Promise.resolve(),
    ready: () => runtime.context().then(() => undefined)
  })
}
