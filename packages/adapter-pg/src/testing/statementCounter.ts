import { Socket } from "node:net"

/** Counts the statements this process sends to Postgres (every driver, pool and session), by what their text matches. */
export interface StatementCounter {
  /** Statements sent since the counter started (or since `reset`) whose text matches `pattern` (all when omitted). */
  readonly count: (pattern?: RegExp) => number
  readonly reset: () => void
  /** Stops counting; sockets write as they did. */
  readonly stop: () => void
}

const protocolVersion = 196_608 // 3.0, the first word after the length of a StartupMessage
const sslRequestCode = 80_877_103
// Type bytes of the frontend messages a client sends after start-up (Query, Parse, Bind, Execute, Describe, Sync, …)
const frontendTypes = new Set([..."QPBEDSCHXFfdcp"].map((letter) => letter.charCodeAt(0)))

/**
 * What one client socket has sent: nothing yet (undecided), the frontend protocol (tracked), or something else
 * (a server's side, TLS). Statements named in `Parse` are remembered, so that a `Bind` of a prepared statement counts
 * with its text; `Execute` runs what the last `Bind` bound.
 */
interface Wire {
  state: "start" | "frontend" | "ignored"
  pending: Buffer
  readonly prepared: Map<string, string>
  bound: string
}

const readCString = (buffer: Buffer, offset: number): readonly [string, number] => {
  const end = buffer.indexOf(0, offset)
  return end < 0 ? ["", buffer.length] : [buffer.toString("utf8", offset, end), end + 1]
}

/**
 * Starts counting statements at the sockets, below every driver (`@effect/sql-pg`'s own, `pg`, any pool), so it
 * sees what reaches the database whichever layer sent it: each simple `Query` and each `Execute` of the extended
 * protocol is one statement, named by its SQL text. For tests and benchmarks: one counter at a time, no TLS.
 */
export const countStatements = (): StatementCounter => {
  const prototype = Socket.prototype as unknown as { write: (...args: Array<unknown>) => boolean }
  const own = Object.getOwnPropertyDescriptor(Socket.prototype, "write")
  const original = prototype.write
  const wires = new WeakMap<object, Wire>()
  let texts: Array<string> = []

  const message = (wire: Wire, type: number, body: Buffer) => {
    switch (type) {
      case 0x51: // Query
        texts.push(readCString(body, 0)[0])
        return
      case 0x50: { // Parse: name, text, ...
        const [name, next] = readCString(body, 0)
        wire.prepared.set(name, readCString(body, next)[0])
        return
      }
      case 0x42: { // Bind: portal, statement, ...
        const [, next] = readCString(body, 0)
        wire.bound = wire.prepared.get(readCString(body, next)[0]) ?? ""
        return
      }
      case 0x45: // Execute
        texts.push(wire.bound)
        return
    }
  }

  const observe = (socket: object, chunk: unknown) => {
    if (!(chunk instanceof Uint8Array)) return
    let wire = wires.get(socket)
    if (wire === undefined) {
      wire = { state: "start", pending: Buffer.alloc(0), prepared: new Map(), bound: "" }
      wires.set(socket, wire)
    }
    if (wire.state === "ignored") return
    let buffer = Buffer.concat([wire.pending, chunk])
    while (true) {
      if (wire.state === "start") {
        if (buffer.length < 8) break
        const length = buffer.readInt32BE(0)
        const code = buffer.readInt32BE(4)
        if (code === sslRequestCode && length === 8) {
          buffer = buffer.subarray(8) // the server may decline; a TLS handshake next is not ours to read
          continue
        }
        if (code !== protocolVersion || length < 8) {
          // A connection opened before the counter started is seen mid-conversation: its first chunk is an
          // ordinary frontend message (a type byte, then a length), which a startup message never looks like.
          if (frontendTypes.has(buffer[0]!) && buffer.readInt32BE(1) >= 4) {
            wire.state = "frontend"
            continue
          }
          wire.state = "ignored"
          wire.pending = Buffer.alloc(0)
          return
        }
        if (buffer.length < length) break
        wire.state = "frontend"
        buffer = buffer.subarray(length)
        continue
      }
      if (buffer.length < 5) break
      const length = buffer.readInt32BE(1)
      if (buffer.length < 1 + length) break
      message(wire, buffer[0]!, buffer.subarray(5, 1 + length))
      buffer = buffer.subarray(1 + length)
    }
    wire.pending = Buffer.from(buffer)
  }

  prototype.write = function(this: object, ...args: Array<unknown>) {
    observe(this, args[0])
    return original.apply(this, args)
  }
  return {
    count: (pattern) => pattern === undefined ? texts.length : texts.filter((text) => pattern.test(text)).length,
    reset: () => {
      texts = []
    },
    stop: () => {
      if (own === undefined) delete (prototype as { write?: unknown }).write
      else Object.defineProperty(Socket.prototype, "write", own)
    }
  }
}
