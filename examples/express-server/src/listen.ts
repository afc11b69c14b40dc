import { Effect } from "effect"
import type { Scope } from "effect"
import { createServer } from "node:http"
import type { RequestListener, Server } from "node:http"
import type { AddressInfo } from "node:net"
import { StartupError } from "./startupError.js"

/** The example's HTTP server, bound before anything else starts so that a port in use fails the start at once. */
export interface Listener {
  /** `http://127.0.0.1:<port>`, the port the system gave when PORT is 0. */
  readonly url: string
  /** Hands requests to `handler` from now on; until then every request is answered 503. */
  readonly serve: (handler: RequestListener) => void
  /** Stops accepting connections and closes the open ones (streams included). Idempotent. */
  readonly close: Effect.Effect<void>
}

const host = "127.0.0.1"

const listenFailure = (port: number, error: NodeJS.ErrnoException): StartupError => {
  switch (error.code) {
    case "EADDRINUSE":
      return new StartupError({
        detail: `port ${port} on ${host} is in use`,
        setting: "PORT",
        remedy: "Stop what listens there, or set PORT to a free port (0 picks one)"
      })
    case "EACCES":
      return new StartupError({
        detail: `port ${port} on ${host} needs privileges this process does not have`,
        setting: "PORT",
        remedy: "Set PORT to a port above 1023 (0 picks a free one)"
      })
    default:
      return new StartupError({
        detail: `listening on ${host}:${port} failed: ${error.message}`,
        setting: "PORT",
        remedy: "Set PORT to a free port (0 picks one)"
      })
  }
}

const starting: RequestListener = (_req, res) => {
  res.writeHead(503, { "content-type": "application/json", "retry-after": "1" })
  res.end(JSON.stringify({ detail: "Mission Control is starting" }))
}

/** Listens on 127.0.0.1:`port` for as long as the scope lasts. */
export const listen = (port: number): Effect.Effect<Listener, StartupError, Scope.Scope> =>
  Effect.gen(function*() {
    let handler = starting
    const server = createServer((req, res) => handler(req, res))
    const close = Effect.callback<void>((resume) => {
      if (!server.listening) return resume(Effect.void)
      server.close(() => resume(Effect.void))
      server.closeAllConnections()
    })
    yield* Effect.acquireRelease(
      Effect.callback<Server, StartupError>((resume) => {
        const onError = (error: NodeJS.ErrnoException) =>
          resume(Effect.logDebug("listen failed", error).pipe(Effect.andThen(Effect.fail(listenFailure(port, error)))))
        server.once("error", onError)
        server.listen(port, host, () => {
          server.off("error", onError)
          resume(Effect.succeed(server))
        })
      }),
      () => close
    )
    return {
      url: `http://${host}:${(server.address() as AddressInfo).port}`,
      serve: (next) => {
        handler = next
      },
      close
    } satisfies Listener
  })
