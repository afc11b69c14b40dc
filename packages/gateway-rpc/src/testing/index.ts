export { simulator, startGatewaySimulator } from "./GatewaySimulator.js"
export type {
  GatewayProfile,
  GatewaySimulator,
  SimulatedAgent,
  SimulatedFault,
  SimulatorBehaviour,
  SimulatorCall
} from "./GatewaySimulator.js"
