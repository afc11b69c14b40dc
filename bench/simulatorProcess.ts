// The gateway simulator in a process of its own, so that its work (framing, latency timers, file maps) is not charged
// to the process being measured. Started by `startRemoteSimulator` (remoteSimulator.ts) with its behaviour in
// BENCH_SIMULATOR (JSON); answers requests over the IPC channel. With `outage`, clients reach it through a TCP relay on
// a port of its own that can refuse connections for a while (a gateway down), the simulator and its agents kept.
import { startGatewaySimulator } from "@mission-control/gateway-rpc/testing"
import type { SimulatorBehaviour } from "@mission-control/gateway-rpc/testing"
import { createConnection, createServer } from "node:net"
import type { AddressInfo, Socket } from "node:net"
import type { CallSummary, SimulatorReply, SimulatorRequest } from "./remoteSimulator.js"

const options = JSON.parse(process.env["BENCH_SIMULATOR"] ?? "{}") as {
  readonly behaviour?: Partial<SimulatorBehaviour>
  readonly relay?: boolean
}
const simulator = await startGatewaySimulator(options.behaviour ?? {})

// The relay: a listening socket that forwards every connection to the simulator; down, it listens no more and its
// connections are cut, so clients get "connection refused" as from a stopped gateway.
const relayed = new Set<Socket>()
const relay = createServer((client) => {
  const upstream = createConnection({ host: "127.0.0.1", port: simulator.port })
  relayed.add(client)
  client.setNoDelay(true)
  upstream.setNoDelay(true)
  client.pipe(upstream).pipe(client)
  const close = () => {
    relayed.delete(client)
    client.destroy()
    upstream.destroy()
  }
  client.on("error", close).on("close", close)
  upstream.on("error", close).on("close", close)
})
const listen = (port: number) =>
  new Promise<number>((resolve, reject) => {
    relay.once("error", reject)
    relay.listen(port, "127.0.0.1", () => {
      relay.off("error", reject)
      resolve((relay.address() as AddressInfo).port)
    })
  })
const relayPort = options.relay === true ? await listen(0) : null

const summary = (): Array<CallSummary> =>
  simulator.calls().map((call) => ({
    method: call.method,
    agentId: typeof call.params["agentId"] === "string" ? call.params["agentId"] : null,
    name: typeof call.params["name"] === "string" ? call.params["name"] : null
  }))

const answer = async (request: SimulatorRequest): Promise<SimulatorReply["value"]> => {
  switch (request.command) {
    case "configure":
      simulator.configure(request.behaviour)
      return null
    case "calls":
      return summary()
    case "clearCalls":
      simulator.clearCalls()
      return null
    case "counts":
      return {
        agents: simulator.agents().size,
        configPatches: simulator.configPatches(),
        configPatchesRefused: simulator.configPatchesRefused(),
        connectionsOpened: simulator.connectionsOpened()
      }
    case "down":
      await new Promise<void>((resolve) => {
        relay.close(() => resolve())
        for (const socket of relayed) socket.destroy()
      })
      return null
    case "up":
      await listen(relayPort!)
      return null
    case "stop":
      await simulator.stop()
      setImmediate(() => process.exit(0))
      return null
  }
}

process.on("message", (message: SimulatorRequest) => {
  answer(message).then(
    (value) => process.send!({ id: message.id, value } satisfies SimulatorReply),
    (error: unknown) => process.send!({ id: message.id, value: null, error: String(error) } satisfies SimulatorReply)
  )
})
process.on("disconnect", () => process.exit(0))
process.send!(
  {
    id: 0,
    value: { url: relayPort === null ? simulator.url : `ws://127.0.0.1:${relayPort}`, token: simulator.token }
  } satisfies SimulatorReply
)
