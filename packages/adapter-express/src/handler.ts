import { NodeHttpServer, NodeHttpServerRequest } from "@effect/platform-node"
import type { MissionControlServices, User } from "@mission-control/core"
import { isCoreError } from "@mission-control/core"
import type { ApiOptions } from "@mission-control/core/http"
import { layerRedactedNames, makeHttpEffect, requestIdOf, UserAuthenticator } from "@mission-control/core/http"
import { Effect, Exit, Layer, ManagedRuntime, Scope } from "effect"
import type { IncomingMessage, ServerResponse } from "node:http"

/** Options of `createMissionControlHandler`. */
export interface HandlerOptions<E, Req extends IncomingMessage = IncomingMessage> extends ApiOptions {
  /** The services the core programs run on; built once for the handler (or pass `runtime`). */
  readonly layer?: Layer.Layer<MissionControlServices, E>
  /** A runtime the host already built; the handler does not dispose it. */
  readonly runtime?: ManagedRuntime.ManagedRuntime<MissionControlServices, E>
  /** The host's user authentication: the user of the request, or undefined (401). */
  readonly authenticateUser: (req: Req) => Promise<User | undefined> | User | undefined
}

/** A Node `(req, res)` handler serving the Mission Control API, with the runtime it runs on. */
export interface MissionControlHandler<Req extends IncomingMessage = IncomingMessage> {
  /** Answers one request. Paths are the API's (`/api/v1/...`); anything else under the prefix is a JSON 404/405. */
  readonly handle: (req: Req, res: ServerResponse) => void
  /** Resolves once the services are built: a bad database URL fails here, not on the first request. */
  readonly ready: () => Promise<void>
  /** Releases the handler's resources, and the runtime's when the handler built it. */
  readonly dispose: () => Promise<void>
}

const hostAuthentication = <Req extends IncomingMessage>(
  authenticate: (req: Req) => Promise<User | undefined> | User | undefined,
  hostRequestOf: (message: IncomingMessage) => Req
) =>
  Layer.succeed(UserAuthenticator, {
    // The host's own lookup may fail with a core error (its database unavailable: a 503); anything else is a defect.
    authenticate: (request) =>
      Effect.tryPromise({
        try: async () =>
          await authenticate(hostRequestOf(NodeHttpServerRequest.toIncomingMessage(request) as IncomingMessage)),
        catch: (cause) => cause
      }).pipe(Effect.catch((cause) => isCoreError(cause) ? Effect.fail(cause) : Effect.die(cause)))
  })

/**
 * The Mission Control API as a plain Node handler, for `node:http` (`http.createServer(handler.handle)`) or any
 * framework that hands over Node's request and response. Built from the one API definition of
 * `@mission-control/core/http`; every request runs as a fiber on one runtime.
 */
export const createMissionControlHandler = <E, Req extends IncomingMessage = IncomingMessage>(
  options: HandlerOptions<E, Req>,
  hostRequestOf: (message: IncomingMessage) => Req = (message) => message as Req
): MissionControlHandler<Req> => {
  if (options.runtime === undefined && options.layer === undefined) {
    throw new Error("createMissionControlHandler needs a layer or a runtime")
  }
  const owned = options.runtime === undefined
  const services = options.runtime ?? ManagedRuntime.make(options.layer!)
  const scope = Effect.runSync(Scope.make())
  const built = services.context().then((context) =>
    Effect.runPromise(
      Effect.gen(function*() {
        const httpEffect = yield* makeHttpEffect(options)
        return yield* NodeHttpServer.makeHandler(httpEffect, { scope })
      }).pipe(
        Effect.provide(Layer.mergeAll(
          NodeHttpServer.layerHttpServices,
          layerRedactedNames,
          hostAuthentication(options.authenticateUser, hostRequestOf),
          Layer.succeedContext(context)
        )),
        Scope.provide(scope)
      )
    )
  )
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined
  // A failed build answers every request with 503 until disposed; `ready()` reports the cause.
  built.then((made) => void (handler = made), () => undefined)
  const unavailable = (req: IncomingMessage, res: ServerResponse) => {
    const header = req.headers["x-request-id"]
    const requestId = requestIdOf(typeof header === "string" ? header : undefined)
    res.writeHead(503, { "content-type": "application/json", "x-request-id": requestId })
    res.end(JSON.stringify({ detail: "Service unavailable: Mission Control failed to start", request_id: requestId }))
  }
  return {
    handle: (req, res) => {
      if (handler !== undefined) return handler(req, res)
      built.then((made) => made(req, res), () => unavailable(req, res))
    },
    ready: () => built.then(() => undefined),
    dispose: async () => {
      await Effect.runPromise(Scope.close(scope, Exit.void))
      if (owned) await services.dispose()
    }
  }
}
