import type { GatewayError } from "@mission-control/core"
import { gatewayError } from "@mission-control/core"
import type { Scope } from "effect"
import {
  Clock,
  Deferred,
  Duration,
  Effect,
  Exit,
  FiberSet,
  PubSub,
  Redacted,
  Schedule,
  Semaphore,
  Stream
} from "effect"
import WebSocket from "ws"
import type { DeviceIdentity } from "./deviceIdentity.js"
import { signConnect } from "./deviceIdentity.js"
import { redactSecret, remoteError, transportError } from "./errors.js"
import type { EventFrame, Frame, HelloInfo } from "./protocol.js"
import { isObject, maxProtocol, minProtocol, parseFrame, parseHello } from "./protocol.js"

/** How to reach and talk to one gateway. */
export interface ConnectionOptions {
  readonly url: string
  readonly token: Redacted.Redacted<string> | null
  /** How long one request may wait for its response. Default 30 s. */
  readonly requestTimeout?: Duration.Input
  /** How long the challenge and `connect` may take. Default 15 s. */
  readonly handshakeTimeout?: Duration.Input
  /** How long a request waits for the connection to be (re)established. Default 20 s. */
  readonly reconnectWait?: Duration.Input
  /** Requests in flight at once on the connection; more wait. Default 256. */
  readonly maxInFlight?: number
  /** Operator scopes to ask for. Default read, write, admin. */
  readonly scopes?: ReadonlyArray<string>
  /** Sign `connect` with this device identity (older gateways grant scopes only to devices). */
  readonly device?: DeviceIdentity | null
  readonly clientVersion?: string
  readonly platform?: string
  /** For `wss://` only: accept any certificate (self-signed, wrong host). Default false. */
  readonly allowInsecureTls?: boolean
  /**
   * Never present a device identity: connect as a control UI (`openclaw-control-ui`, mode `ui`, an `Origin` header
   * from the URL). Gateway 2026.9 refuses a control UI without a device (`CONTROL_UI_DEVICE_IDENTITY_REQUIRED`) unless
   * it sits behind a trusted proxy; then the connection uses the token-only backend client instead, for its lifetime.
   */
  readonly disableDevicePairing?: boolean
}

/** How `connect` presents the client: as a backend (optionally signed by a device), or as a control UI. */
type ConnectMode = "backend" | "controlUi"

const controlUiRefused = "CONTROL_UI_DEVICE_IDENTITY_REQUIRED"

/** The `Origin` a browser would send for the gateway's URL: `ws`→`http`, `wss`→`https`, host and port kept. */
export const controlUiOrigin = (gatewayUrl: string): string | undefined => {
  let parsed: URL
  try {
    parsed = new URL(gatewayUrl)
  } catch {
    return undefined
  }
  const scheme = parsed.protocol === "ws:" || parsed.protocol === "http:"
    ? "http"
    : parsed.protocol === "wss:" || parsed.protocol === "https:"
    ? "https"
    : undefined
  // `host` keeps an IPv6 address bracketed and leaves out a default port.
  return scheme === undefined || parsed.hostname === "" ? undefined : `${scheme}://${parsed.host}`
}

// Node's codes for a certificate it would not trust: no retry fixes them, only the gateway's TLS setting.
const certificateErrorCodes = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID"
])

/** One persistent, multiplexed connection to a gateway, shared by every caller. */
export interface GatewayConnection {
  /** Sends a request and waits for its response; connects first when needed. */
  readonly request: (
    method: string,
    params: Readonly<Record<string, unknown>>,
    options?: { readonly timeout?: Duration.Input }
  ) => Effect.Effect<unknown, GatewayError>
  /** What the gateway said in `hello-ok` (connects first when needed). */
  readonly hello: Effect.Effect<HelloInfo, GatewayError>
  /** Events the gateway sends, for as long as the connection lives. */
  readonly events: Stream.Stream<EventFrame>
  /** Whether a socket is open right now. */
  readonly isOpen: Effect.Effect<boolean>
  /** Closes the socket; requests fail, and the next one reconnects. */
  readonly disconnect: Effect.Effect<void>
}

interface Session {
  readonly socket: WebSocket
  readonly hello: HelloInfo
  lastFrameAt: number
  /** The gateway announced a restart (`shutdown` event): new requests wait for the next connection. */
  draining: boolean
  readonly closed: Deferred.Deferred<void>
}

interface PendingRequest {
  readonly method: string
  readonly deferred: Deferred.Deferred<unknown, GatewayError>
}

const defaultScopes = ["operator.read", "operator.write", "operator.admin"]

const isRetryableConnectError = (error: GatewayError): boolean =>
  error.reason === "Transport" || error.reason === "Timeout" || error.reason === "Restarting" ||
  (error.retryable && error.reason !== "Unauthorized")

/**
 * Opens connections lazily and keeps one socket: requests are matched to responses by id, events go to subscribers.
 * When the socket drops, requests in flight fail with a retryable error and the connection comes back in the
 * background; new requests wait for it (a gateway restarting after `config.patch` closes with 1012). Closed with its
 * scope: no socket or timer outlives it.
 */
export const makeConnection = (options: ConnectionOptions): Effect.Effect<GatewayConnection, never, Scope.Scope> =>
  Effect.gen(function*() {
    const secret = options.token === null ? null : Redacted.value(options.token)
    const requestTimeout = Duration.fromInputUnsafe(options.requestTimeout ?? "30 seconds")
    const handshakeTimeout = Duration.fromInputUnsafe(options.handshakeTimeout ?? "15 seconds")
    const reconnectWait = Duration.fromInputUnsafe(options.reconnectWait ?? "20 seconds")
    const scopes = options.scopes ?? defaultScopes
    const events = yield* Effect.acquireRelease(PubSub.unbounded<EventFrame>(), PubSub.shutdown)
    const run = yield* FiberSet.makeRuntime<never>()
    const connectLock = yield* Semaphore.make(1)
    const inFlight = yield* Semaphore.make(options.maxInFlight ?? 256)
    const pending = new Map<string, PendingRequest>()
    let session: Session | null = null
    let closed = false
    let nextId = 0

    const failPending = (code: number | undefined, detail: string) => {
      for (const [id, request] of pending) {
        pending.delete(id)
        Deferred.doneUnsafe(request.deferred, Exit.fail(transportError(request.method, detail, secret, code)))
      }
    }

    const dispatch = (current: Session, frame: Frame) => {
      if (frame.type === "res") {
        const request = pending.get(frame.id)
        if (request === undefined) return
        pending.delete(frame.id)
        Deferred.doneUnsafe(
          request.deferred,
          frame.ok === false
            ? Exit.fail(remoteError(request.method, frame.error, secret))
            : Exit.succeed(frame.payload ?? null)
        )
      } else if (frame.type === "event") {
        if (frame.event === "shutdown") current.draining = true
        PubSub.publishUnsafe(events, frame)
      }
    }

    // Starts as a control UI when device pairing is off; falls back to the backend client once refused.
    let mode: ConnectMode = options.disableDevicePairing === true ? "controlUi" : "backend"
    const useDevice = options.disableDevicePairing !== true && options.device !== undefined && options.device !== null
    const insecureTls = options.allowInsecureTls === true && /^wss:/i.test(options.url)
    const origin = controlUiOrigin(options.url)

    const connectParams = (connectMode: ConnectMode, nonce: string, ts: number) => {
      const client = {
        id: connectMode === "controlUi" ? "openclaw-control-ui" : "gateway-client",
        version: options.clientVersion ?? "0.1.0",
        platform: options.platform ?? process.platform,
        mode: connectMode === "controlUi" ? "ui" : "backend"
      }
      const params: Record<string, unknown> = {
        minProtocol,
        maxProtocol,
        client,
        role: "operator",
        scopes,
        caps: []
      }
      if (secret !== null) params["auth"] = { token: secret }
      if (useDevice && options.device !== undefined && options.device !== null && nonce !== "") {
        params["device"] = signConnect(options.device, {
          clientId: client.id,
          clientMode: client.mode,
          role: "operator",
          scopes,
          token: secret ?? "",
          nonce,
          platform: client.platform,
          deviceFamily: "",
          signedAt: ts
        })
      }
      return params
    }

    const onSessionClosed = (closing: Session, code: number, reason: string) => {
      if (session === closing) session = null
      Deferred.doneUnsafe(closing.closed, Exit.void)
      failPending(code, `connection closed (${code}${reason === "" ? "" : ` ${reason}`})`)
      // Come back in the background, so event subscribers and the next requests find an open socket.
      if (!closed) run(ensureSession.pipe(Effect.ignore))
    }

    const openSocketAs = (connectMode: ConnectMode) =>
      Effect.callback<Session, GatewayError>((resume) => {
        let socket: WebSocket
        try {
          socket = new WebSocket(options.url, {
            handshakeTimeout: Duration.toMillis(handshakeTimeout),
            ...(insecureTls ? { rejectUnauthorized: false } : {}),
            ...(connectMode === "controlUi" && origin !== undefined ? { origin } : {})
          })
        } catch (cause) {
          // A URL the WebSocket client cannot use is a configuration error: no retry will fix it.
          resume(
            Effect.fail(
              gatewayError("connect", "Rejected", redactSecret(`invalid gateway url: ${String(cause)}`, secret))
            )
          )
          return
        }
        const connectId = `connect-${++nextId}`
        let phase: "challenge" | "connect" | "open" | "failed" = "challenge"
        const fail = (error: GatewayError) => {
          if (phase === "open" || phase === "failed") return
          phase = "failed"
          clearTimeout(timer)
          socket.terminate()
          resume(Effect.fail(error))
        }
        const timer = setTimeout(
          () =>
            fail(
              gatewayError(
                "connect",
                "Timeout",
                `gateway handshake timed out after ${Duration.format(handshakeTimeout)}`
              )
            ),
          Duration.toMillis(handshakeTimeout)
        )
        let opened: Session | null = null
        socket.on("message", (data) => {
          const frame = parseFrame(data.toString())
          if (frame === undefined) return
          if (opened !== null) {
            opened.lastFrameAt = Date.now()
            dispatch(opened, frame)
            return
          }
          if (phase === "challenge" && frame.type === "event" && frame.event === "connect.challenge") {
            const payload = isObject(frame.payload) ? frame.payload : {}
            const nonce = typeof payload["nonce"] === "string" ? payload["nonce"] : ""
            const ts = typeof payload["ts"] === "number" ? payload["ts"] : Date.now()
            phase = "connect"
            socket.send(
              JSON.stringify({
                type: "req",
                id: connectId,
                method: "connect",
                params: connectParams(connectMode, nonce, ts)
              })
            )
          } else if (phase === "connect" && frame.type === "res" && frame.id === connectId) {
            if (frame.ok === false) {
              const details = frame.error?.details
              const detailsCode = isObject(details) && typeof details["code"] === "string" ? details["code"] : null
              const error = remoteError("connect", frame.error, secret)
              fail(
                detailsCode === controlUiRefused
                  ? gatewayError("connect", "Unauthorized", error.detail, { code: controlUiRefused })
                  : error
              )
              return
            }
            clearTimeout(timer)
            phase = "open"
            opened = {
              socket,
              hello: parseHello(frame.payload),
              lastFrameAt: Date.now(),
              draining: false,
              closed: Deferred.makeUnsafe<void>()
            }
            resume(Effect.succeed(opened))
          }
        })
        socket.on("error", (error) => {
          const code = (error as { readonly code?: unknown }).code
          fail(
            typeof code === "string" && certificateErrorCodes.has(code)
              ? gatewayError(
                "connect",
                "Rejected",
                redactSecret(`TLS certificate not trusted: ${error.message} (allow_insecure_tls accepts it)`, secret)
              )
              : transportError("connect", error.message, secret)
          )
        })
        socket.on("close", (code, reason) => {
          if (opened !== null) onSessionClosed(opened, code, reason.toString())
          else fail(transportError("connect", `connection closed during handshake (${code})`, secret, code))
        })
        return Effect.sync(() => {
          clearTimeout(timer)
          if (phase !== "open") socket.terminate()
        })
      })

    const openSocket: Effect.Effect<Session, GatewayError> = Effect.suspend(() =>
      openSocketAs(mode).pipe(
        Effect.catchIf(
          (error) => mode === "controlUi" && error.code === controlUiRefused,
          () =>
            Effect.suspend(() => {
              mode = "backend"
              return openSocketAs("backend")
            })
        )
      )
    )

    const ensureSession: Effect.Effect<Session, GatewayError> = Effect.suspend(() => {
      const current = session
      if (current !== null && current.draining) {
        // Let the restarting gateway close this socket, then connect to it again.
        return Deferred.await(current.closed).pipe(
          Effect.timeout(reconnectWait),
          Effect.catch(() => Effect.sync(() => current.socket.terminate())),
          Effect.andThen(ensureSession)
        )
      }
      if (current !== null) return Effect.succeed(current)
      return connectLock.withPermits(1)(Effect.suspend(() => {
        if (session !== null) return Effect.succeed(session)
        if (closed) return Effect.fail(gatewayError("connect", "Transport", "connection closed"))
        return openSocket.pipe(
          Effect.retry({
            schedule: Schedule.min([Schedule.exponential("100 millis"), Schedule.spaced("2 seconds")]).pipe(
              Schedule.upTo({ duration: reconnectWait })
            ),
            while: isRetryableConnectError
          }),
          Effect.tap((opened) =>
            Effect.sync(() => {
              if (closed) opened.socket.close(1000)
              else session = opened
            })
          )
        )
      }))
    })

    // A socket that stays silent for two tick intervals is dead even if TCP has not noticed.
    yield* Effect.gen(function*() {
      const current = session
      if (current === null) return
      const now = yield* Clock.currentTimeMillis
      if (now - current.lastFrameAt > 2 * current.hello.tickIntervalMs) current.socket.terminate()
    }).pipe(Effect.repeat(Schedule.spaced("5 seconds")), Effect.forkScoped)

    const disconnect = Effect.sync(() => {
      session?.socket.close(1000)
    })

    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        closed = true
        const current = session
        session = null
        current?.socket.terminate()
        failPending(undefined, "connection closed")
      })
    )

    const request = (
      method: string,
      params: Readonly<Record<string, unknown>>,
      requestOptions: { readonly timeout?: Duration.Input } = {}
    ): Effect.Effect<unknown, GatewayError> =>
      inFlight.withPermits(1)(Effect.gen(function*() {
        const current = yield* ensureSession
        const id = String(++nextId)
        const deferred = yield* Deferred.make<unknown, GatewayError>()
        pending.set(id, { method, deferred })
        const timeout = Duration.fromInputUnsafe(requestOptions.timeout ?? requestTimeout)
        yield* Effect.try({
          try: () => current.socket.send(JSON.stringify({ type: "req", id, method, params })),
          catch: (cause) => transportError(method, redactSecret(String(cause), secret), secret)
        })
        return yield* Deferred.await(deferred).pipe(
          Effect.timeoutOrElse({
            duration: timeout,
            orElse: () =>
              Effect.fail(gatewayError(method, "Timeout", `${method} timed out after ${Duration.format(timeout)}`))
          }),
          Effect.ensuring(Effect.sync(() => pending.delete(id)))
        )
      }))

    return {
      request,
      hello: Effect.map(ensureSession, (current) => current.hello),
      events: Stream.fromPubSub(events),
      isOpen: Effect.sync(() => session !== null),
      disconnect
    }
  })
